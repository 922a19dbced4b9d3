"""HTTP: enrol, record follow-ups, the morning worklists, health checks, certifications."""

from __future__ import annotations

from flask import Blueprint

from gpassist.auth.tables import Role, User
from gpassist.db import shanghai_today
from gpassist.endpoints import endpoint, request_session
from gpassist.followup import service
from gpassist.followup.present import (
    certification_out,
    enrolment_out,
    follow_up_out,
    worklist_entry,
)
from gpassist.followup.record_print import follow_up_record_html
from gpassist.followup.schemas import (
    AnnualCheckDueEntry,
    AnnualCheckDueList,
    AnnualCheckIn,
    AnnualCheckList,
    AnnualCheckOut,
    CertificationIn,
    CertificationList,
    CertificationOut,
    EnrolIn,
    EnrolmentList,
    EnrolmentOut,
    FollowUpIn,
    FollowUpList,
    FollowUpResult,
    WithdrawIn,
    Worklist,
    WorklistQuery,
)
from gpassist.patients.schemas import age_on
from gpassist.patients.tables import Patient

bp = Blueprint("followup", __name__, url_prefix="/api/v1")
TAG = "follow-up"
DOCTOR = {Role.village_doctor}
READERS = {Role.village_doctor, Role.admin}


@endpoint(
    bp,
    "/patients/<id:patient_id>/enrolments",
    "POST",
    summary="Enrol a patient in a chronic-disease program",
    tag=TAG,
    roles=DOCTOR,
    body=EnrolIn,
    response=EnrolmentOut,
    status=201,
    errors=(409,),
)
def enrol(user, patient_id: int, body: EnrolIn):
    return enrolment_out(service.enrol(request_session(), user, patient_id, body, shanghai_today()))


@endpoint(
    bp,
    "/patients/<id:patient_id>/enrolments",
    "GET",
    summary="A patient's program enrolments",
    tag=TAG,
    roles=READERS,
    response=EnrolmentList,
)
def list_enrolments(user, patient_id: int):
    found = service.enrolments_of(request_session(), user, patient_id)
    return EnrolmentList(items=[enrolment_out(e) for e in found])


@endpoint(
    bp,
    "/enrolments/<id:enrolment_id>/withdraw",
    "POST",
    summary="Withdraw from a program (moved, died, refused, transferred)",
    tag=TAG,
    roles=DOCTOR,
    body=WithdrawIn,
    response=EnrolmentOut,
    errors=(409,),
)
def withdraw(user, enrolment_id: int, body: WithdrawIn):
    enrolment = service.withdraw(request_session(), user, enrolment_id, body, shanghai_today())
    return enrolment_out(enrolment)


@endpoint(
    bp,
    "/patients/<id:patient_id>/follow-ups",
    "POST",
    summary="Record a follow-up: classification, referral flags and next due date per program",
    tag=TAG,
    roles=DOCTOR,
    body=FollowUpIn,
    response=FollowUpResult,
    status=201,
)
def record_follow_up(user, patient_id: int, body: FollowUpIn):
    recorded = service.record_follow_up(request_session(), user, patient_id, body, shanghai_today())
    return FollowUpResult(follow_ups=[follow_up_out(r.follow_up, r.referral) for r in recorded])


@endpoint(
    bp,
    "/follow-ups/<id:follow_up_id>/record.html",
    "GET",
    summary="Printable follow-up record (随访服务记录表, Chinese) of one follow-up",
    tag=TAG,
    roles=READERS,
    media_type="text/html",
)
def follow_up_record(user, follow_up_id: int):
    session = request_session()
    follow_up = service.visible_follow_up(session, user, follow_up_id)
    doctor = session.get(User, follow_up.recorded_by_id)
    patient = session.get(Patient, follow_up.patient_id)
    return follow_up_record_html(follow_up, patient, doctor, shanghai_today()), {}


@endpoint(
    bp,
    "/patients/<id:patient_id>/follow-ups",
    "GET",
    summary="A patient's follow-ups, newest first",
    tag=TAG,
    roles=READERS,
    response=FollowUpList,
)
def list_follow_ups(user, patient_id: int):
    found = service.follow_ups_of(request_session(), user, patient_id)
    return FollowUpList(items=[follow_up_out(f) for f in found])


def _worklist(user, query: WorklistQuery, kind: str) -> Worklist:
    session = request_session()
    today = shanghai_today()
    clinic_id = service.worklist_clinic(session, user, query.clinic)
    program = query.program.value if query.program else None
    entries = [
        worklist_entry(e, today) for e in service.worklist(session, clinic_id, kind, today, program)
    ]
    return Worklist(kind=kind, as_of=today, items=entries)  # type: ignore[arg-type]


def _register_worklist(kind: str, summary: str) -> None:
    def view(user, query: WorklistQuery):
        return _worklist(user, query, kind)

    view.__name__ = f"worklist_{kind}"
    endpoint(
        bp,
        f"/follow-ups/{kind.replace('_', '-')}",
        "GET",
        summary=summary,
        tag=TAG,
        roles=READERS,
        query=WorklistQuery,
        response=Worklist,
    )(view)


_register_worklist("due_today", "Follow-ups due today at the caller's clinic")
_register_worklist("due_this_week", "Follow-ups due today and in the next 6 days")
_register_worklist("overdue", "Overdue follow-ups, highest risk first")
_register_worklist("lost", "Lost to follow-up: overdue more than 12 months")


@endpoint(
    bp,
    "/follow-ups/annual-checks-due",
    "GET",
    summary="Managed patients without this year's health check (年度健康体检) at the clinic",
    tag=TAG,
    roles=READERS,
    query=WorklistQuery,
    response=AnnualCheckDueList,
)
def annual_checks_due(user, query: WorklistQuery):
    session = request_session()
    today = shanghai_today()
    clinic_id = service.worklist_clinic(session, user, query.clinic)
    program = query.program.value if query.program else None
    due = service.annual_checks_due(session, clinic_id, today, program)
    items = [
        AnnualCheckDueEntry(
            patient_id=d.patient.id,
            patient_name=d.patient.name,
            age=age_on(d.patient.birth_date, today),
            village=d.patient.village,
            programs=d.programs,
            last_check_date=d.last_check_date,
        )
        for d in due
    ]
    return AnnualCheckDueList(as_of=today, items=items)


@endpoint(
    bp,
    "/patients/<id:patient_id>/annual-checks",
    "POST",
    summary="Record the annual health check",
    tag=TAG,
    roles=DOCTOR,
    body=AnnualCheckIn,
    response=AnnualCheckOut,
    status=201,
    errors=(409,),
)
def record_annual_check(user, patient_id: int, body: AnnualCheckIn):
    check = service.record_annual_check(request_session(), user, patient_id, body, shanghai_today())
    return AnnualCheckOut.model_validate(check)


@endpoint(
    bp,
    "/patients/<id:patient_id>/annual-checks",
    "GET",
    summary="A patient's annual health checks, newest first",
    tag=TAG,
    roles=READERS,
    response=AnnualCheckList,
)
def list_annual_checks(user, patient_id: int):
    found = service.annual_checks_of(request_session(), user, patient_id)
    return AnnualCheckList(items=[AnnualCheckOut.model_validate(c) for c in found])


@endpoint(
    bp,
    "/patients/<id:patient_id>/certifications",
    "POST",
    summary="Record a certified chronic disease (门诊慢特病认定)",
    tag=TAG,
    roles=DOCTOR,
    body=CertificationIn,
    response=CertificationOut,
    status=201,
    errors=(409,),
)
def certify(user, patient_id: int, body: CertificationIn):
    return certification_out(service.certify(request_session(), user, patient_id, body))


@endpoint(
    bp,
    "/patients/<id:patient_id>/certifications",
    "GET",
    summary="A patient's certified chronic diseases",
    tag=TAG,
    roles=READERS,
    response=CertificationList,
)
def list_certifications(user, patient_id: int):
    found = service.certifications_of(request_session(), user, patient_id)
    return CertificationList(items=[certification_out(c) for c in found])
