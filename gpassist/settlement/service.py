"""Settle a bill at the counter, reverse a settlement, read receipts.

A settlement, its shares, the ledger change and the journal entries are written in one
transaction (the caller's). Settlements for one patient are serialised: the patient's row is
locked (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite every writing transaction begins
IMMEDIATE, see ``gpassist.db``) before the ledger is read, so caps hold under any interleaving.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections import Counter
from collections.abc import Collection

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from gpassist.audit.service import record_event
from gpassist.auth.tables import Role, User
from gpassist.clinics.tables import Drug, Facility, ServiceItem
from gpassist.db import utcnow
from gpassist.errors import Conflict, Forbidden, InvalidField, NotFound
from gpassist.followup.service import has_certified_chronic_disease
from gpassist.idempotency import check_replay, request_hash
from gpassist.patients.service import visible_encounter, visible_patient
from gpassist.patients.tables import Encounter, Patient
from gpassist.prescriptions.tables import Prescription
from gpassist.settlement import chain
from gpassist.settlement.policy import Level, Payer, Policy, policy_in_force
from gpassist.settlement.schemas import BillIn, BillLineIn, EncounterBillIn
from gpassist.settlement.tables import (
    Bill,
    BillLine,
    BillSource,
    JournalEntry,
    Ledger,
    PayerPolicy,
    Settlement,
    SettlementShare,
    SettlementStatus,
)

PRESCRIPTIONS = Prescription.__table__
ACCUMULATORS = tuple(f.name for f in dataclasses.fields(chain.Accumulators))


def county_policies(session: Session) -> tuple[Policy, ...]:
    """The payer policy versions ``gpassist load-clinics`` stored for the county, oldest first."""
    rows = session.execute(
        select(PayerPolicy.id, PayerPolicy.document)
        .where(PayerPolicy.active)
        .order_by(PayerPolicy.effective_from)
    ).all()
    return tuple(_policy(json.dumps(row.document, sort_keys=True)) for row in rows)


@functools.lru_cache(maxsize=64)
def _policy(document: str) -> Policy:
    # Keyed by the document itself, so a reloaded (changed) policy is validated afresh.
    return Policy.model_validate_json(document)


def lock_patient(session: Session, patient_id: int) -> Patient:
    """Take the patient's row lock: the one gate every ledger change of theirs passes."""
    # Lock the bare row (the mapped class joins its clinic and household, which PostgreSQL will
    # not lock through an outer join), then load it fresh.
    session.execute(select(Patient.id).where(Patient.id == patient_id).with_for_update())
    patient = session.get(Patient, patient_id, populate_existing=True)
    assert patient is not None
    return patient


def settle_bill(
    session: Session,
    user: User,
    data: BillIn,
    idempotency_key: str,
    today: dt.date,
    policies: tuple[Policy, ...] | None = None,
    *,
    digest: str | None = None,
    prescriptions: Collection[int] | None = None,
    drugs_by_prescription: bool = True,
) -> tuple[Settlement, bool]:
    """Settle a bill; returns the settlement and whether it is new (False: a replay).

    Drug lines are billed only as the lines of the visit's (``data.encounter_id``) issued,
    unsettled prescriptions, each prescription whole (``prescriptions`` narrows which), and
    those prescriptions are marked paid by this settlement; a free line naming a catalog drug
    is refused too. So a drug reaches a bill only through the prescribing rules.
    ``drugs_by_prescription=False`` is for history written as bills (the demo's past months).
    ``digest`` replaces the digest of ``data`` when the request was not the bill itself (the
    visit's bill, built from its prescriptions).
    """
    facility = _facility_for(session, user, data)
    visible_patient(session, user, data.patient_id)  # 404 for another clinic's patient
    patient = lock_patient(session, data.patient_id)
    digest = digest or request_hash(data)
    earlier = session.scalar(
        select(Settlement).where(
            Settlement.idempotency_user_id == user.id,
            Settlement.idempotency_key == idempotency_key,
        )
    )
    if earlier is not None:
        check_replay(earlier.request_hash, digest, "bill")
        return earlier, False
    bill_date = data.bill_date or today
    if bill_date > today:
        raise InvalidField.at(
            "body.bill_date", "A bill cannot be dated in the future.", zh="结算日期不能晚于今天。"
        )
    policy = policy_in_force(list(policies or county_policies(session)), bill_date)
    if policy is None:
        raise InvalidField.at(
            "body.bill_date",
            f"No settlement policy is in force on {bill_date}.",
            zh=f"{bill_date} 没有生效的医保结算政策，无法结算。",
        )
    encounter = _encounter_for(session, user, data)
    if encounter is not None:
        _fee_once(session, encounter, data)
    lines = [_line(session, i, item) for i, item in enumerate(data.items)]
    paid_prescriptions: list[Prescription] = []
    if drugs_by_prescription:
        _no_drug_as_free_line(session, data)
        paid_prescriptions = _prescribed(session, data, encounter, prescriptions)
    bill = chain.Bill(
        date=bill_date,
        visit_type=data.visit_type,
        level=payer_level(facility),
        items=tuple(chain.LineItem(c, q, p) for _, _, c, q, p in lines),
    )
    flags = chain.PatientFlags(
        poor=patient.poverty_registered,
        certified_chronic=has_certified_chronic_disease(session, patient.id, bill_date),
    )
    ledger = _ledger(session, patient.id, bill_date.year)
    before = chain.Accumulators(**{name: getattr(ledger, name) for name in ACCUMULATORS})
    try:
        result = chain.settle(policy, bill, flags, before)
    except chain.BillRejected as exc:
        raise InvalidField.at(f"body.{exc.field}", exc.message, zh=exc.message_zh) from exc
    settlement = record_settlement(
        session,
        user,
        patient,
        facility,
        bill,
        lines,
        policy,
        result,
        before,
        ledger,
        source=BillSource.counter,
    )
    settlement.idempotency_user_id = user.id
    settlement.idempotency_key = idempotency_key
    settlement.request_hash = digest
    settlement.encounter_id = encounter.id if encounter else None
    session.flush()
    _mark_paid(session, paid_prescriptions, settlement)
    return settlement, True


def _encounter_for(session: Session, user: User, data: BillIn) -> Encounter | None:
    if data.encounter_id is None:
        return None
    encounter = session.get(Encounter, data.encounter_id)
    if encounter is None or encounter.patient_id != data.patient_id:
        raise _refused(
            "body.encounter_id",
            f"No visit {data.encounter_id} of patient {data.patient_id}.",
            "没有这位患者的这次就诊。",
        )
    return visible_encounter(session, user, encounter.id)


def _fee_once(session: Session, encounter: Encounter, data: BillIn) -> None:
    """One bill per visit: once it is settled, only drugs prescribed later may follow, never
    the visit's services (its fee) again."""
    if not any(item.service is not None or item.description is not None for item in data.items):
        return
    if visit_settled(session, encounter.id):
        raise Conflict(
            f"Visit {encounter.id} is settled already; only drugs prescribed since may be billed.",
            detail_zh="本次就诊已结算，诊疗费等项目不能重复收取。",
        )


def _refused(field: str, message: str, message_zh: str) -> InvalidField:
    return InvalidField.at(field, message, zh=message_zh)


def visit_settled(session: Session, encounter_id: int) -> bool:
    """Whether the visit has a settled (not refunded) bill."""
    return (
        session.scalar(
            select(Settlement.id).where(
                Settlement.encounter_id == encounter_id,
                Settlement.status == SettlementStatus.settled,
            )
        )
        is not None
    )


def unsettled_prescriptions(session: Session, encounter_id: int) -> list[Prescription]:
    """The visit's prescriptions not paid yet (never settled, or settled and refunded)."""
    reversed_ids = select(Settlement.id).where(Settlement.status == SettlementStatus.reversed)
    return list(
        session.scalars(
            select(Prescription)
            .where(
                Prescription.encounter_id == encounter_id,
                or_(
                    Prescription.settlement_id.is_(None),
                    Prescription.settlement_id.in_(reversed_ids),
                ),
            )
            .order_by(Prescription.id)
        )
    )


def _prescribed(
    session: Session,
    data: BillIn,
    encounter: Encounter | None,
    only: Collection[int] | None,
) -> list[Prescription]:
    """The prescriptions whose lines are the bill's drug lines, each whole; 422 for a drug line
    that is not a line of an unsettled prescription of the visit."""
    drug_lines = [(i, item) for i, item in enumerate(data.items) if item.drug is not None]
    if not drug_lines:
        return []
    if encounter is None:
        i, item = drug_lines[0]
        raise _refused(
            f"body.items.{i}.drug",
            f"{item.drug} is a drug: drugs are billed only through a prescription. Prescribe it "
            "on the visit, then settle the visit (POST /api/v1/encounters/{id}/settlement).",
            "药品只能凭处方收费：请在本次就诊开具处方（处方审核会检查过敏、妊娠、相互作用和剂量），"
            "再结算本次就诊。",
        )
    wanted = Counter((item.drug, item.quantity) for _, item in drug_lines)
    chosen = []
    for prescription in unsettled_prescriptions(session, encounter.id):
        if only is not None and prescription.id not in only:
            continue
        lines = Counter((line.drug.code, line.quantity) for line in prescription.lines)
        if lines and not lines - wanted:  # every line of it is on the bill
            wanted -= lines
            chosen.append(prescription)
    if wanted and only and not chosen and _settled_meanwhile(session, only):
        # Another counter settled this prescription after it was read here: a conflict, not a
        # wrong bill (the page reloads and shows it settled).
        raise Conflict("The prescription is already settled.", detail_zh="这张处方已经结算过了。")
    if wanted:
        i, item = next((i, it) for i, it in drug_lines if (it.drug, it.quantity) in wanted)
        raise _refused(
            f"body.items.{i}.drug",
            f"{item.drug} × {item.quantity} is not a line of an unsettled prescription of visit "
            f"{encounter.id} (a prescription is billed whole, with its quantities).",
            "这项药品不是本次就诊已开具、未结算处方中的一行（处方需整张结算，数量与处方一致）。"
            "药品只能凭处方收费。",
        )
    return chosen


def _settled_meanwhile(session: Session, prescription_ids: Collection[int]) -> bool:
    return (
        session.scalar(
            select(func.count())
            .select_from(Prescription)
            .where(Prescription.id.in_(prescription_ids), Prescription.settlement_id.is_not(None))
        )
        > 0
    )


def _no_drug_as_free_line(session: Session, data: BillIn) -> None:
    """A free line is for what the catalog lacks: one that names a catalog drug is refused, so a
    drug cannot reach a bill around the prescribing rules by being typed in."""
    free = [(i, item) for i, item in enumerate(data.items) if item.description is not None]
    if not free:
        return
    roots = drug_name_roots(session)
    for i, item in free:
        text = (item.description or "").lower()
        named = next((root for root in roots if root in text), None)
        if named is not None:
            raise _refused(
                f"body.items.{i}.description",
                f"{item.description!r} names a drug ({named}): drugs are billed only through a "
                "prescription.",
                f"“{item.description}”是药品（{named}）：药品只能凭处方收费，不能作为其他收费项目。",
            )


# Dosage-form words a catalog name ends with: 阿莫西林胶囊 is named by 阿莫西林 alone too.
_FORM_SUFFIXES = sorted(
    [
        "缓释片",
        "控释片",
        "肠溶片",
        "分散片",
        "泡腾片",
        "咀嚼片",
        "含片",
        "薄膜衣片",
        "片",
        "肠溶胶囊",
        "缓释胶囊",
        "软胶囊",
        "胶囊",
        "颗粒",
        "注射液",
        "口服液",
        "口服溶液",
        "溶液",
        "糖浆",
        "混悬液",
        "滴丸",
        "丸",
        "散",
        "软膏",
        "乳膏",
        "凝胶",
        "贴剂",
        "滴眼液",
        "喷雾剂",
        "气雾剂",
        "栓",
        "合剂",
        "酊",
        "搽剂",
        "洗剂",
    ],
    key=len,
    reverse=True,
)


def drug_name_roots(session: Session) -> list[str]:
    """Lower-case names a free line must not carry: each active catalog drug's Chinese name,
    that name without its dosage form, and its English generic group."""
    roots: set[str] = set()
    for name_zh, group in session.execute(
        select(Drug.name_zh, Drug.generic_group).where(Drug.active.is_(True))
    ):
        roots.add(name_zh.lower())
        for suffix in _FORM_SUFFIXES:
            if name_zh.endswith(suffix) and len(name_zh) - len(suffix) >= 2:
                roots.add(name_zh[: -len(suffix)].lower())
                break
        if len(group) >= 5:
            roots.add(group.lower().replace("_", " "))
    return sorted(roots, key=len, reverse=True)


def _mark_paid(session: Session, prescriptions: list[Prescription], settlement: Settlement) -> None:
    # Conditional: a concurrent settlement with another key may have paid one first (on
    # PostgreSQL the UPDATE re-checks the committed row); the loser 409s and rolls back whole.
    reversed_ids = select(Settlement.id).where(Settlement.status == SettlementStatus.reversed)
    for prescription in prescriptions:
        linked = session.execute(
            update(PRESCRIPTIONS)
            .where(
                PRESCRIPTIONS.c.id == prescription.id,
                or_(
                    PRESCRIPTIONS.c.settlement_id.is_(None),
                    PRESCRIPTIONS.c.settlement_id.in_(reversed_ids),
                ),
            )
            .values(settlement_id=settlement.id)
        ).rowcount
        if linked != 1:
            raise Conflict(
                f"Prescription {prescription.id} is already settled.",
                detail_zh="这张处方已经结算过了。",
            )
        session.refresh(prescription)


def settle_encounter(
    session: Session,
    user: User,
    encounter_id: int,
    data: EncounterBillIn,
    idempotency_key: str,
    today: dt.date,
) -> Settlement:
    """The visit's one bill: its services (the fee) and every line of its issued, unsettled
    prescriptions, settled together through ``settle_bill``, once per key. Once the visit is
    settled, a later call bills only drugs prescribed since (the services are not billed twice);
    with nothing left to bill it is 409."""
    encounter = visible_encounter(session, user, encounter_id)
    digest = request_hash(data, encounter_id=encounter.id)
    lock_patient(session, encounter.patient_id)
    earlier = session.scalar(
        select(Settlement).where(
            Settlement.idempotency_user_id == user.id,
            Settlement.idempotency_key == idempotency_key,
        )
    )
    if earlier is not None:  # the bill built now would differ: its drugs are paid already
        check_replay(earlier.request_hash, digest, "bill")
        return earlier
    items: list[dict] = [
        {"drug": line.drug.code, "quantity": line.quantity}
        for prescription in unsettled_prescriptions(session, encounter.id)
        for line in prescription.lines
    ]
    if not visit_settled(session, encounter.id):  # the fee once: later bills are drugs alone
        items += [{"service": s.service, "quantity": s.quantity} for s in data.services]
    if not items:
        raise Conflict(
            f"Visit {encounter.id} has nothing left to bill.",
            detail_zh="本次就诊没有待结算的项目（已结算）。",
        )
    bill = BillIn(
        patient_id=encounter.patient_id,
        encounter_id=encounter.id,
        visit_type=data.visit_type,
        items=items,
    )
    settlement, _new = settle_bill(session, user, bill, idempotency_key, today, digest=digest)
    return settlement


def payer_level(facility: Facility) -> Level:
    """The level the payer policy applies to a bill settled at ``facility`` (village … province)."""
    return Level(facility.level.value)


def _facility_for(session: Session, user: User, data: BillIn) -> Facility:
    if user.role == Role.village_doctor:
        if data.facility is not None:
            raise InvalidField.at(
                "body.facility",
                "A village doctor settles at their own clinic.",
                zh="村医只能在本卫生室结算。",
            )
        facility = session.get(Facility, user.clinic_id)
    else:
        if data.facility is None:
            raise InvalidField.at(
                "body.facility",
                "Name the facility that settles the bill.",
                "missing",
                zh="请填写结算机构。",
            )
        facility = session.scalar(select(Facility).where(Facility.code == data.facility))
        if facility is None:
            raise InvalidField.at(
                "body.facility", f"No facility {data.facility!r}.", zh=f"没有机构 {data.facility}。"
            )
    assert facility is not None
    return facility


def _line(session: Session, i: int, item: BillLineIn) -> tuple[str | None, str, str, int, int]:
    """(item code, description, category, quantity, unit price) of one requested line."""
    if item.drug is not None:
        drug = session.scalar(select(Drug).where(Drug.code == item.drug, Drug.active.is_(True)))
        if drug is None:
            raise InvalidField.at(
                f"body.items.{i}.drug",
                f"No drug {item.drug!r} in the catalog.",
                zh=f"第 {i + 1} 项：药品目录中没有这种药，请从列表中选择。",
            )
        name = f"{drug.name_zh} {drug.strength}"
        return drug.code, name, drug.insurance_category.value, item.quantity, drug.unit_price_fen
    if item.service is not None:
        service = session.scalar(
            select(ServiceItem).where(
                ServiceItem.code == item.service, ServiceItem.active.is_(True)
            )
        )
        if service is None:
            raise InvalidField.at(
                f"body.items.{i}.service",
                f"No service item {item.service!r}.",
                zh=f"第 {i + 1} 项：没有这个诊疗项目，请从列表中选择。",
            )
        category = service.insurance_category.value
        return service.code, service.name_zh, category, item.quantity, service.unit_price_fen
    assert item.description and item.category and item.unit_price_fen is not None
    return None, item.description, item.category, item.quantity, item.unit_price_fen


def _ledger(session: Session, patient_id: int, year: int) -> Ledger:
    ledger = session.get(Ledger, (patient_id, year), populate_existing=True)
    if ledger is None:
        ledger = Ledger(patient_id=patient_id, year=year, **dict.fromkeys(ACCUMULATORS, 0))
        session.add(ledger)
        session.flush()
    return ledger


def record_settlement(
    session: Session,
    user: User | None,
    patient: Patient,
    facility: Facility,
    bill: chain.Bill,
    lines: list[tuple[str | None, str, str, int, int]],
    policy: Policy,
    result: chain.Settlement,
    before: chain.Accumulators,
    ledger: Ledger,
    *,
    source: BillSource,
    external_ref: str | None = None,
) -> Settlement:
    """Write a settled bill: its lines, the settlement, a share per payer, the ledger change and
    its journal — the same for a counter bill and a hospital bill imported later."""
    stored_bill = Bill(
        patient_id=patient.id,
        facility_id=facility.id,
        bill_date=bill.date,
        visit_type=bill.visit_type,
        level=bill.level,
        source=source,
        external_ref=external_ref,
        total_fen=result.total_fen,
        eligible_fen=result.eligible_fen,
        created_by_id=user.id if user else None,
    )
    session.add(stored_bill)
    session.flush()
    for no, ((code, description, _c, quantity, price), split) in enumerate(
        zip(lines, result.lines, strict=True), start=1
    ):
        session.add(
            BillLine(
                bill_id=stored_bill.id,
                line_no=no,
                item_code=code,
                description=description,
                category=split.category,
                quantity=quantity,
                unit_price_fen=price,
                amount_fen=split.amount_fen,
                eligible_fen=split.eligible_fen,
                self_pay_fen=split.self_pay_fen,
            )
        )
    settlement = Settlement(
        bill_id=stored_bill.id,
        patient_id=patient.id,
        facility_id=facility.id,
        year=bill.date.year,
        settled_on=bill.date,
        policy_code=policy.code,
        patient_fen=result.patient_fen,
        status=SettlementStatus.settled,
    )
    session.add(settlement)
    session.flush()
    for payer in Payer:
        session.add(
            SettlementShare(
                settlement_id=settlement.id, payer=payer, amount_fen=result.shares[payer]
            )
        )
    _apply_to_ledger(session, ledger, settlement, result.accumulators.minus(before), reversal=False)
    return settlement


def _apply_to_ledger(
    session: Session, ledger: Ledger, settlement: Settlement, deltas: dict[str, int], reversal: bool
) -> None:
    for name, delta in deltas.items():
        setattr(ledger, name, getattr(ledger, name) + delta)
        session.add(
            JournalEntry(
                settlement_id=settlement.id,
                patient_id=ledger.patient_id,
                year=ledger.year,
                accumulator=name,
                delta_fen=delta,
                reversal=reversal,
            )
        )
    session.flush()


def visible_settlement(session: Session, user: User, settlement_id: int) -> Settlement:
    """The settlement if ``user`` may see it (its clinic's doctor, an admin); raises
    ``NotFound``.
    """
    settlement = session.get(Settlement, settlement_id)
    if (
        settlement is None
        or (user.role == Role.village_doctor and settlement.facility_id != user.clinic_id)
        or user.role not in (Role.village_doctor, Role.admin)
    ):
        raise NotFound(f"No settlement {settlement_id}.", detail_zh="没有这笔结算，或您无权查看。")
    return settlement


def reverse_settlement(
    session: Session, user: User, settlement_id: int, today: dt.date, *, reason: str
) -> Settlement:
    """Refund: undo every share and every ledger change of one settlement, once.

    Who may (docs/roles.md): the settlement's own clinic's village doctor while its day is open
    (``settled_on`` is today: the day's reconciliation then nets it out itself), and an admin at
    any time. A reason is required and kept in the audit log with who reversed it; another
    clinic's settlement is 404 as for reading it.
    """
    settlement = visible_settlement(session, user, settlement_id)
    if user.role != Role.admin and settlement.settled_on != today:
        raise Forbidden(
            f"Settlement {settlement_id} belongs to {settlement.settled_on}, a closed day: only an "
            "admin may reverse it.",
            detail_zh=f"这笔结算是 {settlement.settled_on} 的，往日的结算只能由管理员冲正。",
        )
    if not reason.strip():
        raise InvalidField.at(
            "body.reason", "Give the reason for the refund.", "missing", zh="请填写退费原因。"
        )
    lock_patient(session, settlement.patient_id)
    session.refresh(settlement)
    if settlement.status == SettlementStatus.reversed:
        raise Conflict(
            f"Settlement {settlement_id} is already reversed.",
            detail_zh="这笔结算已经退费（冲正）。",
        )
    record_event(
        session,
        "reverse",
        Settlement.__tablename__,
        settlement.id,
        {
            "reason": reason,
            "role": user.role.value,
            "settled_on": settlement.settled_on.isoformat(),
        },
    )
    ledger = _ledger(session, settlement.patient_id, settlement.year)
    deltas: dict[str, int] = {}
    for entry in session.scalars(
        select(JournalEntry).where(
            JournalEntry.settlement_id == settlement.id, JournalEntry.reversal.is_(False)
        )
    ):
        deltas[entry.accumulator] = deltas.get(entry.accumulator, 0) - entry.delta_fen
    _apply_to_ledger(session, ledger, settlement, deltas, reversal=True)
    settlement.status = SettlementStatus.reversed
    settlement.reversed_at = utcnow()
    settlement.reversed_on = today
    settlement.reversed_by_id = user.id
    session.flush()
    return settlement
