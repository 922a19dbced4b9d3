"""HTTP: the administrators' county overview (JSON and CSV)."""

from __future__ import annotations

from flask import Blueprint

from gpassist.auth.tables import Role
from gpassist.clinics.tables import Town
from gpassist.db import shanghai_today
from gpassist.endpoints import endpoint, request_session
from gpassist.errors import InvalidField
from gpassist.overview import service
from gpassist.overview.present import overview_csv, overview_out
from gpassist.overview.schemas import OverviewOut, OverviewQuery

bp = Blueprint("overview", __name__, url_prefix="/api/v1/reports")
TAG = "reports"
MAX_DAYS = 366


def _period_and_town(query: OverviewQuery) -> tuple[service.Period, Town | None]:
    today = shanghai_today()
    end = query.end or today
    start = query.start or end.replace(day=1)
    if start > end:
        raise InvalidField.at(
            "query.start", "start must not be after end", zh="开始日期不能晚于结束日期。"
        )
    if (end - start).days >= MAX_DAYS:
        raise InvalidField.at(
            "query.end",
            f"A period spans at most {MAX_DAYS} days.",
            zh=f"统计时段最长 {MAX_DAYS} 天，请缩短日期范围。",
        )
    town = None
    if query.town is not None:
        town = request_session().query(Town).filter_by(code=query.town).one_or_none()
        if town is None:
            raise InvalidField.at(
                "query.town", f"No town {query.town!r}.", zh="没有这个乡镇，请从列表中重新选择。"
            )
    return service.Period(start, end), town


@endpoint(
    bp,
    "/overview",
    "GET",
    summary="County overview for a period: settlements by payer, consultations, pharmacy orders",
    tag=TAG,
    roles={Role.admin},
    query=OverviewQuery,
    response=OverviewOut,
)
def county_overview(user, query: OverviewQuery):
    return _overview(query)


@endpoint(
    bp,
    "/overview.csv",
    "GET",
    summary="The county overview as CSV (UTF-8 with BOM): section, code, name, value",
    tag=TAG,
    roles={Role.admin},
    query=OverviewQuery,
    media_type="text/csv",
)
def county_overview_csv(user, query: OverviewQuery):
    o = _overview(query)
    body = overview_csv(o)
    filename = f"overview-{o.start}-{o.end}-{o.town or 'county'}.csv"
    return body, {"Content-Disposition": f'attachment; filename="{filename}"'}


def _overview(query: OverviewQuery) -> OverviewOut:
    period, town = _period_and_town(query)
    return overview_out(service.overview(request_session(), period, town))
