"""The follow-up rule engine: classify a visit, decide referrals, compute the next due date.

Pure functions over plain values; no database, no Flask. Program thresholds come from the
definition files (``definitions.py``); what is written here is only how they combine:

- classification, highest first: complication > adverse_reaction > uncontrolled > controlled;
- urgent referral: any urgent threshold, any urgent symptom, or pregnancy/lactation with the
  program's raised readings;
- referral (independent of urgent): a complication, or this and the previous follow-up of the
  same program both uncontrolled;
- next due: controlled with neither kind of referral → 3 calendar months later (clamped to the
  month's last day); anything else → 14 days later.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from gpassist.followup.definitions import PREGNANCY_FLAGS, Program
from gpassist.labels import LabelledEnum


class Classification(LabelledEnum):
    """How a follow-up visit went (the program's classification, worst first), labelled with the
    standard's words (此次随访分类)."""

    complication = "complication", "并发症", "Complication"
    adverse_reaction = "adverse_reaction", "不良反应", "Adverse reaction"
    uncontrolled = "uncontrolled", "控制不满意", "Not controlled"
    controlled = "controlled", "控制满意", "Controlled"


CONTROLLED_INTERVAL_MONTHS = 3
OTHERWISE_INTERVAL = dt.timedelta(days=14)


@dataclass(frozen=True)
class Visit:
    """What a follow-up records. Absent readings are None."""

    date: dt.date
    sbp: float | None = None
    dbp: float | None = None
    fasting_glucose: float | None = None
    heart_rate: float | None = None
    temperature: float | None = None
    adverse_reaction: bool = False
    new_complication: bool = False
    symptoms: frozenset[str] = frozenset()

    def readings(self) -> dict[str, float | None]:
        return {
            "sbp": self.sbp,
            "dbp": self.dbp,
            "fasting_glucose": self.fasting_glucose,
            "heart_rate": self.heart_rate,
            "temperature": self.temperature,
        }


@dataclass(frozen=True)
class Assessment:
    """What a visit means: classification, referrals with their reasons, and the next due date."""

    classification: Classification
    urgent_referral: bool
    referral: bool
    reasons: tuple[str, ...]
    next_due: dt.date
    urgent_reasons: tuple[str, ...] = field(default=())


class MissingReading(ValueError):
    """The visit lacks a reading its program needs; it is not a follow-up."""

    def __init__(self, reading: str) -> None:
        super().__init__(f"{reading} is required")
        self.reading = reading


def missing_readings(program: Program, visit: Visit) -> list[str]:
    """The readings the program needs that the visit lacks."""
    readings = visit.readings()
    return [name for name in program.required_readings if readings[name] is None]


def classify(program: Program, age: int, visit: Visit) -> Classification:
    """Complication, adverse reaction, or controlled/uncontrolled against the program's
    target for the patient's age.
    """
    if visit.new_complication:
        return Classification.complication
    if visit.adverse_reaction:
        return Classification.adverse_reaction
    band = program.control_band(age)
    if all(condition.holds(visit.readings()) for condition in band.all):
        return Classification.controlled
    return Classification.uncontrolled


def urgent_reasons(program: Program, visit: Visit) -> list[str]:
    """Why the visit needs an urgent referral: readings past the program's limits, warning
    symptoms, and limits that apply in pregnancy or lactation; empty when none.
    """
    readings = visit.readings()
    reasons = [c.code for c in program.urgent.any if c.holds(readings)]
    reasons += [f"symptom:{s}" for s in program.urgent.symptoms if s in visit.symptoms]
    if any(flag in visit.symptoms for flag in PREGNANCY_FLAGS):
        raised = [c.code for c in program.urgent.pregnancy_or_lactation_with if c.holds(readings)]
        reasons += [f"pregnancy_or_lactation:{code}" for code in raised]
    return reasons


def assess(program: Program, age: int, visit: Visit, previous: Classification | None) -> Assessment:
    """Assess one follow-up. ``previous`` is the last valid follow-up's classification.

    Raises ``MissingReading`` when a required reading is absent.
    """
    missing = missing_readings(program, visit)
    if missing:
        raise MissingReading(missing[0])
    classification = classify(program, age, visit)
    urgent = urgent_reasons(program, visit)
    referral_reasons = []
    if classification == Classification.complication:
        referral_reasons.append("complication")
    if classification == Classification.uncontrolled and previous == Classification.uncontrolled:
        referral_reasons.append("uncontrolled_twice")
    clear = classification == Classification.controlled and not urgent and not referral_reasons
    return Assessment(
        classification=classification,
        urgent_referral=bool(urgent),
        referral=bool(referral_reasons),
        reasons=tuple(urgent + referral_reasons),
        next_due=next_due_date(visit.date, clear),
        urgent_reasons=tuple(urgent),
    )


def next_due_date(visit_date: dt.date, controlled_without_referral: bool) -> dt.date:
    """Three months after a controlled visit without referral, otherwise two weeks after."""
    if controlled_without_referral:
        return add_months(visit_date, CONTROLLED_INTERVAL_MONTHS)
    return visit_date + OTHERWISE_INTERVAL


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later, clamped to that month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
