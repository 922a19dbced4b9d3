"""The county overview as a response model and as CSV."""

from __future__ import annotations

import csv
import io

from gpassist.consult.states import ConsultState
from gpassist.labels import LabelledEnum
from gpassist.overview import service
from gpassist.overview.schemas import Count, OverviewOut, PayerAmount
from gpassist.pharmacy.states import OrderStatus
from gpassist.schemas import label_text, text_of
from gpassist.settlement.policy import Payer


def overview_out(o: service.Overview) -> OverviewOut:
    """The overview's figures with bilingual names; every payer, state and status listed."""
    by_payer = [
        PayerAmount(
            payer=p.value,
            name=label_text(p),
            amount_fen=o.by_payer.get(p.value, 0),
        )
        for p in Payer
    ]
    return OverviewOut(
        start=o.period.start,
        end=o.period.end,
        town=o.town.code if o.town else None,
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


def overview_csv(o: OverviewOut) -> str:
    """The overview as CSV rows of section, code, Chinese and English name, value."""
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
    return out.getvalue()


def _counts(found: dict[str, int], states: type[LabelledEnum]) -> list[Count]:
    return [
        Count(code=state.value, name=label_text(state), count=found.get(state.value, 0))
        for state in states
    ]
