"""HTTP: diagnosis models, symptom search, suggestions, interviews, confirmed diagnoses."""

from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import select

from gpassist.auth.tables import Role
from gpassist.diagnosis import complaint, confirmation, naming, present, service
from gpassist.diagnosis.catalog import DiagnosisCatalog, load_catalog
from gpassist.diagnosis.schemas import (
    ComplaintIn,
    ComplaintOut,
    ConfirmIn,
    ConfirmResult,
    DiagnosisList,
    DiagnosisQuery,
    EncounterDiagnosis,
    InterviewIn,
    InterviewOut,
    KnownDiagnosisList,
    ModelList,
    SuggestIn,
    SuggestionOut,
    SymptomList,
    SymptomQuery,
)
from gpassist.diagnosis.tables import SuggestionMode
from gpassist.endpoints import endpoint, request_session
from gpassist.followup.definitions import load_programs
from gpassist.followup.tables import Enrolment, EnrolmentStatus
from gpassist.patients.service import visible_patient

bp = Blueprint("diagnosis", __name__, url_prefix="/api/v1")
TAG = "diagnosis"
CLINICIANS = {Role.village_doctor, Role.specialist, Role.admin}
DOCTOR = {Role.village_doctor}
READERS = {Role.village_doctor, Role.admin}
EXTENSION = "gpassist.diagnosis"
CATALOG = "gpassist.diagnosis.catalog"


@bp.record_once
def _load_models(state) -> None:
    # At app start, once per app; the runtime caches each model per process, so a second app
    # (tests, several workers in one process) reuses the same InferenceSession.
    state.app.extensions[EXTENSION] = service.load_installed_models(
        state.app.config.get("DIAGNOSIS_MODELS")
    )
    # The diagnosis picker's search index, built once here rather than on the first search.
    state.app.extensions[CATALOG] = load_catalog(state.app.config.get("DIAGNOSIS_MODELS"))


def installed_models():
    return current_app.extensions[EXTENSION]


def diagnosis_catalog() -> DiagnosisCatalog:
    return current_app.extensions[CATALOG]


@endpoint(
    bp,
    "/diagnoses",
    "GET",
    summary="Search the confirmable diagnoses (ICD-10 with Chinese names) by Chinese name, pinyin "
    "initials (gxy), pinyin, English or code (I10)",
    tag=TAG,
    roles=CLINICIANS,
    query=DiagnosisQuery,
    response=DiagnosisList,
    errors=(422,),
)
def search_diagnoses(user, query: DiagnosisQuery):
    catalog = diagnosis_catalog()
    hits = catalog.search(query.q, query.limit)
    items = [
        {
            "icd10": h.entry.icd10,
            "zh": h.entry.zh,
            "en": h.entry.en,
            "source": h.entry.source,
            "matched": h.matched_field,
            "match": h.kind_name,
        }
        for h in hits
    ]
    # A code the list does not carry is still confirmable: offer WHO's, after the named ones.
    for code, title in confirmation.who_codes(query.q, query.limit):
        if len(items) < query.limit and catalog.named(code) is None:
            items.append(
                {"icd10": code, "zh": None, "en": title, "source": "who", "matched": "code"}
            )
    return DiagnosisList.model_validate({"items": items})


@endpoint(
    bp,
    "/patients/<id:patient_id>/diagnoses",
    "GET",
    summary="The patient's known diagnoses, to confirm with one tap: their programs' first, then "
    "those of their past visits, most often confirmed first",
    tag=TAG,
    roles=READERS,
    response=KnownDiagnosisList,
    errors=(404,),
)
def known_diagnoses(patient_id: int, user):
    session = request_session()
    patient = visible_patient(session, user, patient_id)
    enrolled = session.scalars(
        select(Enrolment.program).where(
            Enrolment.patient_id == patient.id, Enrolment.status == EnrolmentStatus.active
        )
    )
    definitions = load_programs()
    programs = [
        (code, p.eligibility.icd10[0], p.name.zh, p.name.en)
        for code in enrolled
        if (p := definitions.get(code)) is not None
    ]
    found = naming.known_diagnoses(session, patient.id, programs, diagnosis_catalog())
    return KnownDiagnosisList.model_validate({"items": [vars(k) for k in found]})


@endpoint(
    bp,
    "/diagnosis/models",
    "GET",
    summary="Installed diagnosis models (the default first)",
    tag=TAG,
    roles=CLINICIANS,
    response=ModelList,
)
def list_models(user):
    return ModelList.model_validate({"items": service.model_summaries(installed_models())})


@endpoint(
    bp,
    "/diagnosis/symptoms",
    "GET",
    summary="Search a model's symptoms (Chinese, synonyms, pinyin initials, pinyin, English)",
    tag=TAG,
    roles=CLINICIANS,
    query=SymptomQuery,
    response=SymptomList,
    errors=(422, 503),
)
def search_symptoms(user, query: SymptomQuery):
    model, found = service.search_symptoms(installed_models(), query.q, query.model, query.limit)
    items = [
        {
            "code": s.code,
            "zh": s.zh,
            "en": s.en,
            "synonyms": list(s.synonyms),
            "matched": hit.matched_field if hit else None,
            "match": hit.kind_name if hit else None,
        }
        for s, hit in found
    ]
    return SymptomList.model_validate({"model": model.name, "items": items})


@endpoint(
    bp,
    "/diagnosis/complaint",
    "POST",
    summary="Suggested findings (present/absent, duration) of a Chinese complaint; nothing stored",
    tag=TAG,
    roles=CLINICIANS,
    body=ComplaintIn,
    response=ComplaintOut,
    errors=(422, 503),
)
def read_complaint(user, body: ComplaintIn):
    model = service.resolve_model(installed_models(), body.model)
    parsed = complaint.parse(body.text, complaint.vocabulary_for(model))
    return ComplaintOut.model_validate(present.complaint_out(model, parsed))


@endpoint(
    bp,
    "/diagnosis/suggest",
    "POST",
    summary="Differential diagnosis (top 10) and triage for the evidence",
    tag=TAG,
    roles=CLINICIANS,
    body=SuggestIn,
    response=SuggestionOut,
    errors=(403, 404, 422, 503),
)
def suggest(user, body: SuggestIn):
    return service.suggest(
        request_session(), user, installed_models(), body, SuggestionMode.suggest
    )


@endpoint(
    bp,
    "/diagnosis/interview",
    "POST",
    summary="The differential so far and the next best question to ask",
    tag=TAG,
    roles=CLINICIANS,
    body=InterviewIn,
    response=InterviewOut,
    errors=(403, 404, 422, 503),
)
def interview(user, body: InterviewIn):
    return service.suggest(
        request_session(), user, installed_models(), body, SuggestionMode.interview
    )


@endpoint(
    bp,
    "/encounters/<id:encounter_id>/diagnosis",
    "POST",
    summary="Record the confirmed diagnosis (a model condition or an ICD-10 code)",
    tag=TAG,
    roles=DOCTOR,
    body=ConfirmIn,
    response=ConfirmResult,
    status=201,
    errors=(404, 409, 422, 503),
)
def confirm(encounter_id: int, user, body: ConfirmIn):
    row, encounter = confirmation.confirm_diagnosis(
        request_session(), user, installed_models(), encounter_id, body, diagnosis_catalog()
    )
    return ConfirmResult(
        **present.confirmed_out(row).model_dump(), encounter_diagnoses=list(encounter.diagnoses)
    )


@endpoint(
    bp,
    "/encounters/<id:encounter_id>/diagnosis",
    "GET",
    summary="Suggestions stored on the encounter and its confirmed diagnoses",
    tag=TAG,
    roles=READERS,
    response=EncounterDiagnosis,
    errors=(404,),
)
def encounter_diagnosis(encounter_id: int, user):
    encounter, suggestions, confirmed = confirmation.encounter_diagnosis(
        request_session(), user, encounter_id
    )
    return EncounterDiagnosis(
        encounter_id=encounter.id,
        suggestions=[present.stored_out(s) for s in suggestions],
        confirmed=[present.confirmed_out(c) for c in confirmed],
    )
