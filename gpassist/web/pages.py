"""The pages of each role: the server renders the frame and the labels; the page's small script
fills it from the same /api/v1 calls any client makes (so scoping and validation live in one place).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import current_app, redirect, render_template, request, session, url_for
from sqlalchemy import select

from gpassist.auth.credentials import SESSION_TOKEN_KEY
from gpassist.auth.tables import Role
from gpassist.clinics.tables import Department, Facility, FacilityKind, FacilityLevel
from gpassist.db import shanghai_today
from gpassist.errors import Forbidden, NotFound
from gpassist.followup.form import form_choices
from gpassist.patients.schemas import age_on
from gpassist.patients.service import visible_patient
from gpassist.web.extensions import page_locale
from gpassist.web.strings import page_strings
from gpassist.web.views import START_PAGE, bp, logged_in_user

# Which roles may open each page (endpoint → roles; None: any logged-in user). The menu shows a
# role only the links it can open (``may_open``), from the same table the pages check.
PAGE_ROLES: dict[str, set[Role] | None] = {}


def may_open(endpoint: str, role: Role) -> bool:
    """Whether ``role`` may open the page ``endpoint`` ("web.reports")."""
    roles = PAGE_ROLES.get(endpoint.removeprefix("web."), set())
    return roles is None or role in roles


def page(rule: str, roles: set[Role] | None = None) -> Callable:
    """A page for the logged-in user (any role in ``roles``); others go to their start page."""

    def decorate(view: Callable) -> Callable:
        PAGE_ROLES[view.__name__] = roles

        @wraps(view)
        def wrapper(**kwargs):
            database = current_app.extensions["gpassist.db"]
            with database.read_sessionmaker() as db_session:
                user = logged_in_user(db_session)
                if user is None:
                    session.pop(SESSION_TOKEN_KEY, None)
                    return redirect(url_for("web.login_form", next=request.full_path.rstrip("?")))
                if roles is not None and user.role not in roles:
                    return redirect(url_for(START_PAGE.get(user.role, "web.home")))
                try:
                    context = view(user=user, db_session=db_session, **kwargs)
                except NotFound:
                    page = render("not_found.html", user)
                    return page, 404
                return render(context.pop("template"), user=user, **context)

        bp.add_url_rule(rule, view.__name__, wrapper, methods=["GET"])
        return wrapper

    return decorate


def render(template: str, user, **context):
    return render_template(
        template,
        user=user,
        strings=page_strings(),
        **context,
    )


@page("/app/today", roles={Role.village_doctor})
def today(user, db_session):
    return {"template": "today.html"}


@page("/app/patients", roles={Role.village_doctor, Role.admin})
def patients(user, db_session):
    return {"template": "patients.html"}


@page("/app/patients/<int:patient_id>", roles={Role.village_doctor, Role.admin})
def visit(user, db_session, patient_id: int):
    patient = visible_patient(db_session, user, patient_id)
    return {
        "template": "visit.html",
        "departments": county_departments(db_session),
        "patient": patient,
        "age": age_on(patient.birth_date, shanghai_today()),
        "clinic_code": patient.clinic.code,
        "followup_form": form_choices(page_locale()),
    }


@page("/app/reports", roles={Role.admin})
def reports(user, db_session):
    return {"template": "reports.html", "period": str(shanghai_today().year)}


@page("/app/consult", roles={Role.specialist})
def consult_desk(user, db_session):
    return {"template": "consult_desk.html"}


@page(
    "/app/consult/<int:consultation_id>", roles={Role.village_doctor, Role.specialist, Role.admin}
)
def consult_room(user, db_session, consultation_id: int):
    from gpassist.consult.service import joinable_consultation

    try:
        joinable_consultation(db_session, user, consultation_id)
    except Forbidden as exc:  # a specialist of the department who did not take it
        raise NotFound(detail_zh="没有找到这次会诊，或您无权查看。") from exc
    return {"template": "consult_room.html", "consultation_id": consultation_id}


def county_departments(db_session) -> list[Department]:
    """Departments of the county-level hospitals, which answer consultations."""
    return list(
        db_session.scalars(
            select(Department)
            .join(Facility, Department.facility_id == Facility.id)
            .where(
                Department.active.is_(True),
                Facility.kind == FacilityKind.hospital,
                Facility.level == FacilityLevel.county,
            )
            .order_by(Facility.code, Department.code)
        )
    )


@page("/app/pharmacy", roles={Role.pharmacist, Role.admin})
def pharmacy_board(user, db_session):
    return {"template": "pharmacy.html"}


@page("/app/admin/users", roles={Role.admin})
def admin_users(user, db_session):
    return {"template": "admin_users.html"}
