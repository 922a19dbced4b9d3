"""Daily reconciliation: totals per facility and payer, net of reversals, and a consistency check.

The business date is the Asia/Shanghai date: ``Settlement.settled_on`` for settlements and
``Settlement.reversed_on`` for reversals. The check compares, for every settlement touched that
day, (a) its shares and patient part with the bill total, (b) its journal entries with its shares
(``basic_<visit type>`` == basic insurance, ``medical_assistance`` == medical assistance; a
reversal cancels the original entries exactly, and only a reversed settlement has any), and
(c) for each (patient, year) ledger touched, the ledger's values with the sum of its journal.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gpassist.clinics.tables import Facility
from gpassist.settlement.policy import Payer
from gpassist.settlement.service import ACCUMULATORS
from gpassist.settlement.tables import (
    JournalEntry,
    Ledger,
    Settlement,
    SettlementStatus,
)

PATIENT = "patient"  # the row of what patients paid, beside the payers
ROW_ORDER = (*(p.value for p in Payer), PATIENT)
ROW_NAMES = {**{p.value: (p.zh, p.en) for p in Payer}, PATIENT: ("个人支付", "Patients")}


@dataclass
class TotalRow:
    facility: str
    payer: str
    settled_fen: int = 0
    reversed_fen: int = 0

    @property
    def net_fen(self) -> int:
        return self.settled_fen - self.reversed_fen


@dataclass
class Difference:
    check: str  # bill_total | journal_vs_shares | reversal | ledger_vs_journal
    what: str  # the item compared, e.g. an accumulator or a payer
    expected: int
    found: int
    settlement_id: int | None = None
    patient_id: int | None = None
    year: int | None = None


@dataclass
class Reconciliation:
    date: dt.date
    facility: str | None
    rows: list[TotalRow] = field(default_factory=list)
    settled_count: int = 0
    reversed_count: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return not self.differences


def reconcile(session: Session, date: dt.date, facility: str | None = None) -> Reconciliation:
    """Raises ``LookupError`` for an unknown facility code."""
    codes = {row.id: row.code for row in session.execute(select(Facility.id, Facility.code))}
    query = select(Settlement).where(
        or_(Settlement.settled_on == date, Settlement.reversed_on == date)
    )
    if facility is not None:
        facility_id = next((i for i, c in codes.items() if c == facility), None)
        if facility_id is None:
            raise LookupError(f"No facility {facility!r}.")
        query = query.where(Settlement.facility_id == facility_id)
    settlements = session.scalars(query.order_by(Settlement.id)).all()
    out = Reconciliation(date, facility)
    rows: dict[tuple[str, str], TotalRow] = {}

    def row(code: str, payer: str) -> TotalRow:
        if (code, payer) not in rows:
            rows[code, payer] = TotalRow(code, payer)
        return rows[code, payer]

    for s in settlements:
        code = codes[s.facility_id]
        amounts = {share.payer.value: share.amount_fen for share in s.shares}
        amounts[PATIENT] = s.patient_fen
        settled_today = s.settled_on == date
        reversed_today = s.status == SettlementStatus.reversed and s.reversed_on == date
        out.settled_count += settled_today
        out.reversed_count += reversed_today
        for payer in ROW_ORDER:
            r = row(code, payer)
            if settled_today:
                r.settled_fen += amounts.get(payer, 0)
            if reversed_today:
                r.reversed_fen += amounts.get(payer, 0)
        out.differences.extend(_check_settlement(session, s))
    out.rows = sorted(rows.values(), key=lambda r: (r.facility, ROW_ORDER.index(r.payer)))
    for patient_id, year in sorted({(s.patient_id, s.year) for s in settlements}):
        out.differences.extend(_check_ledger(session, patient_id, year))
    return out


def _check_settlement(session: Session, s: Settlement) -> list[Difference]:
    found: list[Difference] = []
    shares = {share.payer: share.amount_fen for share in s.shares}
    total = s.bill.total_fen
    paid = sum(shares.values()) + s.patient_fen
    if paid != total:
        found.append(Difference("bill_total", "shares + patient", total, paid, s.id))
    original: dict[str, int] = defaultdict(int)
    reversal: dict[str, int] = defaultdict(int)
    for entry in session.scalars(
        select(JournalEntry).where(JournalEntry.settlement_id == s.id).order_by(JournalEntry.id)
    ):
        (reversal if entry.reversal else original)[entry.accumulator] += entry.delta_fen
    basic = f"basic_{s.bill.visit_type.value}"
    for accumulator, payer in (
        (basic, Payer.basic_insurance),
        ("medical_assistance", Payer.medical_assistance),
    ):
        expected = shares.get(payer, 0)
        if original.get(accumulator, 0) != expected:
            found.append(
                Difference(
                    "journal_vs_shares", accumulator, expected, original.get(accumulator, 0), s.id
                )
            )
    for accumulator in sorted(set(original) | set(reversal)):
        expected = -original.get(accumulator, 0) if s.status == SettlementStatus.reversed else 0
        if reversal.get(accumulator, 0) != expected:
            found.append(
                Difference("reversal", accumulator, expected, reversal.get(accumulator, 0), s.id)
            )
    return found


def _check_ledger(session: Session, patient_id: int, year: int) -> list[Difference]:
    sums: dict[str, int] = defaultdict(int)
    for entry in session.scalars(
        select(JournalEntry).where(JournalEntry.patient_id == patient_id, JournalEntry.year == year)
    ):
        sums[entry.accumulator] += entry.delta_fen
    ledger = session.get(Ledger, (patient_id, year))
    found = []
    for name in ACCUMULATORS:
        value = getattr(ledger, name) if ledger is not None else 0
        if value != sums.get(name, 0):
            found.append(
                Difference(
                    "ledger_vs_journal", name, sums.get(name, 0), value, None, patient_id, year
                )
            )
    return found


def totals_csv(rec: Reconciliation) -> bytes:
    """The totals for the insurance office; UTF-8 with a BOM so Excel opens the Chinese names."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["date", "facility", "payer", "payer_zh", "settled_fen", "reversed_fen", "net_fen"]
    )
    for r in rec.rows:
        writer.writerow(
            [
                rec.date.isoformat(),
                r.facility,
                r.payer,
                ROW_NAMES[r.payer][0],
                r.settled_fen,
                r.reversed_fen,
                r.net_fen,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def describe(d: Difference) -> str:
    where = (
        f"settlement {d.settlement_id}"
        if d.settlement_id is not None
        else f"ledger patient {d.patient_id} year {d.year}"
    )
    return f"{d.check}: {where} {d.what}: expected {d.expected}, found {d.found}"
