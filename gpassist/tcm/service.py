"""TCM suggestions for a record or an encounter: validate, predict, explain, hint, store. No Flask.

Every function takes a session and plain values, adds and flushes, never commits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.auth.tables import User
from gpassist.db import utcnow
from gpassist.errors import InvalidField, Problem
from gpassist.patients.service import require_clinic_doctor, visible_encounter
from gpassist.schemas import Text
from gpassist.tcm import kb_service, runtime, vocabulary
from gpassist.tcm.schemas import (
    DiseaseOut,
    FindingOut,
    MedicineOut,
    ModelOut,
    StoredSyndrome,
    SuggestIn,
    SuggestionOut,
    SyndromeOut,
    TreatmentOut,
)
from gpassist.tcm.tables import TcmSuggestion
from gpassist.tcm.text import has_han
from gpassist.tcm.visit import visit_facts

log = logging.getLogger("gpassist.tcm")
Models = Mapping[str, runtime.TcmModel]
TREATMENTS_FILE = Path(__file__).with_name("treatments.yaml")
SIGN_KINDS = ("tongue", "coating", "pulse")
KB_MODEL_PREFIX = "kb:"  # a stored suggestion of the knowledge base: model "kb:primary-care"
NOTICE = {
    "zh": "".join(
        (
            "中医辨证建议仅供医生参考，不是自动处方；",
            "本模型只覆盖眩晕病、心悸病、胸痹心痛病、心衰病四种疾病，",
            "基于 640 份科研病历训练，尚未经临床验证（非临床用途）。",
        )
    ),
    "en": " ".join(
        (
            "A reference for the doctor, never an automatic prescription.",
            "The model covers four diseases only, was trained on 640 research records",
            "and is not clinically validated (clinical: false).",
        )
    ),
}
STRUCTURED_FIELDS = {
    "tongue_colour": "tongue_colour",
    "coating": "coating",
    "pulse": "pulse",
    "symptoms": "symptom",
    "absent_symptoms": "symptom",
}


class ModelUnavailable(Problem):
    """503: the default TCM model is not installed."""

    status = 503
    slug = "model-unavailable"
    title = "The TCM model is not installed"
    title_zh = "中医辨证模型未安装"


def load_installed_models(configured: str | None) -> dict[str, runtime.TcmModel]:
    """Every committed TCM model; a missing default is logged and the endpoints answer 503."""
    models = runtime.load_models(runtime.model_root(configured))
    if runtime.DEFAULT_MODEL not in models:
        log.error("TCM model %r is not installed", runtime.DEFAULT_MODEL)
    return models


def resolve_model(models: Models, name: str | None) -> runtime.TcmModel:
    """The model named ``name``, or the default; raises ``ModelUnavailable`` when the default is
    missing and ``InvalidField`` at ``body.model`` for an unknown name."""
    if name is None:
        model = models.get(runtime.DEFAULT_MODEL)
        if model is None:
            raise ModelUnavailable(
                f"The TCM model {runtime.DEFAULT_MODEL} is not installed.",
                detail_zh="中医辨证建议暂时不可用：服务器上没有安装中医模型。请联系管理员。",
            )
        return model
    model = models.get(name)
    if model is None:
        known = ", ".join(sorted(models)) or "none"
        raise InvalidField.at(
            "body.model",
            f"No TCM model {name!r}; installed: {known}.",
            "unknown",
            zh=f"没有名为“{name}”的中医模型，请使用默认模型。",
        )
    return model


# --- the record -----------------------------------------------------------------------------------


def _entry_zh(category: str, code: str) -> str:
    """A vocabulary entry as the lists show it: “头晕”, or the code when unknown."""
    entry = vocabulary.vocabulary()[category].get(code)
    return f"“{entry.zh if entry else code}”"


def check_entries(body: SuggestIn) -> None:
    """Unknown or repeated codes, a symptom both present and absent → 422 naming the entry."""
    for field, category in STRUCTURED_FIELDS.items():
        codes = getattr(body, field)
        known = vocabulary.vocabulary()[category]
        seen: set[str] = set()
        for i, code in enumerate(codes):
            if code not in known:
                raise InvalidField.at(
                    f"body.{field}.{i}",
                    f"{code!r} is not a {category} code (GET /api/v1/tcm/vocabulary).",
                    "unknown",
                    zh=f"“{code}”不在{vocabulary.CATEGORY_NAMES[category][0]}列表中，请从列表中选择。",
                )
            if code in seen:
                raise InvalidField.at(
                    f"body.{field}.{i}",
                    f"{code!r} is listed twice.",
                    "duplicate",
                    zh=f"{_entry_zh(category, code)}选了两次，请去掉重复的一项。",
                )
            seen.add(code)
    both = set(body.symptoms) & set(body.absent_symptoms)
    if both:
        code = sorted(both)[0]
        raise InvalidField.at(
            f"body.absent_symptoms.{body.absent_symptoms.index(code)}",
            f"{code!r} is also listed as present.",
            "contradiction",
            zh=f"{_entry_zh('symptom', code)}同时勾选了“有”和“无”，请只选一个。",
        )


def record_from(body: SuggestIn) -> dict[str, str]:
    """The request as a record in the training format (Chinese keys), structured entries written
    out as the records write them and joined to the free text of the same part."""
    check_entries(body)
    symptoms = "，".join(
        t
        for t in (body.symptoms_text, vocabulary.symptoms_text(body.symptoms, body.absent_symptoms))
        if t
    )
    tongue = "，".join(
        t
        for t in (
            body.tongue_pulse_text,
            vocabulary.tongue_pulse_text(body.tongue_colour, body.coating, body.pulse),
        )
        if t
    )
    record = {
        "主诉": body.chief_complaint or "",
        "症状": symptoms,
        "中医望闻切诊": tongue,
        "病史": body.history or "",
    }
    if not any(has_han(v) for v in record.values()):
        raise InvalidField.at(
            "body",
            "Give at least one finding in Chinese: a complaint, symptoms, tongue and pulse, "
            "or entries from the lists.",
            "missing",
            zh="请至少用中文填写一项所见：主诉、症状、舌象脉象，或从列表中选择。",
        )
    return record


# --- treatment hints ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def treatments() -> dict[str, Any]:
    """The treatment hints file (treatments.yaml): 治法 and patent medicines per syndrome, English
    names of syndromes and diseases; read once."""
    return yaml.safe_load(TREATMENTS_FILE.read_text(encoding="utf-8"))


def syndrome_en(zh: str) -> str:
    """The English name of a syndrome (证型), or the Chinese one where none is recorded."""
    return treatments()["syndromes"].get(zh, {}).get("en", zh)


def disease_en(zh: str) -> str:
    """The English name of a TCM disease (病名), or the Chinese one where none is recorded."""
    return treatments()["diseases"].get(zh, {}).get("en", zh)


def treatment_for(session: Session, user: User, syndrome: str) -> TreatmentOut:
    """治法 and the catalog's Chinese patent medicines for ``syndrome``, each marked in or out of
    the caller's clinic formulary (None for users without a clinic)."""
    entry = treatments()["syndromes"].get(syndrome)
    if entry is None:
        return TreatmentOut(
            syndrome=Text(zh=syndrome, en=syndrome),
            principle=Text(zh="未收录", en="not on file"),
            medicines=[],
            note=Text(zh="该证型未收录治法", en="no treatment principle on file"),
        )
    codes = [m["code"] for m in entry.get("medicines", [])]
    drugs, stocked = kb_service.catalog_and_formulary(session, user, codes)
    medicines = []
    for item in entry.get("medicines", []):
        drug = drugs.get(item["code"])
        medicines.append(
            MedicineOut(
                code=item["code"],
                zh=drug.name_zh if drug else item["code"],
                en=drug.name_en if drug else item["code"],
                fit=item.get("fit", "full"),
                label=item.get("label", ""),
                in_catalog=drug is not None and drug.active,
                in_formulary=None
                if user.clinic_id is None
                else (drug is not None and drug.id in stocked),
            )
        )
    note = entry.get("note")
    if not medicines and note is None:
        note = {
            "zh": "县目录中没有适用于该证型的中成药",
            "en": "no catalog medicine fits this syndrome",
        }
    return TreatmentOut(
        syndrome=Text(zh=syndrome, en=entry["en"]),
        principle=Text.model_validate(entry["principle"]),
        medicines=medicines,
        note=None if note is None else Text.model_validate(note),
    )


# --- suggesting -----------------------------------------------------------------------------------


def _findings(ranked: runtime.Ranked) -> list[FindingOut]:
    return [FindingOut(zh=f.zh, block=f.block, negated=f.negated) for f in ranked.supporting]


def suggest(
    session: Session,
    user: User,
    models: Models,
    body: SuggestIn,
    kb: kb_service.KbContext | None = None,
) -> SuggestionOut:
    """The disease and syndromes of the record with their supporting findings and treatment
    hints; with ``encounter_id`` also stored on the visit (the syndromes as ``StoredSyndrome``,
    drawn from the same entries as the response) and read with the visit's own facts (its
    vitals, the patient's known conditions: ``visit.visit_facts``, listed in ``from_visit``).
    With a knowledge base, ``kb`` adds its 辨证, started from the Western diagnosis (``icd10``,
    else the encounter's confirmed one)."""
    model = resolve_model(models, body.model)
    encounter = None
    if body.encounter_id is not None:
        require_clinic_doctor(user)  # only the clinic's doctor writes on its encounters
        encounter = visible_encounter(session, user, body.encounter_id)
    record = record_from(body)
    added: list[Text] = []
    if encounter is not None:
        # the visit's vitals and the patient's known conditions, as the records write them
        facts = visit_facts(session, encounter, record["病史"])
        record |= facts.fields
        added = facts.notes
    result = model.suggest(record)
    diseases = [
        DiseaseOut(
            zh=r.label,
            en=disease_en(r.label),
            probability=r.probability,
            supporting=_findings(r),
        )
        for r in result.diseases
    ]
    syndromes = [
        SyndromeOut(
            zh=r.label,
            en=syndrome_en(r.label),
            probability=r.probability,
            suggested=r.label in result.suggested,
            supporting=_findings(r),
        )
        for r in result.syndromes
    ]
    out = SuggestionOut(
        model=ModelOut(name=model.name, version=model.version, clinical=model.clinical),
        disease=diseases[0],
        diseases=diseases,
        syndromes=syndromes,
        treatments=[treatment_for(session, user, s) for s in result.suggested],
        out_of_scope=result.out_of_scope,
        scope_notes=[Text.model_validate(note) for note in result.scope_notes],
        notice=Text.model_validate(NOTICE),
        suggestion_id=None,
        from_visit=added,
    )
    kb_record = record
    if kb is not None:
        icd10, source = body.icd10, "request" if body.icd10 else None
        if icd10 is None and encounter is not None:
            icd10 = kb_service.encounter_icd10(session, encounter.id)
            source = "encounter" if icd10 else None
        # the visit's patient: gynaecological diseases only for women, paediatric for children
        kb_record = record | (patient_fields(encounter) if encounter is not None else {})
        out.kb = kb_service.kb_suggestion(session, user, kb, kb_record, icd10, source, result)
    if encounter is not None:
        if out.kb is not None and out.kb.diseases:
            out.kb_suggestion_id = _store_kb(session, user, encounter.id, body, out.kb)
        stored = TcmSuggestion(
            encounter_id=encounter.id,
            model_name=model.name,
            model_version=model.version,
            request=body.model_dump(mode="json", exclude={"encounter_id"}),
            disease=diseases[0].zh,
            disease_probability=diseases[0].probability,
            syndromes=[StoredSyndrome.of(s).model_dump(mode="json") for s in syndromes],
            out_of_scope=result.out_of_scope,
            created_by_id=user.id,
        )
        session.add(stored)
        session.flush()
        out.suggestion_id = stored.id
    return out


def patient_fields(encounter) -> dict[str, str]:
    """性别 and 年龄 (whole years at the visit) of the encounter's patient, as records give them."""
    patient = encounter.patient
    on = (encounter.occurred_at or utcnow()).date()
    born = patient.birth_date
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    sex = {"male": "男", "female": "女"}.get(str(getattr(patient.sex, "value", patient.sex)))
    return {"年龄": str(max(age, 0))} | ({"性别": sex} if sex else {})


def _store_kb(session: Session, user: User, encounter_id: int, body: SuggestIn, kb) -> int:
    """The knowledge base's 辨证 stored on the visit as the learned model's suggestion is (one
    ``TcmSuggestion`` row, model ``kb:<name>``): the leading disease with its fit, its syndromes
    (fit as ``probability``, the first ``suggested``) and the findings that support each."""
    lead = kb.diseases[0]
    syndromes = [
        StoredSyndrome(
            zh=s.zh,
            probability=s.fit,
            suggested=i == 0,
            supporting=[
                FindingOut(
                    zh=f.zh,
                    block="tongue_pulse" if f.kind in SIGN_KINDS else "complaint",
                    negated=False,
                )
                for f in s.supporting
            ],
        ).model_dump(mode="json")
        for i, s in enumerate(lead.syndromes)
    ]
    row = TcmSuggestion(
        encounter_id=encounter_id,
        model_name=f"{KB_MODEL_PREFIX}{kb.name}",
        model_version=kb.version,
        request=body.model_dump(mode="json", exclude={"encounter_id"}),
        disease=lead.zh,
        disease_probability=lead.fit,
        syndromes=syndromes,
        out_of_scope=False,
        created_by_id=user.id,
    )
    session.add(row)
    session.flush()
    return row.id


def encounter_suggestions(session: Session, user: User, encounter_id: int):
    """The visit (if the user may see it) and the TCM suggestions stored on it, oldest first."""
    encounter = visible_encounter(session, user, encounter_id)
    rows = session.scalars(
        select(TcmSuggestion)
        .where(TcmSuggestion.encounter_id == encounter.id)
        .order_by(TcmSuggestion.id)
    ).all()
    return encounter, rows
