"""``gpassist settlement simulate``: settle a JSON file of bills from empty accumulators.

Bills are settled in input order (not re-sorted by date). A bill that breaks a rule gets
``{"id", "error"}`` and changes nothing; the rest go on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gpassist.settlement.chain import (
    Accumulators,
    Bill,
    BillRejected,
    LineItem,
    PatientFlags,
    settle,
)
from gpassist.settlement.policy import Level, Payer, Policy, VisitType, policy_in_force


class CaseItem(BaseModel):
    """One line of a simulated bill."""

    model_config = ConfigDict(extra="forbid")

    category: str
    quantity: int
    unit_price_fen: int


class CaseBill(BaseModel):
    """A simulated bill: patient, date, visit type, hospital level (checked per bill), lines."""

    model_config = ConfigDict(extra="forbid")

    id: str
    patient: str
    date: dt.date
    visit_type: str
    hospital_level: str
    items: list[CaseItem]


class CasePatient(BaseModel):
    """A simulated patient: poor or not, certified chronic diseases."""

    model_config = ConfigDict(extra="forbid")

    poor: bool = False
    chronic: list[str] = Field(default_factory=list)


class Cases(BaseModel):
    """A simulation file (``gpassist settlement simulate --cases``): patients and bills."""

    model_config = ConfigDict(extra="forbid")

    patients: dict[str, CasePatient]
    bills: list[CaseBill]


def run_cases(policies: list[Policy], cases: dict[str, Any] | Cases) -> list[dict[str, Any]]:
    """Settle the bills in order from empty accumulators: one result per bill, or an
    ``error`` for a bill the chain refuses.
    """
    parsed = cases if isinstance(cases, Cases) else Cases.model_validate(cases)
    ledger: dict[tuple[str, int], Accumulators] = {}
    out: list[dict[str, Any]] = []
    for case in parsed.bills:
        try:
            out.append(_settle_case(policies, parsed, case, ledger))
        except BillRejected as exc:
            out.append({"id": case.id, "error": str(exc)})
    return out


def _settle_case(
    policies: list[Policy],
    cases: Cases,
    case: CaseBill,
    ledger: dict[tuple[str, int], Accumulators],
) -> dict[str, Any]:
    patient = cases.patients.get(case.patient)
    if patient is None:
        raise BillRejected(
            "patient", f"unknown patient {case.patient!r}", f"没有病人“{case.patient}”。"
        )
    policy = policy_in_force(policies, case.date)
    if policy is None:
        raise BillRejected(
            "date",
            f"no settlement policy in force on {case.date}",
            f"{case.date} 没有适用的医保结算政策。",
        )
    try:
        visit_type = VisitType(case.visit_type)
    except ValueError:
        raise BillRejected(
            "visit_type",
            f"unknown visit type {case.visit_type!r}",
            f"不认识的就诊类型“{case.visit_type}”。",
        ) from None
    try:
        level = Level(case.hospital_level)
    except ValueError:
        raise BillRejected(
            "hospital_level",
            f"unknown level {case.hospital_level!r}",
            f"不认识的医院等级“{case.hospital_level}”。",
        ) from None
    bill = Bill(
        date=case.date,
        visit_type=visit_type,
        level=level,
        items=tuple(LineItem(i.category, i.quantity, i.unit_price_fen) for i in case.items),
    )
    key = (case.patient, case.date.year)
    flags = PatientFlags(poor=patient.poor, certified_chronic=bool(patient.chronic))
    result = settle(policy, bill, flags, ledger.get(key, Accumulators()))
    ledger[key] = result.accumulators
    return {
        "id": case.id,
        "total_fen": result.total_fen,
        "eligible_fen": result.eligible_fen,
        "payers": {payer.value: result.shares[payer] for payer in Payer},
        "patient_fen": result.patient_fen,
    }
