"""HTTP: what is not realtime — lists, the full log, opening from an encounter, attachments,
the availability switch and the ICE servers for the call."""

from __future__ import annotations

import json
from urllib.parse import quote

from flask import Blueprint, current_app, request
from pydantic import TypeAdapter, ValidationError

from gpassist.auth.tables import Role
from gpassist.consult import service
from gpassist.consult.attachments import (
    MEDIA_TYPES,
    TooLarge,
    attachment_for,
    store_attachment,
    too_large_zh,
)
from gpassist.consult.present import consultation_model, message_model
from gpassist.consult.runtime import announce, timeouts_from
from gpassist.consult.schemas import (
    AttachmentOut,
    AvailabilityIn,
    AvailabilityOut,
    ConsultationIn,
    ConsultationList,
    ConsultationOut,
    ConsultationQuery,
    ConsultationWithLog,
    IceServer,
    IceServers,
)
from gpassist.db import utcnow
from gpassist.endpoints import endpoint, request_session
from gpassist.schemas import ApiModel, Str

bp = Blueprint("consult", __name__, url_prefix="/api/v1")
TAG = "consultation"
PARTIES = {Role.village_doctor, Role.specialist, Role.admin}
_ICE = TypeAdapter(list[IceServer])


class UploadQuery(ApiModel):
    filename: Str | None = None


@endpoint(
    bp,
    "/consultations",
    "GET",
    summary="My consultations: a doctor's requests, a specialist's cases, or all (admin)",
    tag=TAG,
    roles=PARTIES,
    query=ConsultationQuery,
    response=ConsultationList,
)
def list_mine(user, query: ConsultationQuery):
    session = request_session()
    found = service.my_consultations(
        session, user, query.state, query.limit, query.offset, patient_id=query.patient
    )
    unread = service.unread_opinions(session, user, found)
    return ConsultationList(items=[consultation_model(c, unread) for c in found])


@endpoint(
    bp,
    "/consultations/queue",
    "GET",
    summary="Requests waiting for a specialist, most urgent then oldest first",
    tag=TAG,
    roles=PARTIES,
    response=ConsultationList,
)
def queue(user):
    waiting = service.waiting_queue(request_session(), user)
    return ConsultationList(items=[consultation_model(c) for c in waiting])


@endpoint(
    bp,
    "/consultations/<id:consultation_id>",
    "GET",
    summary="One consultation with its full message log",
    tag=TAG,
    roles=PARTIES,
    response=ConsultationWithLog,
    errors=(404,),
)
def read_one(user, consultation_id: int):
    session = request_session()
    consultation = service.visible_consultation(session, user, consultation_id)
    messages = service.messages_after(session, consultation.id, 0)
    unread = service.unread_opinions(session, user, [consultation])
    return ConsultationWithLog(
        **consultation_model(consultation, unread).model_dump(),
        messages=[message_model(m) for m in messages],
    )


@endpoint(
    bp,
    "/consultations/<id:consultation_id>/opinion-read",
    "POST",
    summary="I (the requesting doctor) have opened the opinion: no more unread marker for me",
    tag=TAG,
    roles={Role.village_doctor, Role.admin},
    response=ConsultationOut,
    errors=(404, 409),
)
def opinion_read(user, consultation_id: int):
    session = request_session()
    consultation = service.mark_opinion_read(session, user, consultation_id, now=utcnow())
    return consultation_model(consultation, service.unread_opinions(session, user, [consultation]))


@endpoint(
    bp,
    "/encounters/<id:encounter_id>/consultations",
    "POST",
    summary="Ask a county department for a remote consultation on this encounter",
    tag=TAG,
    roles={Role.village_doctor},
    body=ConsultationIn,
    response=ConsultationOut,
    status=201,
    errors=(404,),
)
def open_from_encounter(user, encounter_id: int, body: ConsultationIn):
    session = request_session()
    outcome = service.open_consultation(session, user, encounter_id, body, now=utcnow())
    out = consultation_model(outcome.consultation)
    announce(session, outcome.notices)  # sent once the request's session commits
    return out


@endpoint(
    bp,
    "/consultations/<id:consultation_id>/attachments",
    "POST",
    summary="Upload an image (ECG photo, …) as the raw body; checked by content, size-limited",
    tag=TAG,
    roles=PARTIES,
    query=UploadQuery,
    response=AttachmentOut,
    status=201,
    errors=(404, 409, 413),
)
def upload_attachment(user, consultation_id: int, query: UploadQuery):
    limit = current_app.config["CONSULT_ATTACHMENT_MAX_BYTES"]
    declared = request.content_length
    if declared is not None and declared > limit:
        raise TooLarge(
            f"An attachment may be at most {limit} bytes; this is {declared}.",
            detail_zh=too_large_zh(limit),
        )
    request.max_content_length = limit  # read no more than the limit (Flask answers 413)
    data = request.get_data(cache=False)
    attachment = store_attachment(
        request_session(), user, consultation_id, data, query.filename, max_bytes=limit
    )
    return AttachmentOut.model_validate(attachment)


@endpoint(
    bp,
    "/consultations/<id:consultation_id>/attachments/<id:attachment_id>",
    "GET",
    summary="Download an attachment (its real image type in Content-Type)",
    tag=TAG,
    roles=PARTIES,
    errors=(404,),
    media_type=tuple(MEDIA_TYPES.values()),
)
def download_attachment(user, consultation_id: int, attachment_id: int):
    attachment = attachment_for(request_session(), user, consultation_id, attachment_id)
    headers = {
        "Content-Type": attachment.media_type,
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(attachment.filename)}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=3600",
    }
    return attachment.data, headers


@endpoint(
    bp,
    "/consultations/availability",
    "GET",
    summary="Whether I (a specialist) am taking consultations now",
    tag=TAG,
    roles={Role.specialist},
    response=AvailabilityOut,
)
def my_availability(user):
    available = service.is_available(request_session(), user)
    return AvailabilityOut(department=_department(user), available=available)


@endpoint(
    bp,
    "/consultations/availability",
    "PUT",
    summary="Switch whether I (a specialist) am taking consultations now; kept across restarts",
    tag=TAG,
    roles={Role.specialist},
    body=AvailabilityIn,
    response=AvailabilityOut,
)
def set_my_availability(user, body: AvailabilityIn):
    row = service.set_availability(request_session(), user, body.available)
    return AvailabilityOut(department=_department(user), available=row.available)


def _department(user) -> str:
    return f"{user.department.facility.code}/{user.department.code}"


@endpoint(
    bp,
    "/consultations/ice-servers",
    "GET",
    summary="STUN/TURN servers for the video call (RTCPeerConnection iceServers)",
    tag=TAG,
    roles=PARTIES,
    response=IceServers,
)
def ice_servers(user):
    return IceServers(ice_servers=configured_ice_servers(current_app.config["CONSULT_ICE_SERVERS"]))


def configured_ice_servers(raw: str) -> list[IceServer]:
    """Parse ``GPASSIST_CONSULT_ICE_SERVERS``; a single URL string is accepted for ``urls``."""
    try:
        entries = json.loads(raw or "[]")
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("urls"), str):
                entry["urls"] = [entry["urls"]]
        return _ICE.validate_python(entries)
    except (ValueError, TypeError, AttributeError, ValidationError) as exc:
        raise ValueError(f"GPASSIST_CONSULT_ICE_SERVERS: not a list of ICE servers: {exc}") from exc


@bp.record_once
def _check_settings(state) -> None:
    # A broken ICE list or inconsistent timeouts stop the service at start, not at the first call.
    configured_ice_servers(state.app.config["CONSULT_ICE_SERVERS"])
    timeouts_from(state.app.config)
