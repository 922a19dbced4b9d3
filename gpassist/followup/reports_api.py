"""HTTP: follow-up reports for admins — JSON, CSV, a monthly series and its chart (PNG).

The definitions (managed, followed to standard, controlled, overdue, lost, referrals) are in
``reports.py`` and repeated in the models' descriptions (``reports_schemas.py``), which feed the
OpenAPI document; ``present.py`` turns a report into JSON, CSV or a chart.
The CSV and PNG endpoints are ordinary endpoints with another media type: the same token
check, admin-only role check and query validation (422 problem+json), but a file body.
"""

from __future__ import annotations

from flask import Blueprint

from gpassist.auth.tables import Role
from gpassist.db import shanghai_today
from gpassist.endpoints import endpoint, request_session
from gpassist.followup import reports
from gpassist.followup.present import (
    follow_up_report_out,
    monthly_chart,
    monthly_report_out,
    report_csv,
)
from gpassist.followup.reports_schemas import (
    FollowUpReport,
    MonthlyQuery,
    MonthlyReport,
    ReportQuery,
)

bp = Blueprint("reports", __name__, url_prefix="/api/v1/reports")
TAG = "reports"
ADMIN = frozenset({Role.admin})

# --- routes ----------------------------------------------------------------------------------


@endpoint(
    bp,
    "/followup",
    "GET",
    summary="Follow-up report for the county, a town or a village clinic (managed, "
    "standard-management and control rates, overdue, lost, referrals)",
    tag=TAG,
    roles=ADMIN,
    query=ReportQuery,
    response=FollowUpReport,
)
def followup_report(user, query: ReportQuery):
    return _report(query)


@endpoint(
    bp,
    "/followup.csv",
    "GET",
    tag=TAG,
    roles=ADMIN,
    summary="The follow-up report as CSV (UTF-8 with BOM): one row per town or clinic, then the "
    "total",
    query=ReportQuery,
    media_type="text/csv",
)
def followup_report_csv(user, query: ReportQuery):
    report = _report(query)
    filename = f"followup-{report.program}-{report.period}-{report.level}-{report.code}.csv"
    return report_csv(report), {"Content-Disposition": f'attachment; filename="{filename}"'}


@endpoint(
    bp,
    "/followup/monthly",
    "GET",
    summary="Monthly control rate and overdue count for the county and each town",
    tag=TAG,
    roles=ADMIN,
    query=MonthlyQuery,
    response=MonthlyReport,
)
def followup_monthly(user, query: MonthlyQuery):
    return _monthly(query)


@endpoint(
    bp,
    "/followup/chart.png",
    "GET",
    tag=TAG,
    roles=ADMIN,
    summary="Chart (PNG) of the monthly control rate and overdue count for the county and each "
    "town; the plotted series is in the PNG's Description text",
    query=MonthlyQuery,
    media_type="image/png",
)
def followup_chart(user, query: MonthlyQuery):
    return monthly_chart(_monthly(query)), {}


def _report(query: ReportQuery) -> FollowUpReport:
    period = reports.Period.parse(query.period)
    report = reports.follow_up_report(
        request_session(), query.program.value, period, query.level, query.code, shanghai_today()
    )
    return follow_up_report_out(report)


def _monthly(query: MonthlyQuery) -> MonthlyReport:
    return monthly_report_out(
        reports.monthly_series(request_session(), query.program.value, query.year, shanghai_today())
    )
