"""The printable prescription slip (处方笺) handed to the patient, in Chinese."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gpassist.auth.tables import User
from gpassist.clinics.tables import Facility
from gpassist.diagnosis.naming import encounter_diagnoses
from gpassist.patients.schemas import age_on
from gpassist.patients.tables import Encounter, Patient
from gpassist.pharmacy.tables import PharmacyOrder
from gpassist.prescriptions.present import usage
from gpassist.prescriptions.tables import Prescription
from gpassist.printables import render


def slip_html(session: Session, prescription: Prescription, order: PharmacyOrder | None) -> str:
    """The slip of ``prescription``: its lines, where each is collected, and the central
    pharmacy's ``order`` (if a line is delivered) so the patient knows to wait for it."""
    clinic = session.get(Facility, prescription.clinic_id)
    patient = session.get(Patient, prescription.patient_id)
    doctor = session.get(User, prescription.doctor_id)
    encounter = session.get(Encounter, prescription.encounter_id)
    assert clinic and patient and doctor and encounter
    return render(
        "slip.html",
        issuer=clinic.name_zh,
        document="处方笺",
        prescription=prescription,
        patient=patient,
        age=age_on(patient.birth_date, prescription.issued_on),
        encounter=encounter,
        diagnoses=encounter_diagnoses(session, [encounter]),
        doctor=doctor,
        order=order,
        # 每次 1 片（0.5 g），每日 3 次，共 3 天: the count in the product's unit, as prescribed
        usages={
            line.line_no: usage(line.drug, line.dose, line.frequency, line.days).zh
            for line in prescription.lines
        },
    )
