"""HTTP: write a prescription on a visit, read it, print the slip, settle its bill."""

from __future__ import annotations

from flask import Blueprint

from gpassist.auth.tables import Role
from gpassist.clinics.service import formulary_ids
from gpassist.clinics.tables import Facility
from gpassist.db import shanghai_today
from gpassist.endpoints import endpoint, idempotency_key, request_session
from gpassist.patients.service import require_clinic_doctor, visible_encounter, visible_patient
from gpassist.prescriptions import present, repeat, service
from gpassist.prescriptions.schemas import (
    CheckedLine,
    CheckRefusal,
    CurrentMedicineOut,
    CurrentMedicinesOut,
    LineOut,
    MedicineOptionOut,
    MedicineOptionsOut,
    MedicineQuery,
    PrescriptionCheckOut,
    PrescriptionIn,
    PrescriptionList,
    PrescriptionOut,
    PrescriptionSettleIn,
    RuleNote,
    UsualLine,
)
from gpassist.prescriptions.slip import slip_html
from gpassist.prescriptions.tables import Prescription
from gpassist.schemas import Text
from gpassist.settlement.present import receipt
from gpassist.settlement.schemas import ReceiptOut
from gpassist.tcm import medicines

bp = Blueprint("prescriptions", __name__, url_prefix="/api/v1")
TAG = "prescriptions"
DOCTOR = {Role.village_doctor}
READERS = {Role.village_doctor, Role.pharmacist, Role.admin}
MAX_OPTIONS = 30  # a suggestion lists a handful; a longer query is cut, not refused


def prescription_out(prescription: Prescription) -> PrescriptionOut:
    session = request_session()
    order = service.order_of(session, prescription.id)
    lines = [
        LineOut(
            line_no=line.line_no,
            drug=line.drug.code,
            drug_name=Text(zh=line.drug.name_zh, en=line.drug.name_en),
            strength=line.drug.strength,
            dose=line.dose,
            dose_unit=line.drug.dose_unit,
            dose_count=present.dose_count(line.drug, line.dose),
            dose_form=present.dose_form_out(line.drug).unit,
            frequency=line.frequency,
            frequency_label=present.frequency_label(line.frequency),
            usage=present.usage(line.drug, line.dose, line.frequency, line.days),
            days=line.days,
            quantity=line.quantity,
            unit=Text(zh=line.drug.unit_zh, en=line.drug.unit_en),
            unit_price_fen=line.unit_price_fen,
            amount_fen=line.unit_price_fen * line.quantity,
            insurance_category=line.drug.insurance_category.value,
            source=line.source,
            instructions=line.instructions,
        )
        for line in prescription.lines
    ]
    clinic = session.get(Facility, prescription.clinic_id)
    assert clinic is not None
    return PrescriptionOut(
        id=prescription.id,
        encounter_id=prescription.encounter_id,
        patient_id=prescription.patient_id,
        clinic=clinic.code,
        doctor_id=prescription.doctor_id,
        issued_on=prescription.issued_on,
        weight_kg=prescription.weight_kg,
        long_prescription_reason=prescription.long_prescription_reason,
        urgent=prescription.urgent,
        total_fen=prescription.total_fen,
        lines=lines,
        pharmacy_order_id=order.id if order else None,
        settlement_id=prescription.settlement_id,
        created_at=prescription.created_at,
    )


@endpoint(
    bp,
    "/encounters/<id:encounter_id>/prescriptions",
    "POST",
    summary="Prescribe on a visit: every rule is checked (422 lists each refusal with its "
    "field); lines the clinic has are dispensed there, the rest become one central-pharmacy order",
    tag=TAG,
    roles=DOCTOR,
    body=PrescriptionIn,
    response=PrescriptionOut,
    status=201,
    errors=(404, 409),
)
def create(user, encounter_id: int, body: PrescriptionIn):
    prescription = service.create_prescription(
        request_session(), user, encounter_id, body, shanghai_today()
    )
    return prescription_out(prescription)


@endpoint(
    bp,
    "/encounters/<id:encounter_id>/prescription-check",
    "POST",
    summary="Check lines against every prescribing rule without writing anything (the page checks "
    "each line as it is added): the lines in words and each refusal with its field and Chinese "
    "message; 200 either way",
    tag=TAG,
    roles=DOCTOR,
    body=PrescriptionIn,
    response=PrescriptionCheckOut,
    errors=(404,),
)
def check(user, encounter_id: int, body: PrescriptionIn):
    drugs, lines, refusals = service.dry_run(
        request_session(), user, encounter_id, body, shanghai_today()
    )
    return PrescriptionCheckOut(
        ok=not refusals,
        lines=[
            CheckedLine(
                drug=drug.code,
                dose=line.dose,
                dose_count=present.dose_count(drug, line.dose),
                dose_form=present.dose_form_out(drug).unit,
                frequency=line.frequency,
                frequency_label=present.frequency_label(line.frequency),
                days=line.days,
                quantity=line.quantity,
                unit=Text(zh=drug.unit_zh, en=drug.unit_en),
                usage=present.usage(drug, line.dose, line.frequency, line.days),
                amount_fen=line.quantity * drug.unit_price_fen,
            )
            for drug, line in zip(drugs, lines, strict=True)
        ],
        refusals=[
            CheckRefusal(
                field=r.field, code=r.code, message=r.en, message_zh=r.zh, caution=r.caution
            )
            for r in refusals
        ],
    )


@endpoint(
    bp,
    "/encounters/<id:encounter_id>/prescriptions",
    "GET",
    summary="The prescriptions written on a visit",
    tag=TAG,
    roles={Role.village_doctor, Role.admin},
    response=PrescriptionList,
    errors=(404,),
)
def list_for_encounter(user, encounter_id: int):
    items = service.prescriptions_of(request_session(), user, encounter_id)
    return PrescriptionList(items=[prescription_out(p) for p in items])


@endpoint(
    bp,
    "/prescriptions/<id:prescription_id>",
    "GET",
    summary="A prescription (pharmacists: those with a central-pharmacy order)",
    tag=TAG,
    roles=READERS,
    response=PrescriptionOut,
    errors=(404,),
)
def get_prescription(user, prescription_id: int):
    return prescription_out(service.visible_prescription(request_session(), user, prescription_id))


@endpoint(
    bp,
    "/prescriptions/<id:prescription_id>/slip.html",
    "GET",
    summary="Printable prescription slip for the patient (Chinese)",
    tag=TAG,
    roles={Role.village_doctor, Role.admin},
    media_type="text/html",
    errors=(404,),
)
def slip(user, prescription_id: int):
    session = request_session()
    prescription = service.visible_prescription(session, user, prescription_id)
    return slip_html(session, prescription, service.order_of(session, prescription.id)), {}


@endpoint(
    bp,
    "/prescriptions/<id:prescription_id>/settlement",
    "POST",
    summary="Settle the prescription's bill at the counter: its lines are the bill's line items "
    "(needs an Idempotency-Key header)",
    tag=TAG,
    roles=DOCTOR,
    body=PrescriptionSettleIn,
    response=ReceiptOut,
    status=201,
    errors=(404, 409),
)
def settle(user, prescription_id: int, body: PrescriptionSettleIn):
    key = idempotency_key()
    session = request_session()
    settlement = service.settle(session, user, prescription_id, body, key, shanghai_today())
    return receipt(session, settlement)


def _note(note) -> RuleNote:
    return RuleNote(code=note.code, caution=note.caution, zh=note.zh, en=note.en)


def option_out(option) -> MedicineOptionOut:
    drug, line = option.drug, option.line
    return MedicineOptionOut(
        code=option.code,
        in_catalog=drug is not None,
        name=Text(zh=drug.name_zh, en=drug.name_en)
        if drug
        else Text(zh=option.code, en=option.code),
        form=Text(zh=drug.form_zh, en=drug.form_en) if drug else None,
        strength=drug.strength if drug else None,
        dose_unit=drug.dose_unit if drug else None,
        unit=Text(zh=drug.unit_zh, en=drug.unit_en) if drug else None,
        dose_form=present.dose_form_out(drug) if drug else None,
        kind=drug.kind.value if drug else None,
        where=option.where,
        in_formulary=option.in_formulary,
        on_hand=option.on_hand,
        line=None
        if line is None or drug is None
        else UsualLine(
            dose=line.dose,
            dose_count=present.dose_count(drug, line.dose),
            frequency=line.frequency,
            frequency_label=present.frequency_label(line.frequency),
            days=line.days,
            quantity=line.quantity,
        ),
        prescribable=option.prescribable,
        refusals=[_note(n) for n in option.refusals],
        warnings=[_note(n) for n in option.warnings],
    )


@endpoint(
    bp,
    "/encounters/<id:encounter_id>/medicine-options",
    "GET",
    summary="Suggested (e.g. Chinese patent) medicines in the clinic's terms: the clinic's shelf "
    "first, then the central pharmacy; each with its usual line and the prescribing rules' "
    "refusals and warnings for this patient (nothing is written)",
    tag=TAG,
    roles=DOCTOR,
    query=MedicineQuery,
    response=MedicineOptionsOut,
    errors=(404, 422),
)
def medicine_options(user, encounter_id: int, query: MedicineQuery):
    session = request_session()
    clinic_id = require_clinic_doctor(user)
    encounter = visible_encounter(session, user, encounter_id)
    codes = [c.strip() for c in query.codes.split(",") if c.strip()][:MAX_OPTIONS]
    options = medicines.patent_medicine_options(
        session,
        codes,
        clinic_id,
        encounter.patient,
        shanghai_today(),
        weight_kg=encounter.weight_kg,
    )
    return MedicineOptionsOut(encounter_id=encounter.id, items=[option_out(o) for o in options])


_PROGRAM_NAMES = {
    "hypertension": ("高血压", "hypertension"),
    "diabetes": ("2 型糖尿病", "diabetes"),
}


@endpoint(
    bp,
    "/patients/<id:patient_id>/current-medicines",
    "GET",
    summary="续方: the patient's current long-term medicines (latest line of each long "
    "prescription or program medicine in six months), to prescribe again with one tap; "
    "nothing is written, and issuing checks every rule again",
    tag=TAG,
    roles=DOCTOR,
    response=CurrentMedicinesOut,
    errors=(404,),
)
def current_medicines(user, patient_id: int):
    session = request_session()
    clinic_id = require_clinic_doctor(user)
    patient = visible_patient(session, user, patient_id)
    found = repeat.current_medicines(session, patient.id, shanghai_today())
    stocked = formulary_ids(session, clinic_id)
    return CurrentMedicinesOut(
        patient_id=patient.id, items=[_current_out(m, stocked) for m in found]
    )


def _current_out(medicine, stocked: set[int]) -> CurrentMedicineOut:
    line, drug = medicine.line, medicine.line.drug
    if medicine.program is None:
        why = Text(zh=f"长期处方（{line.days} 天）", en=f"long prescription ({line.days} days)")
    else:
        zh, en = _PROGRAM_NAMES.get(medicine.program, (medicine.program, medicine.program))
        why = Text(zh=f"{zh}管理用药", en=f"{en} medicine")
    return CurrentMedicineOut(
        drug=drug.code,
        drug_name=Text(zh=drug.name_zh, en=drug.name_en),
        strength=drug.strength,
        dose_unit=drug.dose_unit,
        dose_form=present.dose_form_out(drug),
        dose=line.dose,
        dose_count=present.dose_count(drug, line.dose),
        frequency=line.frequency,
        frequency_label=present.frequency_label(line.frequency),
        days=line.days,
        usage=present.usage(drug, line.dose, line.frequency, line.days),
        last_prescribed_on=medicine.issued_on,
        in_formulary=drug.id in stocked,
        why=why,
    )
