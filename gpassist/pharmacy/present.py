"""Response models built from the pharmacy's records: lots, orders, the dispatch board, runs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.auth.tables import User
from gpassist.clinics.tables import Facility, Town
from gpassist.patients.tables import Patient
from gpassist.pharmacy import orders, stock
from gpassist.pharmacy.board import BoardOrder, PickItem, TownGroup
from gpassist.pharmacy.schemas import (
    AllocationOut,
    BoardLineOut,
    BoardOut,
    FillOptionsOut,
    LineOptionsOut,
    LotOut,
    OrderBrief,
    OrderEventOut,
    OrderLineOut,
    OrderOut,
    PickItemOut,
    PickListOut,
    PickLotOut,
    RunBrief,
    RunOut,
    SubstituteOut,
)
from gpassist.pharmacy.tables import DeliveryRun, PharmacyOrder, StockLot
from gpassist.prescriptions.present import usage
from gpassist.prescriptions.tables import PrescriptionLine
from gpassist.schemas import Text, label_text


def _name(obj) -> Text:
    return Text(zh=obj.name_zh, en=obj.name_en)


def lot_out(lot: StockLot) -> LotOut:
    """A stock lot: drug, batch, expiry, units on hand and reserved."""
    return LotOut(
        id=lot.id,
        facility=lot.facility.code,
        drug=lot.drug.code,
        drug_name=_name(lot.drug),
        strength=lot.drug.strength,
        lot_no=lot.lot_no,
        expires_on=lot.expires_on,
        on_hand=lot.on_hand,
        reserved=lot.reserved,
        available=lot.on_hand - lot.reserved,
    )


def order_out(session: Session, order: PharmacyOrder) -> OrderOut:
    """An order in full (reloaded first): patient, clinic, town, lines with the lots they were
    picked from, and its history.
    """
    session.refresh(order)
    patient = session.get(Patient, order.patient_id)
    town = session.get(Town, order.town_id)
    assert patient is not None and town is not None
    allocations = orders.allocations_by_line(session, order)
    rx_lines = {
        line.id: line
        for line in session.scalars(
            select(PrescriptionLine).where(
                PrescriptionLine.id.in_([line.prescription_line_id for line in order.lines])
            )
        )
    }
    lines = []
    for line in order.lines:
        rx = rx_lines[line.prescription_line_id]
        lines.append(
            OrderLineOut(
                line_no=line.line_no,
                drug=line.drug.code,
                drug_name=_name(line.drug),
                strength=line.drug.strength,
                quantity=line.quantity,
                dose=rx.dose,
                dose_unit=line.drug.dose_unit,
                frequency=rx.frequency,
                days=rx.days,
                usage=usage(rx.drug, rx.dose, rx.frequency, rx.days),
                filled_drug=line.filled_drug.code if line.filled_drug else None,
                filled_quantity=line.filled_quantity,
                short_reason=line.short_reason,
                allocations=[
                    AllocationOut(
                        lot_no=a.lot.lot_no, expires_on=a.lot.expires_on, quantity=a.quantity
                    )
                    for a in allocations.get(line.id, [])
                ],
            )
        )
    return OrderOut(
        id=order.id,
        prescription_id=order.prescription_id,
        status=order.status,
        status_name=label_text(order.status),
        urgent=order.urgent,
        free_delivery=order.free_delivery,
        clinic=order.clinic.code,
        clinic_name=_name(order.clinic),
        town=town.code,
        patient_id=patient.id,
        patient_name=patient.name,
        delivery_run_id=order.delivery_run_id,
        cancel_reason=order.cancel_reason,
        picked_up_at=order.picked_up_at,
        created_at=order.created_at,
        updated_at=order.updated_at,
        lines=lines,
        history=[
            OrderEventOut(
                action=event.action,
                from_status=event.from_status,
                to_status=event.to_status,
                by=username,
                at=event.at,
                note=event.note,
            )
            for event, username in orders.history(session, order)
        ],
    )


def _names(obj) -> dict[str, str]:
    return {"zh": obj.name_zh, "en": obj.name_en}


def _brief_from_card(card: BoardOrder, names: dict[int, dict[str, str]]) -> dict:
    # Plain dicts, validated once by the response model: a board of thousands of orders would
    # spend most of its time constructing nested models one by one.
    town = card.clinic.town
    return {
        "id": card.id,
        "status": card.status,
        "urgent": card.urgent,
        "free_delivery": card.free_delivery,
        "clinic": card.clinic.code,
        "clinic_name": _names(card.clinic),
        "town_name": _names(town) if town is not None else None,
        "patient_name": card.patient_name,
        "created_at": card.created_at,
        "lines": [
            {
                "line_no": line.line_no,
                "drug": line.drug.code,
                "drug_name": names.setdefault(line.drug.id, _names(line.drug)),
                "strength": line.drug.strength,
                "quantity": line.quantity,
                "ordered_quantity": line.quantity,
            }
            for line in card.lines
        ],
    }


def _brief_line(line) -> BoardLineOut:
    """An order line as sent: the substitute and the filled quantity once picked."""
    sent = line.filled_drug if line.filled_drug is not None else line.drug
    substituted = sent.id != line.drug.id
    return BoardLineOut(
        line_no=line.line_no,
        drug=sent.code,
        drug_name=_name(sent),
        strength=sent.strength,
        quantity=line.filled_quantity if line.filled_quantity is not None else line.quantity,
        ordered_quantity=line.quantity,
        substitute_for=_name(line.drug) if substituted else None,
        short_reason=line.short_reason,
    )


def briefs(session: Session, found: list[PharmacyOrder]) -> list[OrderBrief]:
    """Orders in a list, their patients' names looked up in one query, lines as filled."""
    names = dict(
        session.execute(
            select(Patient.id, Patient.name).where(
                Patient.id.in_({order.patient_id for order in found})
            )
        ).all()
    )
    return [
        OrderBrief(
            id=order.id,
            status=order.status,
            urgent=order.urgent,
            free_delivery=order.free_delivery,
            clinic=order.clinic.code,
            clinic_name=_name(order.clinic),
            town_name=_name(order.clinic.town) if order.clinic.town is not None else None,
            patient_name=names[order.patient_id],
            created_at=order.created_at,
            picked_up_at=order.picked_up_at,
            lines=[_brief_line(line) for line in order.lines],
        )
        for order in found
    ]


def board_out(groups: list[TownGroup]) -> BoardOut:
    """The dispatch board: a column per town with its pending and picked orders."""
    names: dict[int, dict[str, str]] = {}
    towns = [
        {
            "town": group.town.code,
            "town_name": {"zh": group.town.name_zh, "en": group.town.name_en},
            "pending": [_brief_from_card(card, names) for card in group.pending],
            "picked": [_brief_from_card(card, names) for card in group.picked],
            "free_delivery_count": sum(
                card.free_delivery for card in (*group.pending, *group.picked)
            ),
        }
        for group in groups
    ]
    return BoardOut.model_validate(
        {
            "towns": towns,
            "pending_count": sum(len(t["pending"]) for t in towns),
            "picked_count": sum(len(t["picked"]) for t in towns),
        }
    )


def pick_list_out(town: str, items: list[PickItem]) -> PickListOut:
    """A town's pick list: each drug, how much is asked and available, and from which lots."""
    return PickListOut(
        town=town,
        items=[
            PickItemOut(
                drug=item.drug.code,
                drug_name=_name(item.drug),
                strength=item.drug.strength,
                quantity=item.quantity,
                available=item.available,
                short_by=max(0, item.quantity - item.available),
                lots=[
                    PickLotOut(lot_id=lot.id, lot_no=lot.lot_no, expires_on=lot.expires_on, take=q)
                    for lot, q in item.lots
                ],
            )
            for item in items
        ],
    )


def run_out(session: Session, run: DeliveryRun) -> RunOut:
    """A delivery run: its town, who made it, and its orders by clinic."""
    found = list(
        session.scalars(
            select(PharmacyOrder)
            .join(Facility, PharmacyOrder.clinic_id == Facility.id)
            .where(PharmacyOrder.delivery_run_id == run.id)
            .order_by(Facility.code, PharmacyOrder.id)
        )
    )
    creator = session.get(User, run.created_by_id)
    assert creator is not None
    return RunOut(
        id=run.id,
        town=run.town.code,
        town_name=_name(run.town),
        created_by=creator.username,
        created_at=run.created_at,
        orders=briefs(session, found),
    )


def run_briefs(session: Session, runs: list[DeliveryRun]) -> list[RunBrief]:
    """Past runs for the list: town, who, when, how many orders and for which clinics."""
    if not runs:
        return []
    rows = session.execute(
        select(PharmacyOrder.delivery_run_id, Facility.name_zh, Facility.name_en)
        .join(Facility, PharmacyOrder.clinic_id == Facility.id)
        .where(PharmacyOrder.delivery_run_id.in_([run.id for run in runs]))
        .order_by(Facility.code)
    ).all()
    counts: dict[int, int] = {}
    clinics: dict[int, list[Text]] = {}
    for run_id, name_zh, name_en in rows:
        counts[run_id] = counts.get(run_id, 0) + 1
        seen = clinics.setdefault(run_id, [])
        if not seen or seen[-1].zh != name_zh:
            seen.append(Text(zh=name_zh, en=name_en))
    creators = dict(
        session.execute(
            select(User.id, User.username).where(User.id.in_({r.created_by_id for r in runs}))
        ).all()
    )
    return [
        RunBrief(
            id=run.id,
            town=run.town.code,
            town_name=_name(run.town),
            created_by=creators[run.created_by_id],
            created_at=run.created_at,
            order_count=counts.get(run.id, 0),
            clinic_names=clinics.get(run.id, []),
            note_url=f"/api/v1/pharmacy/delivery-runs/{run.id}/note.html",
        )
        for run in runs
    ]


def fill_options_out(session: Session, order: PharmacyOrder, today) -> FillOptionsOut:
    """Each line of an order with the stock there is of it and of its equivalent generics."""
    pharmacy = stock.central_pharmacy(session)
    lines = []
    for line in order.lines:
        substitutes = [
            SubstituteOut(
                drug=drug.code,
                drug_name=_name(drug),
                strength=drug.strength,
                available=stock.available(session, pharmacy.id, drug.id, today),
            )
            for drug in orders.equivalent_substitutes(session, line.drug)
        ]
        lines.append(
            LineOptionsOut(
                line_no=line.line_no,
                drug=line.drug.code,
                drug_name=_name(line.drug),
                strength=line.drug.strength,
                quantity=line.quantity,
                available=stock.available(session, pharmacy.id, line.drug.id, today),
                substitutes=substitutes,
            )
        )
    return FillOptionsOut(order_id=order.id, lines=lines)
