"""HTTP: diagnosis models, symptom search, suggestions, interviews, confirmed diagnoses."""

from __future__ import annotations

from flask import Blueprint, current_app

from gpassist.auth.tables import Role
from gpassist.diagnosis import complaint, confirmation, present, service
from gpassist.diagnosis.schemas import (
    ComplaintIn,
    ComplaintOut,
    ConfirmIn,
    ConfirmResult,
    EncounterDiagnosis,
    InterviewIn,
    InterviewOut,
    ModelList,
    SuggestIn,
    SuggestionOut,
    SymptomList,
    SymptomQuery,
)
from gpassist.diagnosis.tables import SuggestionMode
from gpassist.endpoints import endpoint, request_session

bp = Blueprint("diagnosis", __name__, url_prefix="/api/v1")
TAG = "diagnosis"
CLINICIANS = {Role.village_doctor, Role.specialist, Role.admin}
DOCTOR = {Role.village_doctor}
READERS = {Role.village_doctor, Role.admin}
EXTENSION = "gpassist.diagnosis"


@bp.record_once
def _load_models(state) -> None:
    # At app start, once per app; the runtime caches each model per process, so a second app
    # (tests, several workers in one process) reuses the same InferenceSession.
    state.app.extensions[EXTENSION] = service.load_installed_models(
        state.app.config.get("DIAGNOSIS_MODELS")
    )


def installed_models():
    return current_app.extensions[EXTENSION]


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
        request_session(), user, installed_models(), encounter_id, body
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
