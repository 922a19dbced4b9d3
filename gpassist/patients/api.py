"""HTTP: patients, households and encounters."""

from __future__ import annotations

from flask import Blueprint

from gpassist.auth.tables import Role
from gpassist.endpoints import endpoint, optional_idempotency_key, request_session
from gpassist.patients import service
from gpassist.patients.present import encounter_out, household_out, patient_detail, patient_summary
from gpassist.patients.schemas import (
    EncounterIn,
    EncounterList,
    EncounterOut,
    EncounterUpdate,
    HouseholdIn,
    HouseholdOut,
    PatientDetail,
    PatientIn,
    PatientList,
    PatientQuery,
    PatientUpdate,
)
from gpassist.schemas import Page

bp = Blueprint("patients", __name__, url_prefix="/api/v1")
TAG = "patients"
DOCTOR = {Role.village_doctor}
READERS = {Role.village_doctor, Role.admin}


@endpoint(
    bp,
    "/households",
    "POST",
    summary="Register a household",
    tag=TAG,
    roles=DOCTOR,
    body=HouseholdIn,
    response=HouseholdOut,
    status=201,
    errors=(409,),
)
def create_household(user, body: HouseholdIn):
    return household_out(service.create_household(request_session(), user, body))


@endpoint(
    bp,
    "/households/<id:household_id>",
    "GET",
    summary="One household",
    tag=TAG,
    roles=READERS,
    response=HouseholdOut,
)
def get_household(user, household_id: int):
    return household_out(service.visible_household(request_session(), user, household_id))


@endpoint(
    bp,
    "/patients",
    "POST",
    summary="Register a patient at the doctor's clinic",
    tag=TAG,
    roles=DOCTOR,
    body=PatientIn,
    response=PatientDetail,
    status=201,
    errors=(409,),
)
def create_patient(user, body: PatientIn):
    return patient_detail(service.create_patient(request_session(), user, body), user)


@endpoint(
    bp,
    "/patients",
    "GET",
    summary="Search patients by name, pinyin initials, resident-ID tail or village",
    tag=TAG,
    roles=READERS,
    query=PatientQuery,
    response=PatientList,
)
def search_patients(user, query: PatientQuery):
    found, total = service.search_patients(
        request_session(),
        user,
        q=query.q,
        village=query.village,
        clinic_code=query.clinic,
        limit=query.limit,
        offset=query.offset,
    )
    today = service.today()
    return PatientList(items=[patient_summary(p, today) for p in found], total=total)


@endpoint(
    bp,
    "/patients/<id:patient_id>",
    "GET",
    summary="One patient",
    tag=TAG,
    roles=READERS,
    response=PatientDetail,
)
def get_patient(user, patient_id: int):
    return patient_detail(service.visible_patient(request_session(), user, patient_id), user)


@endpoint(
    bp,
    "/patients/<id:patient_id>",
    "PATCH",
    summary="Update a patient's record",
    tag=TAG,
    roles=DOCTOR,
    body=PatientUpdate,
    response=PatientDetail,
)
def update_patient(user, patient_id: int, body: PatientUpdate):
    return patient_detail(service.update_patient(request_session(), user, patient_id, body), user)


@endpoint(
    bp,
    "/patients/<id:patient_id>/encounters",
    "POST",
    summary="Record a visit (with an Idempotency-Key header, sending the same save again "
    "returns the visit it recorded instead of a second one; the same key with another visit "
    "is 409)",
    tag=TAG,
    roles=DOCTOR,
    body=EncounterIn,
    response=EncounterOut,
    status=201,
    errors=(409,),
)
def create_encounter(user, patient_id: int, body: EncounterIn):
    key = optional_idempotency_key()
    return encounter_out(service.record_encounter(request_session(), user, patient_id, body, key))


@endpoint(
    bp,
    "/patients/<id:patient_id>/encounters/today",
    "GET",
    summary="The patient's visits today at the doctor's clinic whose bill is not settled yet, "
    "newest first (the visit page resumes the first after a reload)",
    tag=TAG,
    roles=DOCTOR,
    response=EncounterList,
)
def todays_open_encounters(user, patient_id: int):
    found = service.open_encounters_today(request_session(), user, patient_id)
    return EncounterList(items=[encounter_out(e) for e in found])


@endpoint(
    bp,
    "/patients/<id:patient_id>/encounters",
    "GET",
    summary="A patient's visits, newest first",
    tag=TAG,
    roles=READERS,
    query=Page,
    response=EncounterList,
)
def list_encounters(user, patient_id: int, query: Page):
    found = service.encounter_history(
        request_session(), user, patient_id, query.limit, query.offset
    )
    return EncounterList(items=[encounter_out(e) for e in found])


@endpoint(
    bp,
    "/encounters/<id:encounter_id>",
    "GET",
    summary="One visit",
    tag=TAG,
    roles=READERS,
    response=EncounterOut,
)
def get_encounter(user, encounter_id: int):
    return encounter_out(service.visible_encounter(request_session(), user, encounter_id))


@endpoint(
    bp,
    "/encounters/<id:encounter_id>",
    "PATCH",
    summary="Change a saved visit: complaint, vitals (replaced as a whole), confirmed diagnoses "
    "(ICD-10), notes — what is given",
    tag=TAG,
    roles=DOCTOR,
    body=EncounterUpdate,
    response=EncounterOut,
)
def update_encounter(user, encounter_id: int, body: EncounterUpdate):
    return encounter_out(service.update_encounter(request_session(), user, encounter_id, body))
