"""seed-demo's duty roster: a village doctor trying a consultation finds a specialist to ask."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gpassist.auth.tables import User
from gpassist.consult import service
from gpassist.consult.schemas import ConsultationIn
from gpassist.db import utcnow
from gpassist.demo.chronic import DEMO_TODAY
from gpassist.demo.seed import seed_demo
from gpassist.patients.tables import Encounter
from gpassist.web.pages import county_departments
from tests.conftest import DEMO_PATIENTS


def ask(session, department: str):
    """doctor-v01-01 asks ``department`` about one of their visits; (rooms told, notified)."""
    doctor = session.scalar(select(User).where(User.username == "doctor-v01-01"))
    encounter = session.scalar(
        select(Encounter).where(Encounter.clinic_id == doctor.clinic_id).order_by(Encounter.id)
    )
    data = ConsultationIn(reason="血压控制不佳，请会诊", department=department)
    outcome = service.open_consultation(session, doctor, encounter.id, data, now=utcnow())
    queued = next(n for n in outcome.notices if n.event == "queue_changed")
    state = next(n for n in outcome.notices if n.event == "consultation")
    return queued.rooms, state.payload["specialists_notified"]


@pytest.mark.parametrize(
    "department", ["internal_medicine", "cardiology", "endocrinology", "paediatrics", "tcm"]
)
def test_a_consultation_in_a_common_department_reaches_an_available_specialist(
    seeded_demo, department
):
    session, _ = seeded_demo
    specialist = session.scalar(
        select(User).where(User.username == f"specialist-{department.replace('_', '-')}")
    )
    rooms, notified = ask(session, department)
    assert notified == 1
    assert rooms == (service.user_room(specialist.id),)


def test_most_departments_are_on_duty_and_the_logins_say_who(seeded_demo):
    session, result = seeded_demo
    departments = county_departments(session)
    specialists = session.scalars(select(User).where(User.department_id.is_not(None))).all()
    on_duty = {s.department_id for s in specialists if service.is_available(session, s)}
    assert len(departments) - 2 == len(on_duty) == result.counts["specialists on duty"]
    described = dict(result.logins)
    assert "on duty / 在岗" in described["specialist-cardiology"]
    assert "off duty / 不在岗" in described["specialist-rehabilitation"]
    # An off-duty department still gets the request: it escalates to all its specialists.
    assert ask(session, "rehabilitation")[1] == 0


def test_a_second_seed_keeps_a_specialists_own_switch(seeded_demo):
    session, _ = seeded_demo
    cardiology = session.scalar(select(User).where(User.username == "specialist-cardiology"))
    service.set_availability(session, cardiology, False)
    again = seed_demo(session, patients=DEMO_PATIENTS, today=DEMO_TODAY)
    assert "specialists on duty" not in again.counts
    assert service.is_available(session, cardiology) is False
    assert ask(session, "cardiology")[1] == 0
