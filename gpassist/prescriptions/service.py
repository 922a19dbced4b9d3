"""Write a prescription on an encounter: check every rule, then split it between the clinic's
shelf and one central-pharmacy order; settle it as a bill.

Nothing is written until every rule has passed: a refused prescription leaves no trace (the
request's transaction is rolled back on the 422 anyway, and the checks run before the first add).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.auth.tables import Role, User
from gpassist.clinics.dosing import dose_form_of
from gpassist.clinics.tables import Drug, Facility, FormularyEntry, ServiceItem
from gpassist.errors import Conflict, InvalidField, NotFound
from gpassist.followup.tables import Enrolment, EnrolmentStatus
from gpassist.patients.schemas import age_on
from gpassist.patients.service import require_clinic_doctor, visible_encounter
from gpassist.patients.tables import Encounter, Patient, PregnancyStatus
from gpassist.pharmacy import orders, stock
from gpassist.pharmacy.states import OrderStatus
from gpassist.pharmacy.tables import OrderLine, PharmacyOrder
from gpassist.prescriptions import rules
from gpassist.prescriptions.knowledge import allergy_classes, cautions, ingredients_of
from gpassist.prescriptions.schemas import PrescriptionIn, PrescriptionSettleIn
from gpassist.prescriptions.tables import (
    DrugInteraction,
    LineSource,
    Prescription,
    PrescriptionLine,
)
from gpassist.settlement import service as settlement_service
from gpassist.settlement.schemas import BillIn
from gpassist.settlement.tables import Settlement


def drug_facts(drug: Drug) -> rules.DrugFacts:
    """What the prescribing rules need to know of a catalog drug."""
    return rules.DrugFacts(
        code=drug.code,
        name_zh=drug.name_zh,
        name_en=drug.name_en,
        generic_group=drug.generic_group,
        strength_value=drug.strength_value,
        dose_unit=drug.dose_unit,
        max_daily_dose=drug.max_daily_dose,
        max_daily_dose_per_kg=drug.max_daily_dose_per_kg,
        pregnancy=drug.pregnancy.value,
        ingredients=ingredients_of(drug.generic_group),
        dose_form=dose_form_of(drug),
        max_single_dose=drug.max_single_dose,
        adult_doses_only=drug.dose_source is not None,
    )


def _catalog_drugs(session: Session, data: PrescriptionIn) -> list[Drug]:
    codes = {line.drug for line in data.lines}
    found = {
        d.code: d
        for d in session.scalars(select(Drug).where(Drug.code.in_(codes), Drug.active.is_(True)))
    }
    for i, line in enumerate(data.lines):
        if line.drug not in found:
            raise InvalidField.at(
                f"body.lines.{i}.drug",
                f"No drug {line.drug!r} in the catalog.",
                zh=f"第 {i + 1} 行：药品目录中没有这种药，请从列表中选择。",
            )
    return [found[line.drug] for line in data.lines]


def chronic_enrolled(session: Session, patient_id: int) -> bool:
    """Whether the patient is in a chronic-disease program now (long prescriptions allowed)."""
    return (
        session.scalar(
            select(Enrolment.id)
            .where(Enrolment.patient_id == patient_id, Enrolment.status == EnrolmentStatus.active)
            .limit(1)
        )
        is not None
    )


def _never_sent():
    """Prescription lines whose central-pharmacy order was cancelled: the patient never got
    them, so they are neither taken now nor supply in hand."""
    return (
        select(OrderLine.prescription_line_id)
        .join(PharmacyOrder, OrderLine.order_id == PharmacyOrder.id)
        .where(PharmacyOrder.status == OrderStatus.cancelled)
    )


def current_drugs(session: Session, patient_id: int, today: dt.date) -> list[Drug]:
    """Drugs of earlier prescriptions whose supply still runs today (long-term drugs included)."""
    earliest = today - dt.timedelta(days=rules.LONG_MAX_DAYS)
    rows = session.execute(
        select(Prescription.issued_on, PrescriptionLine.days, Drug)
        .join(PrescriptionLine, PrescriptionLine.prescription_id == Prescription.id)
        .join(Drug, PrescriptionLine.drug_id == Drug.id)
        .where(
            Prescription.patient_id == patient_id,
            Prescription.issued_on >= earliest,
            PrescriptionLine.id.not_in(_never_sent()),
        )
    )
    return [drug for issued_on, days, drug in rows if issued_on + dt.timedelta(days=days) > today]


def running_supply(session: Session, patient_id: int, today: dt.date) -> list[tuple[str, int]]:
    """(generic group, days of supply left) of earlier prescriptions still running today."""
    earliest = today - dt.timedelta(days=rules.LONG_MAX_DAYS)
    rows = session.execute(
        select(Prescription.issued_on, PrescriptionLine.days, Drug.generic_group)
        .join(PrescriptionLine, PrescriptionLine.prescription_id == Prescription.id)
        .join(Drug, PrescriptionLine.drug_id == Drug.id)
        .where(
            Prescription.patient_id == patient_id,
            Prescription.issued_on >= earliest,
            PrescriptionLine.id.not_in(_never_sent()),
        )
    )
    out = []
    for issued_on, days, group in rows:
        left = (issued_on + dt.timedelta(days=days) - today).days
        if left > 0:
            out.append((group, left))
    return out


def conditions(session: Session, patient_id: int) -> tuple[str, ...]:
    """The ICD-10 codes confirmed on any of the patient's visits (hypertension recorded last
    year still counts against an ephedra product today)."""
    codes = {
        code
        for listed in session.scalars(
            select(Encounter.diagnoses).where(Encounter.patient_id == patient_id)
        )
        for code in listed or ()
    }
    return tuple(sorted(codes))


def patient_facts(
    session: Session, patient: Patient, weight_kg: float | None, today: dt.date
) -> rules.PatientFacts:
    """What the prescribing rules need to know of the patient today: age, weight, pregnancy,
    allergies, chronic enrolment, current drugs and the supply still in hand.
    """
    return rules.PatientFacts(
        age_years=age_on(patient.birth_date, today),
        weight_kg=weight_kg,
        pregnant=patient.pregnancy_status == PregnancyStatus.pregnant,
        allergies=tuple(patient.drug_allergies or ()),
        chronic_enrolled=chronic_enrolled(session, patient.id),
        current_drugs=tuple(drug_facts(d) for d in current_drugs(session, patient.id, today)),
        running_supply=tuple(running_supply(session, patient.id, today)),
        conditions=conditions(session, patient.id),
    )


def drafts(data: PrescriptionIn, drugs: list[Drug]) -> list[rules.LineDraft]:
    """The prescription's lines paired with their drugs, quantities worked out where not given."""
    out = []
    for line, drug in zip(data.lines, drugs, strict=True):
        facts = drug_facts(drug)
        if line.dose_count is not None:
            assert facts.dose_form is not None
            dose, field = facts.dose_form.to_amount(line.dose_count), "dose_count"
        else:
            dose, field = line.dose, "dose"
        assert dose is not None  # LineIn requires one of the two
        quantity = line.quantity or rules.units_needed(
            dose, line.frequency, line.days, drug.strength_value
        )
        out.append(rules.LineDraft(facts, dose, line.frequency, line.days, quantity, field))
    return out


def county_interactions(session: Session) -> tuple[rules.Interaction, ...]:
    """The dangerous pairs ``gpassist load-clinics`` stored from the county's interactions.yaml."""
    stored = session.scalars(
        select(DrugInteraction).where(DrugInteraction.active).order_by(DrugInteraction.code)
    )
    return tuple(
        rules.Interaction(
            code=row.code,
            groups_a=frozenset(row.groups_a),
            groups_b=frozenset(row.groups_b),
            effect_zh=row.effect_zh,
            effect_en=row.effect_en,
            source=row.source,
        )
        for row in stored
    )


def review(
    session: Session,
    facts: rules.PatientFacts,
    lines: list[rules.LineDraft],
    *,
    long_reason: str | None = None,
    acknowledged: tuple[str, ...] = (),
) -> list[rules.Refusal]:
    """Every refusal of the prescribing rules for these lines and this patient, writing
    nothing: what issuing a prescription checks, and what a suggestion list asks before offering
    a drug (one set of rules, one set of tables)."""
    return rules.check_prescription(
        lines,
        facts,
        long_reason=long_reason,
        interactions=county_interactions(session),
        allergy_classes=allergy_classes(),
        cautions=cautions(),
        acknowledged=acknowledged,
    )


def check(
    session: Session, patient: Patient, data: PrescriptionIn, drugs: list[Drug], weight_kg, today
) -> list[rules.LineDraft]:
    """The drafted lines if every rule passes; otherwise a 422 listing every refusal."""
    lines = drafts(data, drugs)
    refusals = review(
        session,
        patient_facts(session, patient, weight_kg, today),
        lines,
        long_reason=data.long_prescription_reason,
        acknowledged=tuple(data.acknowledged_cautions),
    )
    if refusals:
        raise InvalidField(
            "The prescription is refused; see errors.",
            detail_zh="处方未通过审核：",
            errors=[r.as_error() for r in refusals],
        )
    return lines


def dry_run(
    session: Session, user: User, encounter_id: int, data: PrescriptionIn, today: dt.date
) -> tuple[list[Drug], list[rules.LineDraft], list[rules.Refusal]]:
    """What issuing ``data`` would decide, writing nothing: the drugs, the drafted lines and
    every refusal (the page checks each line as it is added, not only when it is issued)."""
    require_clinic_doctor(user)
    encounter = visible_encounter(session, user, encounter_id)
    drugs = _catalog_drugs(session, data)
    lines = drafts(data, drugs)
    facts = patient_facts(session, encounter.patient, data.weight_kg or encounter.weight_kg, today)
    refusals = review(
        session,
        facts,
        lines,
        long_reason=data.long_prescription_reason,
        acknowledged=tuple(data.acknowledged_cautions),
    )
    return drugs, lines, refusals


def create_prescription(
    session: Session, user: User, encounter_id: int, data: PrescriptionIn, today: dt.date
) -> Prescription:
    """Check, record and split a prescription; returns it with its lines."""
    clinic_id = require_clinic_doctor(user)
    encounter = visible_encounter(session, user, encounter_id)
    patient = encounter.patient
    drugs = _catalog_drugs(session, data)
    weight_kg = data.weight_kg or encounter.weight_kg
    lines = check(session, patient, data, drugs, weight_kg, today)
    # --- every rule passed: from here on we write ---
    clinic = session.get(Facility, clinic_id)
    assert clinic is not None
    prescription = Prescription(
        encounter_id=encounter.id,
        patient_id=patient.id,
        clinic_id=clinic_id,
        doctor_id=user.id,
        issued_on=today,
        weight_kg=weight_kg,
        long_prescription_reason=data.long_prescription_reason,
        urgent=data.urgent,
        total_fen=sum(
            line.quantity * drug.unit_price_fen for line, drug in zip(lines, drugs, strict=True)
        ),
    )
    session.add(prescription)
    session.flush()
    stocked = _stocked_here(session, clinic_id, [d.id for d in drugs])
    central: list[PrescriptionLine] = []
    for no, (given, line, drug) in enumerate(zip(data.lines, lines, drugs, strict=True), start=1):
        record = PrescriptionLine(
            prescription_id=prescription.id,
            line_no=no,
            drug_id=drug.id,
            dose=line.dose,
            frequency=line.frequency,
            days=line.days,
            quantity=line.quantity,
            unit_price_fen=drug.unit_price_fen,
            instructions=given.instructions,
            source=LineSource.central,
        )
        session.add(record)
        session.flush()
        if (
            drug.id in stocked
            and stock.available(session, clinic_id, drug.id, today) >= line.quantity
        ):
            stock.dispense_fefo(
                session, user, clinic, drug, line.quantity, today, prescription_line_id=record.id
            )
            record.source = LineSource.clinic
        else:
            central.append(record)
    if central:
        orders.create_order(session, user, prescription.id, patient, clinic, central, data.urgent)
    session.flush()
    session.refresh(prescription)
    return prescription


def _stocked_here(session: Session, clinic_id: int, drug_ids: list[int]) -> set[int]:
    """The drugs of ``drug_ids`` in the clinic's formulary (what it stocks)."""
    return set(
        session.scalars(
            select(FormularyEntry.drug_id).where(
                FormularyEntry.facility_id == clinic_id, FormularyEntry.drug_id.in_(drug_ids)
            )
        )
    )


def visible_prescription(session: Session, user: User, prescription_id: int) -> Prescription:
    """Village doctors: their clinic's; pharmacists: those with a central-pharmacy order
    (they see the prescription, nothing else of the visit); admins: all."""
    prescription = session.get(Prescription, prescription_id)
    if prescription is None or not _may_see(session, user, prescription):
        raise NotFound(
            f"No prescription {prescription_id}.", detail_zh="没有这张处方，或您无权查看。"
        )
    return prescription


def _may_see(session: Session, user: User, prescription: Prescription) -> bool:
    if user.role == Role.admin:
        return True
    if user.role == Role.village_doctor:
        return prescription.clinic_id == user.clinic_id
    if user.role == Role.pharmacist:
        return order_of(session, prescription.id) is not None
    return False


def order_of(session: Session, prescription_id: int) -> PharmacyOrder | None:
    """The pharmacy order that dispenses the prescription, if it went to the central pharmacy."""
    return session.scalar(
        select(PharmacyOrder).where(PharmacyOrder.prescription_id == prescription_id)
    )


def prescriptions_of(session: Session, user: User, encounter_id: int) -> list[Prescription]:
    """The visit's prescriptions in order; raises ``NotFound`` for a visit ``user`` may not see."""
    encounter = visible_encounter(session, user, encounter_id)
    return list(
        session.scalars(
            select(Prescription)
            .where(Prescription.encounter_id == encounter.id)
            .order_by(Prescription.id)
        )
    )


def bill_for(prescription: Prescription, data: PrescriptionSettleIn) -> BillIn:
    """The bill whose line items are the prescription's lines (and any services with them)."""
    items = [{"drug": line.drug.code, "quantity": line.quantity} for line in prescription.lines]
    items += [{"service": code, "quantity": 1} for code in data.services]
    return BillIn(
        patient_id=prescription.patient_id,
        encounter_id=prescription.encounter_id,
        visit_type=data.visit_type,
        items=items,
    )


def settle(
    session: Session,
    user: User,
    prescription_id: int,
    data: PrescriptionSettleIn,
    idempotency_key: str,
    today: dt.date,
) -> Settlement:
    """Settle the prescription's bill at the counter through the settlement service, once.

    The settlement service checks its lines are this prescription's (unsettled) and marks it
    paid; the visit's whole bill is ``POST /encounters/{id}/settlement``."""
    require_clinic_doctor(user)
    prescription = visible_prescription(session, user, prescription_id)
    for i, code in enumerate(data.services):
        if (
            session.scalar(
                select(ServiceItem.id).where(ServiceItem.code == code, ServiceItem.active.is_(True))
            )
            is None
        ):
            raise InvalidField.at(
                f"body.services.{i}",
                f"No service item {code!r}.",
                zh=f"第 {i + 1} 个诊疗项目不存在，请从列表中选择。",
            )
    if prescription.settlement_id is not None and prescription not in (
        settlement_service.unsettled_prescriptions(session, prescription.encounter_id)
    ):
        earlier = session.get(Settlement, prescription.settlement_id)
        if earlier is None or (earlier.idempotency_user_id, earlier.idempotency_key) != (
            user.id,
            idempotency_key,
        ):
            raise Conflict(
                f"Prescription {prescription.id} is already settled.",
                detail_zh="这张处方已经结算过了。",
            )
    settlement, _new = settlement_service.settle_bill(
        session,
        user,
        bill_for(prescription, data),
        idempotency_key,
        today,
        prescriptions=(prescription.id,),
    )
    session.refresh(prescription)
    # One settlement pays for one prescription: a key replayed on another prescription with the
    # same lines must not mark it paid.
    if prescription.settlement_id != settlement.id:
        raise Conflict(
            f"This Idempotency-Key settled another bill, not prescription {prescription.id}.",
            detail_zh="这次结算已用于另一张处方，请刷新页面后重新结算。",
        )
    return settlement
