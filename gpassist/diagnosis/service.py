"""Assisted diagnosis for an encounter: rank, triage, interview, store. No Flask.

Confirming the doctor's diagnosis is in ``confirmation.py``; the response entries are built
in ``present.py``.

The models are loaded once per process (``load_installed_models``) and passed in by the caller;
every function here takes a session and plain values, adds and flushes, never commits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.auth.tables import User
from gpassist.db import shanghai_today
from gpassist.diagnosis import epidemiology, present, runtime
from gpassist.diagnosis.assessment import TOP_K, Assessment, CaseInput, assess
from gpassist.diagnosis.schemas import (
    InterviewIn,
    InterviewOut,
    StoredCondition,
    SuggestIn,
    SuggestionOut,
    SymptomRef,
)
from gpassist.diagnosis.search import index_for
from gpassist.diagnosis.tables import ConfirmedDiagnosis, DiagnosisSuggestion, SuggestionMode
from gpassist.errors import InvalidField, Problem
from gpassist.followup.tables import Enrolment, EnrolmentStatus
from gpassist.patients.schemas import age_on, months_on
from gpassist.patients.service import require_clinic_doctor, visible_encounter
from gpassist.patients.tables import Encounter
from gpassist.schemas import Text

log = logging.getLogger("gpassist.diagnosis")

NON_CLINICAL_NOTE = {
    "zh": "该模型为科研基准模型（非临床用途），仅用于评测，不能作为诊疗依据。",
    "en": "This is a research benchmark model (not for clinical use); do not base care on it.",
}
Models = Mapping[str, Any]  # name -> runtime.DiagnosisModel


class ModelUnavailable(Problem):
    """503: the diagnosis model asked for (or the default) is not installed."""

    status = 503
    slug = "model-unavailable"
    title = "The diagnosis model is not installed"
    title_zh = "诊断模型未安装"


def load_installed_models(root: Path | None = None) -> dict[str, Any]:
    """Every committed model under ``root`` (default: the runtime's model root), loaded once per
    process. A missing default model is logged, not fatal: the rest of the service still runs and
    the diagnosis endpoints answer 503 until it is installed."""
    folder = Path(root) if root else runtime.model_root()
    models = runtime.load_models(folder) if folder.is_dir() else {}
    if runtime.DEFAULT_MODEL not in models:
        log.error("diagnosis model %r is not installed in %s", runtime.DEFAULT_MODEL, folder)
    return models


# --- models and symptoms ---------------------------------------------------------------------


def resolve_model(models: Models, name: str | None, field: str = "body.model"):
    """The model named, or the default clinical one. Benchmark (non-clinical) models only when
    named explicitly; an unknown name is a validation error on ``field``."""
    if name is None:
        model = models.get(runtime.DEFAULT_MODEL)
        if model is None or not model.clinical:
            raise ModelUnavailable(
                f"The default model {runtime.DEFAULT_MODEL} is not installed.",
                detail_zh="诊断建议暂时不可用：服务器上没有安装诊断模型。请照常诊疗，并联系管理员。",
            )
        return model
    model = models.get(name)
    if model is None:
        known = ", ".join(sorted(models)) or "none"
        raise InvalidField.at(
            field,
            f"No diagnosis model {name!r}; installed: {known}.",
            "unknown",
            zh=f"没有名为“{name}”的诊断模型，请使用默认模型。",
        )
    return model


def model_summaries(models: Models) -> list[dict[str, Any]]:
    """The installed models, the default first, then clinical ones, then by name."""
    out = []
    for model in models.values():
        out.append(
            {
                "name": model.name,
                "title": model.title,
                "version": model.version,
                "clinical": model.clinical,
                "default": model.name == runtime.DEFAULT_MODEL,
                "symptoms": len(model.symptoms),
                "conditions": len(model.conditions),
                "metrics": headline_metrics(model.metrics),
            }
        )
    out.sort(key=lambda m: (not m["default"], not m["clinical"], m["name"]))
    return out


HEADLINE = (
    "n",
    "top1",
    "top3",
    "top5",
    "macro_f1",
    "avg_turns",
    "bayes_optimal_top1",
    "bayes_optimal_top5",
    "ece",
    "accuracy_at_0_9",
)


def headline_metrics(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The held-out figures of metrics.json per protocol (top-k, macro-F1, turns, the
    Bayes-optimal ceiling where there is one) and the chosen estimator; not the training log."""
    out: dict[str, Any] = {}
    heldout = metrics.get("heldout")
    if isinstance(heldout, Mapping):
        for protocol, figures in heldout.items():
            if not isinstance(figures, Mapping):
                continue
            picked = {
                key: figures[key]
                for key in HEADLINE
                if isinstance(figures.get(key), int | float) and not isinstance(figures[key], bool)
            }
            if picked:
                out[protocol] = picked
    selected = metrics.get("selected")
    if isinstance(selected, Mapping) and isinstance(selected.get("candidate"), str):
        out["estimator"] = selected["candidate"]
    return out


def search_symptoms(models: Models, q: str | None, model_name: str | None, limit: int):
    """(model, [(symptom, hit or None)]) — matches of ``q``, or the vocabulary when q is empty."""
    model = resolve_model(models, model_name, "query.model")
    index = index_for(model.symptoms, model)
    if not q:
        ordered = sorted(
            model.symptoms.values(),
            key=lambda s: (not index.is_used(s.code), (s.pinyin or s.en).lower()),
        )
        return model, [(s, None) for s in ordered[:limit]]
    hits = index.search(q, limit)
    return model, [(model.symptoms[h.code], h) for h in hits]


def check_evidence(model, evidence: Mapping[str, str]) -> None:
    """Every code must be in the model's vocabulary; each unknown one is named, with a hint."""
    unknown = [code for code in evidence if code not in model.symptoms]
    if not unknown:
        return
    index = index_for(model.symptoms, model)
    errors = []
    for code in unknown[:20]:
        near = [h.code for h in index.search(code, 3)]
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        near_zh = "、".join(model.symptoms[c].zh for c in near if c in model.symptoms)
        errors.append(
            {
                "field": f"body.evidence.{code}",
                "message": f"{code!r} is not a symptom of model {model.name}{hint}",
                "message_zh": f"诊断模型不认识症状“{code}”，请从症状列表中选择"
                + (f"（是不是：{near_zh}？）" if near_zh else "。"),
                "code": "unknown_symptom",
            }
        )
    raise InvalidField(
        f"{len(unknown)} symptom code(s) unknown to model {model.name}; "
        "find codes with GET /api/v1/diagnosis/symptoms?q=",
        detail_zh=f"有 {len(unknown)} 个症状诊断模型不认识，请从症状列表中重新选择。",
        errors=errors,
    )


# --- suggesting --------------------------------------------------------------------------------


def suggest(
    session: Session,
    user: User,
    models: Models,
    body: SuggestIn | InterviewIn,
    mode: SuggestionMode,
) -> SuggestionOut:
    """Rank, triage and (with ``encounter_id``) store; for an interview, also the next question
    (an ``InterviewOut``). The stored differential is drawn from the same entries."""
    model = resolve_model(models, body.model)
    check_evidence(model, body.evidence)
    if mode == SuggestionMode.suggest and "present" not in body.evidence.values():
        raise InvalidField.at(
            "body.evidence",
            "Give at least one present symptom (or use the interview).",
            "empty",
            zh="请至少勾选一个病人现有的症状（或使用问诊向导）。",
        )
    encounter = _encounter_to_store_on(session, user, body.encounter_id)
    _check_age_matches_patient(body.age, encounter)
    months = _age_months(body, encounter)
    vitals = _vitals_for_triage(body, encounter)
    case = CaseInput(
        evidence=dict(body.evidence),
        age=body.age,
        age_months=months,
        sex=body.sex.value,
        vitals=vitals,
        month=body.month,
        epidemiology=epidemiology.current(session) if model.clinical else None,
        history=recorded_history(session, encounter) if encounter is not None else (),
    )
    assessment = _assess(model, case)
    ranking, decision, evidence = (
        assessment.ranking,
        assessment.triage_decision,
        dict(assessment.evidence),
    )
    top = [present.differential_entry(model, rc) for rc in ranking.ranked[:TOP_K]]
    notes = [Text.model_validate(note) for note in ranking.scope_notes]
    if not model.clinical:
        notes.append(Text.model_validate(NON_CLINICAL_NOTE))
    fields: dict[str, Any] = {
        "model": present.model_ref(model),
        "differential": top,
        "triage": present.triage_out(decision),
        "out_of_scope": bool(ranking.out_of_scope),
        "notes": notes,
        "ignored": list(ranking.ignored),
        "derived_findings": present.derived_out(model, assessment.derived_findings),
        "suggestion_id": None,
    }
    if mode == SuggestionMode.interview:
        result: SuggestionOut = InterviewOut(**fields, **_next_question(model, evidence, body))
    else:
        result = SuggestionOut(**fields)
    if encounter is not None:
        stored = _store(session, user, encounter, model, body, mode, top, assessment, vitals)
        result.suggestion_id = stored.id
    return result


def _check_age_matches_patient(age: int, encounter: Encounter | None) -> None:
    """The age sent must be the visit's patient's (one year of slack for a birthday): the
    infant and child triage rules key on it, so a 30 typed for a 3-month-old would skip them."""
    if encounter is None:
        return
    actual = age_on(encounter.patient.birth_date, shanghai_today())
    if abs(actual - age) > 1:
        raise InvalidField.at(
            "body.age",
            f"The patient of encounter {encounter.id} is {actual}, not {age}.",
            "mismatch",
            zh=f"本次就诊的病人 {actual} 岁，不是 {age} 岁，请改正年龄。",
        )


def _age_months(body: SuggestIn, encounter: Encounter | None) -> int | None:
    """An infant's age in months for the NICE NG143 rules (a 2-month-old's fever is red, a
    5-month-old's amber): from the patient's birth date on an encounter (the record is the
    better witness), else as sent; None from 24 months, where no rule is set in months."""
    if encounter is not None:
        months = months_on(encounter.patient.birth_date, shanghai_today())
        return months if months <= 23 else None
    if body.age_months is not None and body.age_months // 12 != body.age:
        raise InvalidField.at(
            "body.age_months",
            f"{body.age_months} months is not {body.age} years.",
            "mismatch",
            zh=f"{body.age_months} 个月与 {body.age} 岁对不上，请核对年龄和月龄。",
        )
    return body.age_months


ENCOUNTER_VITALS = ("sbp", "dbp", "heart_rate", "temperature_c", "spo2", "glucose_mmol_l")


def _vitals_for_triage(body: SuggestIn, encounter: Encounter | None) -> dict[str, Any]:
    """The vitals recorded on the encounter, each overridden by a reading sent with the request:
    a blood pressure taken at the start of the visit still triggers its rule when the doctor
    sends only a new temperature (a red flag is never dropped because another vital was sent)."""
    merged: dict[str, Any] = {}
    if encounter is not None:
        recorded = {name: getattr(encounter, name) for name in ENCOUNTER_VITALS}
        merged = {name: value for name, value in recorded.items() if value is not None}
    if body.vitals is not None:
        merged.update(body.vitals.model_dump(exclude_none=True))
    return merged


def _vitals_source(body: SuggestIn, vitals: Mapping[str, Any]) -> str | None:
    """Where the triaged vitals came from: request, encounter or both (None: no vitals)."""
    sent = set(body.vitals.model_dump(exclude_none=True)) if body.vitals is not None else set()
    if not vitals:
        return None
    if not sent:
        return "encounter"
    return "request" if sent >= set(vitals) else "request+encounter"


def _encounter_to_store_on(session: Session, user: User, encounter_id: int | None):
    if encounter_id is None:
        return None
    require_clinic_doctor(user)  # only the clinic's doctor writes on its encounters
    return visible_encounter(session, user, encounter_id)


# A chronic diagnosis on record makes its history-* finding present (issue 13): enrolment in the
# follow-up programme, or a confirmed or recorded diagnosis with one of these ICD-10 codes.
HISTORY_PROGRAMS = {"hypertension": "history-hypertension", "diabetes": "history-diabetes"}
HISTORY_ICD10 = {
    "history-hypertension": ("I10", "I11", "I12", "I13", "I15"),
    "history-diabetes": ("E10", "E11", "E12", "E13", "E14"),
}


def recorded_history(session: Session, encounter: Encounter) -> tuple[str, ...]:
    """history-* codes the patient's records support, in a fixed order."""
    patient_id = encounter.patient_id
    found = {
        HISTORY_PROGRAMS[program]
        for program in session.scalars(
            select(Enrolment.program).where(
                Enrolment.patient_id == patient_id,
                Enrolment.status == EnrolmentStatus.active,
                Enrolment.program.in_(tuple(HISTORY_PROGRAMS)),
            )
        )
    }
    codes = list(
        session.scalars(
            select(ConfirmedDiagnosis.icd10)
            .join(Encounter, Encounter.id == ConfirmedDiagnosis.encounter_id)
            .where(Encounter.patient_id == patient_id)
        )
    )
    for diagnoses in session.scalars(
        select(Encounter.diagnoses).where(Encounter.patient_id == patient_id)
    ):
        codes.extend(str(d) for d in diagnoses or ())
    for finding, prefixes in HISTORY_ICD10.items():
        if any(code.upper().startswith(prefixes) for code in codes):
            found.add(finding)
    return tuple(sorted(found))


def _assess(model, case: CaseInput) -> Assessment:
    try:
        return assess(model, case)
    except runtime.UnknownSymptoms as exc:  # checked above; kept for a runtime stricter than us
        raise InvalidField(
            "Symptom codes unknown to the model.",
            detail_zh="有症状诊断模型不认识，请从症状列表中重新选择。",
            errors=[
                {
                    "field": f"body.evidence.{c}",
                    "message": "unknown symptom",
                    "message_zh": f"诊断模型不认识症状“{c}”，请从症状列表中选择。",
                    "code": "unknown",
                }
                for c in exc.codes
            ],
        ) from exc


def _next_question(model, evidence, body: InterviewIn) -> dict[str, Any]:
    question, should_stop = model.next_question(
        evidence,
        age=body.age,
        sex=body.sex.value,
        questions_asked=body.questions_asked,
        max_questions=body.max_questions,
    )
    if question is None or should_stop:
        return {"next_question": None, "expected_gain": None, "should_stop": True}
    symptom = question.symptom
    return {
        "next_question": SymptomRef(code=symptom.code, zh=symptom.zh, en=symptom.en),
        "expected_gain": round(float(question.expected_gain), 6),
        "should_stop": False,
    }


def _store(session, user, encounter, model, body, mode, top, assessment, vitals):
    decision, ranking = assessment.triage_decision, assessment.ranking
    request = {
        "age": body.age,
        "sex": body.sex.value,
        "evidence": dict(body.evidence),
        "vitals": vitals,
    }
    if body.month is not None:
        request["month"] = body.month
    months = _age_months(body, encounter)
    if months is not None:
        request["age_months"] = months
    if assessment.derived_findings:
        request["derived"] = [
            {"code": d.code, "state": d.state, "source": d.source, "value": d.value}
            for d in assessment.derived_findings
        ]
    source = _vitals_source(body, vitals)
    if source and source != "request":
        request["vitals_from"] = source
    if mode == SuggestionMode.interview:
        request["questions_asked"] = body.questions_asked
        request["max_questions"] = body.max_questions
    stored = DiagnosisSuggestion(
        encounter_id=encounter.id,
        mode=mode,
        model_name=model.name,
        model_version=model.version,
        request=request,
        differential=[StoredCondition.of(entry).model_dump(mode="json") for entry in top],
        triage_level=decision.level,
        triage_reasons=[
            {
                "code": r.code,
                "level": r.level.value,
                "field": r.field,
                "value": list(r.value) if isinstance(r.value, tuple) else r.value,
                "source": r.source,
                **({"missing": list(r.missing)} if r.missing else {}),
            }
            for r in decision.reasons
        ],
        out_of_scope=bool(ranking.out_of_scope),
        created_by_id=user.id,
    )
    session.add(stored)
    session.flush()
    return stored
