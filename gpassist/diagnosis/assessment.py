"""One case in, one assessment out: the ranking, the triage decision and the findings derived
from vitals and records. No Flask, no database: the /suggest service and the vignette command
both call ``assess`` so the two can never disagree.

Input assembly (issue 13):
- vitals → findings, only when the doctor did not state the finding: temperature_c ≥ 37.3 °C →
  ``fever`` present (the Chinese clinical threshold for 发热, axillary; 《传染病学》 9th ed. 2018);
  sbp ≥ 140 or dbp ≥ 90 mmHg → ``elevated-blood-pressure`` present (office threshold of the
  中国高血压防治指南 2018). A finding the model does not know is not derived.
- ``history`` (codes such as ``history-hypertension`` from the patient's programme enrolment or
  recorded diagnoses, gathered by the caller) → present, unless the doctor set it.
- the county's month and region multipliers (``epidemiology.py``) on the model's posterior;
  ``month`` None means today's month in Asia/Shanghai.
Triage (``triage.triage``) reads the assembled evidence, the vitals and the top conditions with
their probabilities.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gpassist.diagnosis.epidemiology import multipliers_for
from gpassist.diagnosis.triage import Decision, RankedUrgency, triage

FEVER_C = 37.3
SBP_HIGH = 140
DBP_HIGH = 90
TOP_K = 10


@dataclass(frozen=True)
class CaseInput:
    evidence: Mapping[str, str]
    age: int | None = None
    sex: str | None = None
    vitals: Mapping[str, Any] = field(default_factory=dict)  # triage's keys (temperature_c, ...)
    month: int | None = None  # 1-12; None: today in Asia/Shanghai
    epidemiology: Any = None  # clinics.schemas.EpidemiologyFile or None (neutral)
    history: tuple[str, ...] = ()  # history-* codes from the patient's records
    age_months: int | None = None  # 0-23, an infant's age in months (NICE NG143 rules)


@dataclass(frozen=True)
class DerivedFinding:
    code: str
    state: str  # present
    source: str  # "vitals.temperature_c", "vitals.sbp", "record"
    value: Any = None


@dataclass(frozen=True)
class Assessment:
    ranking: Any  # runtime.Ranking
    triage_decision: Decision
    derived_findings: tuple[DerivedFinding, ...]
    evidence: Mapping[str, str]  # the doctor's evidence plus the derived findings


def derive_findings(
    evidence: Mapping[str, str],
    vitals: Mapping[str, Any] | None,
    history: tuple[str, ...] = (),
    known: Mapping[str, Any] | None = None,
) -> tuple[DerivedFinding, ...]:
    """Findings the vitals and records imply that the doctor has not stated. ``known`` (the
    model's vocabulary) drops codes the model cannot use."""
    vitals = vitals or {}
    out: list[DerivedFinding] = []

    def add(code: str, source: str, value: Any) -> None:
        if code in evidence or any(d.code == code for d in out):
            return
        if known is not None and code not in known:
            return
        out.append(DerivedFinding(code, "present", source, value))

    temperature = vitals.get("temperature_c")
    if isinstance(temperature, int | float) and temperature >= FEVER_C:
        add("fever", "vitals.temperature_c", temperature)
    sbp, dbp = vitals.get("sbp"), vitals.get("dbp")
    if isinstance(sbp, int | float) and sbp >= SBP_HIGH:
        add("elevated-blood-pressure", "vitals.sbp", sbp)
    elif isinstance(dbp, int | float) and dbp >= DBP_HIGH:
        add("elevated-blood-pressure", "vitals.dbp", dbp)
    for code in history:
        add(code, "record", None)
    return tuple(out)


def _month(month: int | None) -> int:
    if month is not None:
        return month
    from gpassist.db import shanghai_today

    return shanghai_today().month


def assess(model, case: CaseInput, top_k: int = TOP_K) -> Assessment:
    """Rank and triage one case with ``model`` (a ``runtime.DiagnosisModel``)."""
    derived = derive_findings(case.evidence, case.vitals, case.history, model.symptoms)
    evidence = {**case.evidence, **{d.code: d.state for d in derived}}
    factors = multipliers_for(model, case.epidemiology, _month(case.month), case.age, evidence)
    ranking = model.rank(evidence, case.age, case.sex, multipliers=factors, top_k=top_k)
    top = [
        RankedUrgency(
            code=rc.condition.code,
            zh=rc.condition.zh,
            en=rc.condition.en,
            urgency=rc.condition.urgency,
            probability=rc.probability,
            care=getattr(rc.condition, "care", "village"),
        )
        for rc in ranking.ranked[:top_k]
    ]
    decision = triage(evidence, case.vitals, case.age, top, age_months=case.age_months)
    return Assessment(ranking, decision, derived, evidence)
