"""HTTP: TCM suggestions (中医辨证), the structured-entry lists, suggestions on an encounter."""

from __future__ import annotations

from flask import Blueprint, current_app

from gpassist.auth.tables import Role
from gpassist.endpoints import endpoint, request_session
from gpassist.tcm import kb_service, present, service, vocabulary
from gpassist.tcm.schemas import (
    EncounterTcmOut,
    SuggestIn,
    SuggestionOut,
    VocabularyOut,
    VocabularyQuery,
)

bp = Blueprint("tcm", __name__, url_prefix="/api/v1")
TAG = "tcm"
CLINICIANS = {Role.village_doctor, Role.specialist, Role.admin}
READERS = {Role.village_doctor, Role.admin}
EXTENSION = "gpassist.tcm"
KB_EXTENSION = "gpassist.tcm.kb"


@bp.record_once
def _load_models(state) -> None:
    # Once per app at start; the runtime caches each model per process.
    state.app.extensions[EXTENSION] = service.load_installed_models(
        state.app.config.get("TCM_MODELS")
    )
    state.app.extensions[KB_EXTENSION] = kb_service.load_installed(
        state.app.config.get("TCM_MODELS")
    )


@endpoint(
    bp,
    "/tcm/suggest",
    "POST",
    summary="TCM disease and syndromes (证型) with supporting findings, treatment principle "
    "and catalog medicines; with the knowledge base, 辨证 over 40+ diseases (fit, findings for "
    "and against, 治法, 代表方, patent medicines, what to ask next), started from the ICD-10 "
    "diagnosis",
    tag=TAG,
    roles=CLINICIANS,
    body=SuggestIn,
    response=SuggestionOut,
    errors=(403, 404, 422, 503),
)
def suggest(user, body: SuggestIn):
    return service.suggest(
        request_session(),
        user,
        current_app.extensions[EXTENSION],
        body,
        current_app.extensions.get(KB_EXTENSION),
    )


@endpoint(
    bp,
    "/tcm/vocabulary",
    "GET",
    summary="Structured-entry lists: tongue colour, coating, pulse, symptoms "
    "(search by Chinese, pinyin, initials, English)",
    tag=TAG,
    roles=CLINICIANS,
    query=VocabularyQuery,
    response=VocabularyOut,
    errors=(422,),
)
def search_vocabulary(user, query: VocabularyQuery):
    entries = vocabulary.search(query.q, query.category, query.limit)
    return VocabularyOut.model_validate(
        {
            "categories": {
                k: {"zh": zh, "en": en} for k, (zh, en) in vocabulary.CATEGORY_NAMES.items()
            },
            "items": [e.__dict__ for e in entries],
        }
    )


@endpoint(
    bp,
    "/encounters/<id:encounter_id>/tcm",
    "GET",
    summary="TCM suggestions stored on the encounter",
    tag=TAG,
    roles=READERS,
    response=EncounterTcmOut,
    errors=(404,),
)
def encounter_tcm(encounter_id: int, user):
    encounter, rows = service.encounter_suggestions(request_session(), user, encounter_id)
    return EncounterTcmOut(
        encounter_id=encounter.id,
        suggestions=[present.stored_suggestion_out(r) for r in rows],
    )
