"""``gpassist followup plan``: run the rules over a JSON file of cases, without a database.

Input: ``{"patients": [{"id", "program", "age", "visits": [{"date", "sbp", "dbp",
"fasting_glucose", "heart_rate", "temperature", "adverse_reaction", "new_complication",
"symptoms"}]}]}``. Output: one object per visit, in input order. A visit that cannot be assessed
(a missing or impossible reading, an unknown symptom) gets ``error`` naming the field and is not a
follow-up: the next visit's "previous" is the last one without error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gpassist.followup.definitions import READING_RANGES, known_symptoms, load_programs
from gpassist.followup.rules import Classification, MissingReading, Visit, assess


class CaseVisit(BaseModel):
    """One visit of a planning file: its date, readings (null when not taken), flags, symptoms."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date
    sbp: float | None = None
    dbp: float | None = None
    fasting_glucose: float | None = None
    heart_rate: float | None = None
    temperature: float | None = None
    adverse_reaction: bool = False
    new_complication: bool = False
    symptoms: list[str] = Field(default_factory=list)


class CasePatient(BaseModel):
    """A patient of a planning file: id, program, age and visits in any order."""

    model_config = ConfigDict(extra="forbid")

    id: str
    program: str
    age: int = Field(ge=0, le=130)
    visits: list[CaseVisit]


class Cases(BaseModel):
    """A planning file (``gpassist followup plan --cases``): the patients."""

    model_config = ConfigDict(extra="forbid")

    patients: list[CasePatient]


def visit_problem(case: CaseVisit) -> str | None:
    """Why a visit's readings or symptoms cannot be right, naming the field; None if they can."""
    for name, (low, high) in READING_RANGES.items():
        value = getattr(case, name)
        if value is not None and not low <= value <= high:
            return f"{name} must be between {low} and {high}"
    if case.sbp is not None and case.dbp is not None and case.dbp >= case.sbp:
        return "dbp must be lower than sbp"
    unknown = sorted(set(case.symptoms) - known_symptoms())
    if unknown:
        return f"symptoms: unknown code {unknown[0]!r}"
    return None


def plan(cases: Cases) -> list[dict[str, Any]]:
    """One result per visit in input order: classification, referrals, reasons and next due
    date, or an ``error`` naming the missing or impossible reading.
    """
    programs = load_programs()
    results: list[dict[str, Any]] = []
    for patient in cases.patients:
        program = programs.get(patient.program)
        order = sorted(range(len(patient.visits)), key=lambda i: patient.visits[i].date)
        out: dict[int, dict[str, Any]] = {}
        previous: Classification | None = None
        for i in order:
            case = patient.visits[i]
            head = {"patient": patient.id, "date": case.date.isoformat()}
            if program is None:
                out[i] = {**head, "error": f"program: unknown program {patient.program!r}"}
                continue
            problem = visit_problem(case)
            if problem:
                out[i] = {**head, "error": problem}
                continue
            visit = Visit(
                **case.model_dump(exclude={"symptoms"}), symptoms=frozenset(case.symptoms)
            )
            try:
                result = assess(program, patient.age, visit, previous)
            except MissingReading as exc:
                out[i] = {**head, "error": f"{exc.reading} is required"}
                continue
            previous = result.classification
            out[i] = {
                **head,
                "classification": result.classification.value,
                "urgent_referral": result.urgent_referral,
                "referral": result.referral,
                "reasons": list(result.reasons),
                "next_due": result.next_due.isoformat(),
            }
        results.extend(out[i] for i in range(len(patient.visits)))
    return results
