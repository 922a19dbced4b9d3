"""Request and response models of consultations, shared by the HTTP API and the /consult events."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, JsonValue, field_validator, model_validator

from gpassist.consult.states import ConsultState, Urgency
from gpassist.messages_zh import rule_error
from gpassist.schemas import ApiModel, DbId, LocalDateTime, OutModel, Page, Str, Text

Reason = Annotated[Str, Field(min_length=1, max_length=2000)]
DepartmentCode = Annotated[Str, Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$", examples=["cardiology"])]
ClientMsgId = Annotated[Str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
OpinionText = Annotated[Str, Field(max_length=4000)]
# A WebRTC offer with many codecs and candidates is ~10 KB; the bound stops a party from making
# the server relay megabytes per event (Engine.IO alone would allow 1 MB).
SIGNAL_MAX_BYTES = 64 * 1024


class ConsultationIn(ApiModel):
    """Open a consultation from an encounter (the encounter id is in the path over HTTP)."""

    reason: Reason
    urgency: Urgency = Urgency.routine
    department: DepartmentCode = Field(description="county-hospital department code")
    differential: list[Annotated[Str, Field(max_length=200)]] = Field(
        default_factory=list,
        max_length=10,
        description="the suggested differential the doctor saw, if any (e.g. 'I20 心绞痛 0.41')",
    )


class RequestEvent(ConsultationIn):
    encounter_id: DbId


class ConsultationRef(ApiModel):
    consultation_id: DbId


class JoinEvent(ConsultationRef):
    after_seq: int = Field(
        default=0, ge=0, le=2**31 - 1, description="the last seq this client has seen"
    )


class MessageEvent(ConsultationRef):
    client_msg_id: ClientMsgId = Field(description="the client's own id: a resend is stored once")
    text: Annotated[Str, Field(min_length=1, max_length=4000)] | None = None
    attachment_id: DbId | None = None

    @model_validator(mode="after")
    def _one_body(self) -> MessageEvent:
        if (self.text is None) == (self.attachment_id is None):
            raise rule_error(
                "send either text or attachment_id", "请发送文字或一张图片（二者选一）。"
            )
        return self


class TypingEvent(ConsultationRef):
    typing: bool = True


class ReadEvent(ConsultationRef):
    seq: int = Field(ge=1, le=2**31 - 1)


class SignalEvent(ConsultationRef):
    # SDP is whitespace-sensitive: relay it byte for byte.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    kind: Literal["offer", "answer", "ice"]
    data: JsonValue = Field(
        description=f"SDP or ICE candidate; relayed as is, never inspected; "
        f"at most {SIGNAL_MAX_BYTES} bytes as JSON"
    )

    @field_validator("data")
    @classmethod
    def _bounded(cls, data: JsonValue) -> JsonValue:
        size = len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
        if size > SIGNAL_MAX_BYTES:
            raise rule_error(
                f"signal data is {size} bytes; at most {SIGNAL_MAX_BYTES}",
                "通话连接信息过大，无法建立通话，请重新发起通话。",
            )
        return data


class Opinion(ApiModel):
    assessment: Annotated[Str, Field(min_length=1, max_length=4000)] = Field(description="诊断意见")
    advice: Annotated[Str, Field(min_length=1, max_length=4000)] = Field(description="处理建议")
    refer: bool = Field(default=False, description="转诊: open a referral to this department")
    prescription_advice: OpinionText | None = Field(default=None, description="用药建议")


class CloseEvent(ConsultationRef):
    opinion: Opinion


class CancelEvent(ConsultationRef):
    reason: Annotated[Str, Field(max_length=500)] | None = None


class AvailabilityIn(ApiModel):
    available: bool


class ConsultationQuery(Page):
    state: ConsultState | None = None
    patient: DbId | None = Field(default=None, description="one patient's consultations")


# --- responses -------------------------------------------------------------------------------


class MessageOut(OutModel):
    consultation_id: int
    seq: int
    sender_id: int
    kind: Literal["text", "attachment"]
    text: str | None
    attachment_id: int | None
    client_msg_id: str | None
    sent_at: LocalDateTime


class ConsultationOut(OutModel):
    id: int
    encounter_id: int
    patient_id: int
    clinic_id: int
    requested_by_id: int
    department: str = Field(description="FACILITY/department code, e.g. CH/cardiology")
    urgency: Urgency
    reason: str
    summary: dict[str, Any]
    state: ConsultState
    escalation: Literal["available", "department", "admins"]
    specialist_id: int | None
    last_seq: int
    requested_at: LocalDateTime
    accepted_at: LocalDateTime | None
    started_at: LocalDateTime | None
    ended_at: LocalDateTime | None
    opinion: dict[str, Any] | None
    referral_id: int | None
    department_name: Text | None = Field(default=None, description="the answering department")
    opinion_unread: bool = Field(
        default=False,
        description="the caller asked for this consultation and has not opened its opinion yet",
    )


class ConsultationList(OutModel):
    items: list[ConsultationOut]


class ConsultationWithLog(ConsultationOut):
    messages: list[MessageOut]


class AttachmentOut(OutModel):
    id: int
    consultation_id: int
    media_type: str
    filename: str
    size: int
    width: int
    height: int
    sha256: str
    uploaded_at: LocalDateTime


class AvailabilityOut(OutModel):
    department: str
    available: bool


class IceServer(OutModel):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class IceServers(OutModel):
    ice_servers: list[IceServer]
