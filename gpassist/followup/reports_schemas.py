"""Request and response models of the follow-up reports (``reports_api.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator

from gpassist.followup import reports
from gpassist.followup.definitions import ProgramCode
from gpassist.schemas import ApiModel, OutModel, Str, Text


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
