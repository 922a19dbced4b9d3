"""The payer chain: who pays what of one bill. Pure code: no database, no clock.

It takes the policy, the bill, the patient's flags and the patient's accumulators for the bill's
year, and returns every payer's share, the patient's share and the new accumulators. The caller
stores those; the engine never reads or writes anything else.

Steps, each rounding half up to the fen where it writes an amount:
1. lines: amount = quantity × unit price; a category's self-pay ratio is the patient's first, the
   rest is eligible (E); non-eligible categories are the patient's. R starts at E.
2. basic insurance: the visit type's deductible (per year or per admission) stays in R; a ratio of
   the covered rest, within the visit type's annual cap.
3. serious illness: 60 % of the part of R above the threshold of the accumulator S; S grows by R.
4. medical assistance (poverty-registered only): a ratio of R within the annual cap.
5. safety nets (poverty-registered only): "180" a ratio of R; "351" everything that would take the
   patient's yearly inpatient share P past the stay level's cap; P grows by what is left.
6. the patient: what is left of R plus what was not eligible.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from gpassist.settlement.policy import Level, Payer, Policy, VisitType


@dataclass(frozen=True)
class LineItem:
    """One line of a bill: insurance category, quantity and unit price in fen."""

    category: str
    quantity: int
    unit_price_fen: int


@dataclass(frozen=True)
class Bill:
    """A bill to settle: date, visit type, the settling facility's level, lines."""

    date: dt.date
    visit_type: VisitType
    level: Level  # of the facility that settles the bill
    items: tuple[LineItem, ...]


@dataclass(frozen=True)
class PatientFlags:
    """What the payer chain needs to know of the patient on the bill's date."""

    poor: bool  # poverty-registered household (建档立卡)
    certified_chronic: bool  # holds a certified chronic disease on the bill's date


@dataclass(frozen=True)
class Accumulators:
    """One patient's running totals for one calendar year, in fen."""

    basic_outpatient: int = 0
    basic_chronic_outpatient: int = 0
    basic_inpatient: int = 0
    chronic_deductible: int = 0
    serious_illness_base: int = 0  # S
    medical_assistance: int = 0
    safety_net_351_base: int = 0  # P

    def basic_paid(self, visit_type: VisitType) -> int:
        return getattr(self, f"basic_{visit_type.value}")

    def minus(self, other: Accumulators) -> dict[str, int]:
        """The change from ``other`` to this, per accumulator (what a ledger journal records)."""
        return {
            f.name: getattr(self, f.name) - getattr(other, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != getattr(other, f.name)
        }


@dataclass(frozen=True)
class LineSplit:
    """A line's amount split into what insurance may cover and what the patient pays alone."""

    category: str
    amount_fen: int
    eligible_fen: int
    self_pay_fen: int


@dataclass(frozen=True)
class Settlement:
    """A settled bill: totals, each payer's share, what the patient pays, the new accumulators."""

    total_fen: int
    eligible_fen: int
    shares: dict[Payer, int]
    patient_fen: int
    lines: tuple[LineSplit, ...]
    accumulators: Accumulators


class BillRejected(ValueError):
    """A bill that breaks a rule; ``field`` is the path of what is wrong."""

    def __init__(self, field: str, message: str, message_zh: str | None = None) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.message_zh = message_zh


def share(amount: int, ratio: Decimal) -> int:
    """``ratio`` of ``amount`` fen, rounded half up to the fen."""
    return int((Decimal(amount) * ratio).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def check_bill(policy: Policy, bill: Bill, patient: PatientFlags) -> tuple[VisitType, Level]:
    """Raise ``BillRejected`` unless the bill can be settled under ``policy``."""
    visit_type, level = bill.visit_type, bill.level
    rule = policy.visit_types.get(visit_type)
    if rule is None or level not in rule.levels:
        raise BillRejected(
            "visit_type",
            f"{visit_type.value} is not settled at a {level.value} facility",
            f"{visit_type.zh}不能在{level.zh}机构结算。",
        )
    if rule.requires_certified_chronic_disease and not patient.certified_chronic:
        raise BillRejected(
            "visit_type",
            f"{visit_type.value} needs a certified chronic disease (门诊慢特病认定)",
            "患者没有有效的门诊慢特病认定，请按普通门诊结算。",
        )
    if not bill.items:
        raise BillRejected("items", "a bill needs at least one line", "账单至少要有一项收费。")
    for i, item in enumerate(bill.items):
        if item.category not in policy.categories:
            raise BillRejected(
                f"items.{i}.category",
                f"unknown category {item.category!r}",
                f"第 {i + 1} 项的医保类别 {item.category} 不存在。",
            )
        if item.quantity < 0:
            raise BillRejected(
                f"items.{i}.quantity",
                "a quantity cannot be negative",
                f"第 {i + 1} 项的数量不能为负。",
            )
        if item.unit_price_fen < 0:
            raise BillRejected(
                f"items.{i}.unit_price_fen",
                "a price cannot be negative",
                f"第 {i + 1} 项的单价不能为负。",
            )
    return visit_type, level


def split_lines(policy: Policy, items: tuple[LineItem, ...]) -> tuple[LineSplit, ...]:
    """Each line's amount split by its category: eligible and self-pay, in fen."""
    splits = []
    for item in items:
        amount = item.quantity * item.unit_price_fen
        category = policy.categories[item.category]
        self_pay = share(amount, category.self_pay_ratio) if category.eligible else amount
        splits.append(LineSplit(item.category, amount, amount - self_pay, self_pay))
    return tuple(splits)


def settle(policy: Policy, bill: Bill, patient: PatientFlags, before: Accumulators) -> Settlement:
    """Run the payer chain over one bill. ``before`` is the patient's year so far."""
    visit_type, level = check_bill(policy, bill, patient)
    lines = split_lines(policy, bill.items)
    total = sum(line.amount_fen for line in lines)
    eligible = sum(line.eligible_fen for line in lines)
    acc = dataclasses.replace(before)
    shares = dict.fromkeys(Payer, 0)
    remaining = eligible

    # 2. basic insurance
    rule = policy.basic_insurance[visit_type]
    deductible_left = 0
    if rule.deductible.kind == "per_year":
        deductible_left = max(0, rule.deductible.amount(level) - acc.chronic_deductible)
    elif rule.deductible.kind == "per_admission":
        deductible_left = rule.deductible.amount(level)
    in_deductible = min(remaining, deductible_left)
    cap_left = max(0, rule.annual_cap_fen - acc.basic_paid(visit_type))
    basic = min(share(remaining - in_deductible, rule.ratio_at(level)), cap_left)
    shares[Payer.basic_insurance] = basic
    remaining -= basic
    acc = dataclasses.replace(
        acc,
        **{f"basic_{visit_type.value}": acc.basic_paid(visit_type) + basic},
        chronic_deductible=acc.chronic_deductible
        + (in_deductible if rule.deductible.kind == "per_year" else 0),
    )

    # 3. serious illness
    serious = policy.serious_illness
    if visit_type in serious.visit_types:
        threshold = serious.threshold_fen["poor" if patient.poor else "other"]
        above = min(remaining, max(0, acc.serious_illness_base + remaining - threshold))
        paid = share(above, serious.ratio)
        shares[Payer.serious_illness] = paid
        acc = dataclasses.replace(acc, serious_illness_base=acc.serious_illness_base + remaining)
        remaining -= paid

    if patient.poor:
        # 4. medical assistance
        assistance = policy.medical_assistance
        ratio = assistance.ratio_by_visit_type.get(visit_type)
        if ratio is not None:
            cap_left = max(0, assistance.annual_cap_fen - acc.medical_assistance)
            paid = min(share(remaining, ratio), cap_left)
            shares[Payer.medical_assistance] = paid
            acc = dataclasses.replace(acc, medical_assistance=acc.medical_assistance + paid)
            remaining -= paid
        # 5. safety nets
        if visit_type in policy.safety_net_180.visit_types:
            paid = share(remaining, policy.safety_net_180.ratio)
            shares[Payer.safety_net_180] = paid
            remaining -= paid
        if visit_type in policy.safety_net_351.visit_types:
            cap = policy.safety_net_351.cap_fen_by_level[level]
            paid = min(remaining, max(0, acc.safety_net_351_base + remaining - cap))
            shares[Payer.safety_net_351] = paid
            remaining -= paid
            acc = dataclasses.replace(acc, safety_net_351_base=acc.safety_net_351_base + remaining)

    patient_fen = remaining + (total - eligible)
    assert sum(shares.values()) + patient_fen == total
    return Settlement(total, eligible, shares, patient_fen, lines, acc)


def patient_part_of_lines(lines: Sequence[LineSplit], patient_fen: int) -> tuple[int, ...]:
    """What the patient pays of each line, adding up to ``patient_fen`` exactly.

    Each line's self-pay part (category C, B's self-pay share) is the patient's whole. The rest
    of what the patient pays — the deductible, the co-payment the payers left — is a share of the
    eligible amounts, spread over the lines in proportion to their eligible amounts, to the fen
    by largest remainder (ties to the earlier line), so a line never shows more than it costs
    and the receipt's lines add up to its total.
    """
    self_pay = sum(line.self_pay_fen for line in lines)
    eligible = sum(line.eligible_fen for line in lines)
    left = patient_fen - self_pay
    if not 0 <= left <= eligible:
        raise ValueError(f"the patient's {patient_fen} fen do not fit the lines' amounts")
    if left == 0:
        return tuple(line.self_pay_fen for line in lines)
    quotients = [divmod(line.eligible_fen * left, eligible) for line in lines]
    parts = [q for q, _ in quotients]
    by_remainder = sorted(range(len(lines)), key=lambda i: (-quotients[i][1], i))
    for i in by_remainder[: left - sum(parts)]:
        parts[i] += 1
    return tuple(line.self_pay_fen + part for line, part in zip(lines, parts, strict=True))
