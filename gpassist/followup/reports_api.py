"""HTTP: follow-up reports for admins — JSON, CSV, a monthly series and its chart (PNG).

The definitions (managed, followed to standard, controlled, overdue, lost, referrals) are in
``reports.py`` and repeated in the models' descriptions, which feed the OpenAPI document.
The CSV and PNG endpoints are ordinary endpoints with another media type: the same token
check, admin-only role check and query validation (422 problem+json), but a file body.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import json
from typing import Annotated, Literal

from flask import Blueprint
from pydantic import Field, field_validator

from gpassist.auth.tables import Role
from gpassist.db import shanghai_today
from gpassist.endpoints import endpoint, request_session
from gpassist.followup import reports
from gpassist.followup.definitions import ProgramCode
from gpassist.followup.service import program as program_definition
from gpassist.schemas import ApiModel, OutModel, Str, Text

bp = Blueprint("reports", __name__, url_prefix="/api/v1/reports")
TAG = "reports"
ADMIN = frozenset({Role.admin})

# --- models ----------------------------------------------------------------------------------


class ReportQuery(ApiModel):
    """Which report: one program, one period, one place."""

    program: ProgramCode
    period: str = Field(
        pattern=reports.PERIOD_PATTERN,
        description="a year (2026) or a month (2026-05) that has begun; a month is year-to-date: "
        "1 January through the month's end. As of that end, or today (Asia/Shanghai) if sooner.",
    )
    level: Literal["county", "town", "clinic"] = Field(
        default="county", description="county: rows per town; town: rows per village clinic"
    )
    code: Annotated[Str, Field(max_length=64)] | None = Field(
        default=None, description="the town's or village clinic's code (optional for county)"
    )

    @field_validator("period")
    @classmethod
    def _real_period(cls, value: str) -> str:
        reports.Period.parse(value)
        return value


class MonthlyQuery(ApiModel):
    program: ProgramCode
    year: int = Field(ge=reports.FIRST_YEAR, le=reports.LAST_YEAR)


class ReportRow(OutModel):
    level: Literal["county", "town", "clinic"]
    code: str
    name: Text
    managed: int = Field(
        description="enrolled on/before the as-of date and not withdrawn on/before it"
    )
    followed_to_standard: int = Field(
        description="managed, with at least one follow-up per quarter begun in the period"
    )
    standard_management_rate: float = Field(
        description="followed_to_standard ÷ managed, 4 decimals; 0 if none managed"
    )
    controlled: int = Field(
        description="managed, whose latest follow-up in the period was classified controlled"
    )
    control_rate: float = Field(description="controlled ÷ managed, 4 decimals; 0 if none managed")
    overdue: int = Field(
        description="managed, next follow-up due before the as-of date but not lost"
    )
    lost: int = Field(description="managed, due more than 12 months before the as-of date")
    referrals: int = Field(description="follow-ups in the period that referred the patient")
    urgent_referrals: int = Field(description="of which urgent")


class FollowUpReport(ReportRow):
    """A county, town or village clinic's follow-up report; totals equal the breakdown's sums."""

    program: str
    period: str
    start: dt.date
    as_of: dt.date
    breakdown: list[ReportRow] = Field(description="each town (county) or clinic (town)")


class Month(OutModel):
    period: str
    as_of: dt.date


class MonthlyLine(OutModel):
    level: Literal["county", "town"]
    code: str
    name: Text
    control_rate: list[float]
    overdue: list[int]


class MonthlyReport(OutModel):
    """Year-to-date control rate and overdue count at each month's end, county first."""

    program: str
    year: int
    months: list[Month]
    series: list[MonthlyLine]


def row_out(row: reports.Row) -> ReportRow:
    counts = row.counts
    return ReportRow(
        level=row.place.level,  # type: ignore[arg-type]
        code=row.place.code,
        name=Text(zh=row.place.name_zh, en=row.place.name_en),
        managed=counts.managed,
        followed_to_standard=counts.followed_to_standard,
        standard_management_rate=counts.standard_management_rate,
        controlled=counts.controlled,
        control_rate=counts.control_rate,
        overdue=counts.overdue,
        lost=counts.lost,
        referrals=counts.referrals,
        urgent_referrals=counts.urgent_referrals,
    )


def report_out(query: ReportQuery) -> FollowUpReport:
    period = reports.Period.parse(query.period)
    report = reports.follow_up_report(
        request_session(), query.program.value, period, query.level, query.code, shanghai_today()
    )
    return FollowUpReport(
        **row_out(report.total).model_dump(),
        program=report.program,
        period=period.label,
        start=period.start,
        as_of=report.as_of,
        breakdown=[row_out(row) for row in report.breakdown],
    )


def monthly_out(query: MonthlyQuery) -> MonthlyReport:
    monthly = reports.monthly_series(
        request_session(), query.program.value, query.year, shanghai_today()
    )
    return MonthlyReport(
        program=monthly.program,
        year=monthly.year,
        months=[
            Month(period=p.label, as_of=d)
            for p, d in zip(monthly.months, monthly.as_of, strict=True)
        ],
        series=[
            MonthlyLine(
                level=s.place.level,  # type: ignore[arg-type]
                code=s.place.code,
                name=Text(zh=s.place.name_zh, en=s.place.name_en),
                control_rate=s.control_rate,
                overdue=s.overdue,
            )
            for s in monthly.series
        ],
    )


# --- endpoints answering with a file ----------------------------------------------------------


CSV_COLUMNS = (
    "level",
    "code",
    "name_zh",
    "name_en",
    "program",
    "period",
    "start",
    "as_of",
    *(name for name in ReportRow.model_fields if name not in ("level", "code", "name")),
)


def report_csv(report: FollowUpReport) -> bytes:
    """The breakdown rows, then the total; UTF-8 with a BOM so Excel opens the Chinese names."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    shared = {
        "program": report.program,
        "period": report.period,
        "start": report.start.isoformat(),
        "as_of": report.as_of.isoformat(),
    }
    for row in [*report.breakdown, report]:
        values = {**row.model_dump(include=set(ReportRow.model_fields)), **shared}
        values["name_zh"], values["name_en"] = row.name.zh, row.name.en
        writer.writerow([values[column] for column in CSV_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def chart_figure(monthly: MonthlyReport):
    """Two panels — control rate lines; overdue as stacked town bars under the county line."""
    # Imported here: matplotlib takes a noticeable time to load and only this chart needs it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    labels = [calendar.month_abbr[int(m.period[5:])] for m in monthly.months]
    x = list(range(len(labels)))
    county, *towns = monthly.series
    colours = [f"C{i % 10}" for i in range(len(towns))]
    figure = Figure(figsize=(10, 7.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    rate, overdue = figure.subplots(2, 1, sharex=True)
    county_style = {"color": "black", "linewidth": 2.5, "zorder": 3}
    rate.plot(
        x,
        [r * 100 for r in county.control_rate],
        "o-",
        label=f"County: {county.name.en}",
        **county_style,
    )
    bottom = [0] * len(x)
    for town, colour in zip(towns, colours, strict=True):
        label = f"{town.code} {town.name.en}"
        rate.plot(x, [r * 100 for r in town.control_rate], "o--", color=colour, label=label)
        overdue.bar(x, town.overdue, bottom=bottom, color=colour, alpha=0.8, label=label)
        bottom = [b + n for b, n in zip(bottom, town.overdue, strict=True)]
    overdue.plot(x, county.overdue, "o-", label="County total", **county_style)
    name = program_definition(monthly.program).name.en
    rate.set_title(f"{name} follow-up {monthly.year}: control rate, year to date")
    rate.set_ylabel("controlled / managed (%)")
    rate.set_ylim(-3, 103)  # room for markers at 0 % and 100 %
    rate.set_yticks(range(0, 101, 20))
    overdue.set_title("Overdue patients at month end (towns stacked)")
    overdue.set_ylabel("patients")
    overdue.yaxis.set_major_locator(MaxNLocator(integer=True))
    overdue.set_xticks(x, labels)
    for axes in (rate, overdue):
        axes.grid(axis="y", alpha=0.3)
        axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small")
    return figure


def monthly_chart(monthly: MonthlyReport) -> bytes:
    """The chart as PNG, with the plotted series as JSON in its ``Description`` text chunk."""
    figure = chart_figure(monthly)
    description = json.dumps(monthly.model_dump(mode="json"))  # ASCII: fits a PNG tEXt chunk
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Description": description})
    return buffer.getvalue()


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
    return report_out(query)


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
    report = report_out(query)
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
    return monthly_out(query)


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
    return monthly_chart(monthly_out(query)), {}
