"""HTTP: the administrators' county overview (JSON and CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Annotated

from flask import Blueprint
from pydantic import Field, model_validator

from gpassist.auth.tables import Role
from gpassist.clinics.tables import Town
from gpassist.consult.states import ConsultState
from gpassist.db import shanghai_today
from gpassist.endpoints import endpoint, request_session
from gpassist.errors import InvalidField
from gpassist.labels import LabelledEnum
from gpassist.overview import service
from gpassist.pharmacy.states import OrderStatus
from gpassist.schemas import ApiModel, OutModel, Str, Text, label_text, text_of
from gpassist.settlement.policy import Payer

bp = Blueprint("overview", __name__, url_prefix="/api/v1/reports")
TAG = "reports"
MAX_DAYS = 366


class OverviewQuery(ApiModel):
    start: dt.date | None = Field(
        default=None, description="first day; default the 1st of this month"
    )
    end: dt.date | None = Field(default=None, description="last day (inclusive); default today")
    town: Annotated[Str, Field(max_length=64)] | None = Field(
        default=None, description="a town's code; default the whole county"
    )

    @model_validator(mode="after")
    def _order(self) -> OverviewQuery:
        if self.start and self.end and self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class Count(OutModel):
    code: str
    name: Text
    count: int


class PayerAmount(OutModel):
    payer: str
    name: Text
    amount_fen: int


class OverviewOut(OutModel):
    start: dt.date
    end: dt.date
    town: str | None
    settlements: int
    total_fen: int
    insurers_fen: int
    patient_fen: int
    by_payer: list[PayerAmount] = Field(description="every payer, in the order they pay")
    consultations: int
    consultations_by_state: list[Count]
    consultations_by_department: list[Count]
    orders: int
    orders_by_status: list[Count]
    orders_by_town: list[Count]


def _period_and_town(query: OverviewQuery) -> tuple[service.Period, Town | None]:
    today = shanghai_today()
    end = query.end or today
    start = query.start or end.replace(day=1)
    if start > end:
        raise InvalidField.at("query.start", "start must not be after end")
    if (end - start).days >= MAX_DAYS:
        raise InvalidField.at("query.end", f"A period spans at most {MAX_DAYS} days.")
    town = None
    if query.town is not None:
        town = request_session().query(Town).filter_by(code=query.town).one_or_none()
        if town is None:
            raise InvalidField.at("query.town", f"No town {query.town!r}.")
    return service.Period(start, end), town


def _counts(found: dict[str, int], states: type[LabelledEnum]) -> list[Count]:
    return [
        Count(code=state.value, name=label_text(state), count=found.get(state.value, 0))
        for state in states
    ]


def overview_out(query: OverviewQuery) -> OverviewOut:
    period, town = _period_and_town(query)
    o = service.overview(request_session(), period, town)
    by_payer = [
        PayerAmount(
            payer=p.value,
            name=label_text(p),
            amount_fen=o.by_payer.get(p.value, 0),
        )
        for p in Payer
    ]
    return OverviewOut(
        start=period.start,
        end=period.end,
        town=town.code if town else None,
        settlements=o.settlements,
        total_fen=o.total_fen,
        insurers_fen=sum(p.amount_fen for p in by_payer),
        patient_fen=o.patient_fen,
        by_payer=by_payer,
        consultations=sum(o.consultations_by_state.values()),
        consultations_by_state=_counts(o.consultations_by_state, ConsultState),
        consultations_by_department=[
            Count(code=f"{d.facility.code}/{d.code}", name=text_of(d, "name"), count=n)
            for d, n in o.consultations_by_department
        ],
        orders=sum(o.orders_by_status.values()),
        orders_by_status=_counts(o.orders_by_status, OrderStatus),
        orders_by_town=[
            Count(code=t.code, name=text_of(t, "name"), count=n) for t, n in o.orders_by_town
        ],
    )


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
    return overview_out(query)


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
    o = overview_out(query)
    out = io.StringIO()
    out.write("\ufeff")  # Excel on the county's PCs reads UTF-8 only with a BOM
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "code", "name_zh", "name_en", "value"])
    writer.writerow(["settlements", "count", "结算笔数", "settlements", o.settlements])
    writer.writerow(["settlements", "total_fen", "费用合计（分）", "total (fen)", o.total_fen])
    for p in o.by_payer:
        writer.writerow(["payer_fen", p.payer, p.name.zh, p.name.en, p.amount_fen])
    writer.writerow(["payer_fen", "patient", "个人支付", "patients", o.patient_fen])
    for section, rows in (
        ("consultations_by_state", o.consultations_by_state),
        ("consultations_by_department", o.consultations_by_department),
        ("orders_by_status", o.orders_by_status),
        ("orders_by_town", o.orders_by_town),
    ):
        for row in rows:
            writer.writerow([section, row.code, row.name.zh, row.name.en, row.count])
    filename = f"overview-{o.start}-{o.end}-{o.town or 'county'}.csv"
    return out.getvalue(), {"Content-Disposition": f'attachment; filename="{filename}"'}
