"""A settlement as its receipt: the one JSON shape the settlement and prescription endpoints
return (and the printable receipt is drawn from)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gpassist.clinics.tables import Facility
from gpassist.diagnosis.naming import settlement_diagnoses
from gpassist.patients.tables import Patient
from gpassist.schemas import label_text, text_of
from gpassist.settlement.chain import LineSplit, patient_part_of_lines
from gpassist.settlement.schemas import DiagnosisName, LineOut, ReceiptOut, ShareOut
from gpassist.settlement.tables import Settlement


def receipt(session: Session, settlement: Settlement) -> ReceiptOut:
    """The receipt of ``settlement``: its bill's lines, each payer's share and what the patient
    pays, with the facility's and patient's names read through ``session``."""
    bill = settlement.bill
    facility = session.get(Facility, settlement.facility_id)
    patient = session.get(Patient, settlement.patient_id)
    assert facility is not None and patient is not None  # foreign keys of the settlement
    shares = [
        ShareOut(
            payer=s.payer,
            name=label_text(s.payer),
            amount_fen=s.amount_fen,
        )
        for s in settlement.shares
    ]
    return ReceiptOut(
        settlement_id=settlement.id,
        status=settlement.status.value,
        patient_id=patient.id,
        patient_name=patient.name,
        facility_code=facility.code,
        facility_name=text_of(facility, "name"),
        bill_date=bill.bill_date,
        visit_type=bill.visit_type,
        level=bill.level,
        policy_code=settlement.policy_code,
        diagnoses=[
            DiagnosisName(icd10=d.icd10, zh=d.zh, en=d.en)
            for d in settlement_diagnoses(
                session, settlement.id, patient.id, facility.id, bill.bill_date
            )
        ],
        lines=lines_out(bill.lines, settlement.patient_fen),
        total_fen=bill.total_fen,
        eligible_fen=bill.eligible_fen,
        shares=shares,
        insurers_fen=sum(s.amount_fen for s in shares),
        patient_fen=settlement.patient_fen,
        created_at=settlement.created_at,
        reversed_at=settlement.reversed_at,
    )


def lines_out(lines, patient_fen: int) -> list[LineOut]:
    """The bill's lines, each with what the patient and the payers pay of it (the patient's
    parts add up to ``patient_fen``: ``chain.patient_part_of_lines``)."""
    splits = [
        LineSplit(line.category, line.amount_fen, line.eligible_fen, line.self_pay_fen)
        for line in lines
    ]
    parts = patient_part_of_lines(splits, patient_fen)
    return [
        LineOut(
            line_no=line.line_no,
            item_code=line.item_code,
            description=line.description,
            category=line.category,
            quantity=line.quantity,
            unit_price_fen=line.unit_price_fen,
            amount_fen=line.amount_fen,
            eligible_fen=line.eligible_fen,
            self_pay_fen=line.self_pay_fen,
            patient_fen=part,
            insurers_fen=line.amount_fen - part,
        )
        for line, part in zip(lines, parts, strict=True)
    ]
