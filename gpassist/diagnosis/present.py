"""Diagnosis results as their response types: the ranked differential, triage and model of a
suggestion, a suggestion stored on the encounter, a confirmed diagnosis. The same types are
what the service stores (``StoredCondition.of``), so the response and the visit agree."""

from __future__ import annotations

from gpassist.diagnosis.schemas import (
    ConfirmedOut,
    DerivedFinding,
    Differential,
    ModelRef,
    ScoreItemOut,
    StoredSuggestion,
    SymptomRef,
    TriageOut,
    TriageReason,
    TriageScore,
)
from gpassist.diagnosis.tables import ConfirmedDiagnosis, DiagnosisSuggestion
from gpassist.diagnosis.triage import Decision
from gpassist.schemas import Text


def symptom_ref(model, code: str) -> SymptomRef:
    """A symptom by code with its names (the code itself where the model has no name)."""
    symptom = model.symptoms.get(code)
    if symptom is None:
        return SymptomRef(code=code, zh=code, en=code)
    return SymptomRef(code=code, zh=symptom.zh, en=symptom.en)


def complaint_out(model, parsed) -> dict:
    """The suggested findings of a complaint (``complaint.parse``) with the model's names."""
    findings = []
    for f in parsed.findings:
        ref = symptom_ref(model, f.code)
        findings.append(
            {
                "code": f.code,
                "zh": ref.zh,
                "en": ref.en,
                "state": f.state,
                "duration_days": f.duration_days,
                "start": f.start,
                "end": f.end,
                "word": f.word,
                "matched_code": f.matched_code,
                "alternatives": list(f.alternatives),
                "used": f.used,
            }
        )
    unmatched = [{"text": c.text, "start": c.start, "end": c.end} for c in parsed.unmatched]
    return {"model": model.name, "findings": findings, "unmatched": unmatched}


def differential_entry(model, ranked) -> Differential:
    """One ranked condition of the response, probability rounded to six places."""
    c = ranked.condition
    return Differential(
        code=c.code,
        icd10=c.icd10 or None,
        zh=c.zh,
        en=c.en,
        urgency=c.urgency,
        probability=round(float(ranked.probability), 6),
        supporting=[symptom_ref(model, code) for code in ranked.supporting],
    )


def model_ref(model) -> ModelRef:
    """The model that answered, with its version (stored with the suggestion too)."""
    return ModelRef(
        name=model.name,
        version=model.version,
        title=Text.model_validate(model.title),
        clinical=model.clinical,
    )


def _reason_out(reason) -> TriageReason:
    value = list(reason.value) if isinstance(reason.value, tuple) else reason.value
    return TriageReason(
        code=reason.code,
        level=reason.level.value,
        zh=reason.zh,
        en=reason.en,
        field=reason.field,
        value=value,
        source=Text(zh=reason.source_zh, en=reason.source_en),
        missing=list(reason.missing),
    )


def _score_out(score) -> TriageScore:
    return TriageScore(
        name=score.name,
        total=score.total,
        band=score.band,
        level=score.level,
        items=[
            ScoreItemOut(parameter=item.parameter, value=item.value, points=item.points)
            for item in score.items
        ],
        missing=list(score.missing),
        source=Text(zh=score.source_zh, en=score.source_en),
    )


def triage_out(decision: Decision) -> TriageOut:
    """The triage level, every reason with its guideline, and the early-warning scores."""
    return TriageOut(
        level=decision.level.value,
        reasons=[_reason_out(r) for r in decision.reasons],
        scores=[_score_out(s) for s in decision.scores],
    )


def confirmed_out(row: ConfirmedDiagnosis) -> ConfirmedOut:
    """A confirmed diagnosis as the API shows it."""
    return ConfirmedOut(
        id=row.id,
        encounter_id=row.encounter_id,
        condition=row.condition_code,
        model=row.model_name,
        icd10=row.icd10,
        zh=row.name_zh,
        en=row.name_en,
        suggestion_id=row.suggestion_id,
        matched_top1=row.matched_top1,
        in_top3=row.in_top3,
        confirmed_by_id=row.confirmed_by_id,
        confirmed_at=row.confirmed_at,
    )


def stored_out(row: DiagnosisSuggestion) -> StoredSuggestion:
    """A suggestion stored on the encounter; its JSON columns read back through their types."""
    return StoredSuggestion(
        id=row.id,
        mode=row.mode.value,
        model=row.model_name,
        model_version=row.model_version,
        request=row.request,
        differential=row.differential,
        triage_level=row.triage_level.value,
        triage_reasons=row.triage_reasons,
        out_of_scope=row.out_of_scope,
        created_by_id=row.created_by_id,
        created_at=row.created_at,
    )


def derived_out(model, derived) -> list[DerivedFinding]:
    """The findings the assessment added, named in the model's vocabulary."""
    out = []
    for d in derived:
        symptom = model.symptoms.get(d.code)
        out.append(
            DerivedFinding(
                code=d.code,
                zh=symptom.zh if symptom else d.code,
                en=symptom.en if symptom else d.code,
                state=d.state,
                source=d.source,
                value=d.value,
            )
        )
    return out
