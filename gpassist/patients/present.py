"""Patients, households and encounters as response models (what the API answers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gpassist.auth.tables import Role, User
from gpassist.db import shanghai_today
from gpassist.patients.identity import mask_id, mask_phone
from gpassist.patients.schemas import (
    ContractOut,
    EncounterOut,
    HouseholdOut,
    PatientDetail,
    PatientSummary,
    VitalsOut,
    age_on,
)
from gpassist.patients.tables import Encounter, Household, Patient


def household_out(household: Household) -> HouseholdOut:
    """A household as the API shows it."""
    return HouseholdOut.model_validate(household)


def patient_summary(patient: Patient, today: dt.date) -> PatientSummary:
    """A patient in a list: age on ``today``, resident ID and phone masked."""
    return PatientSummary(**_summary_fields(patient, today))


def patient_detail(patient: Patient, user: User) -> PatientDetail:
    """A patient in full; the resident ID and phone only for a doctor of the patient's clinic."""
    today = shanghai_today()
    own_clinic = user.role == Role.village_doctor and user.clinic_id == patient.clinic_id
    contract = None
    if patient.contract_doctor_id and patient.contract_start and patient.contract_end:
        contract = ContractOut(
            doctor_id=patient.contract_doctor_id,
            start=patient.contract_start,
            end=patient.contract_end,
            active=patient.contract_start <= today <= patient.contract_end,
        )
    return PatientDetail(
        **_summary_fields(patient, today),
        national_id=patient.national_id if own_clinic else None,
        phone=patient.phone if own_clinic else None,
        household=household_out(patient.household) if patient.household else None,
        drug_allergies=list(patient.drug_allergies),
        pregnancy_status=patient.pregnancy_status,
        contract=contract,
        created_at=patient.created_at,
    )


def encounter_out(encounter: Encounter) -> EncounterOut:
    """A visit with its vitals, diagnoses and the code of the clinic of its patient."""
    return EncounterOut(
        id=encounter.id,
        patient_id=encounter.patient_id,
        clinic_code=encounter.patient.clinic.code,
        doctor_id=encounter.doctor_id,
        occurred_at=encounter.occurred_at,
        chief_complaint=encounter.chief_complaint,
        symptoms=list(encounter.symptoms),
        vitals=VitalsOut.model_validate(encounter),
        diagnoses=list(encounter.diagnoses),
        notes=encounter.notes,
        created_at=encounter.created_at,
    )


def _summary_fields(patient: Patient, today: dt.date) -> dict[str, Any]:
    return {
        "id": patient.id,
        "name": patient.name,
        "sex": patient.sex,
        "birth_date": patient.birth_date,
        "age": age_on(patient.birth_date, today),
        "national_id_masked": mask_id(patient.national_id),
        "phone_masked": mask_phone(patient.phone),
        "village": patient.village,
        "clinic_code": patient.clinic.code,
        "poverty_registered": patient.poverty_registered,
    }
