"""Enrolments, follow-ups, worklist entries, certifications and the follow-up reports as response
models; the reports also as CSV and as a chart (PNG)."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import json

from gpassist.followup import reports, service
from gpassist.followup.reasons import reason_text
from gpassist.followup.reports_schemas import (
    FollowUpReport,
    Month,
    MonthlyLine,
    MonthlyReport,
    ReportRow,
)
from gpassist.followup.schemas import (
    CertificationOut,
    EnrolmentOut,
    FollowUpOut,
    ReferralBrief,
    WorklistEntry,
)
from gpassist.followup.tables import ChronicCertification, Enrolment, FollowUp
from gpassist.patients.schemas import age_on
from gpassist.referrals.tables import Referral
from gpassist.schemas import Text


def enrolment_out(enrolment: Enrolment) -> EnrolmentOut:
    """An enrolment with its program's name and the last follow-up's outcome."""
    name = service.program(enrolment.program).name
    return EnrolmentOut(
        id=enrolment.id,
        patient_id=enrolment.patient_id,
        program=enrolment.program,
        program_name=Text(zh=name.zh, en=name.en),
        status=enrolment.status,
        enrolled_on=enrolment.enrolled_on,
        withdrawn_on=enrolment.withdrawn_on,
        withdraw_reason=enrolment.withdraw_reason,
        next_due=enrolment.next_due,
        last_follow_up_on=enrolment.last_follow_up_on,
        last_classification=enrolment.last_classification,
        last_urgent=enrolment.last_urgent,
        last_referral=enrolment.last_referral,
    )


def follow_up_out(follow_up: FollowUp, referral: Referral | None = None) -> FollowUpOut:
    """A follow-up with its reasons in Chinese and English and the referral it opened, if given."""
    texts = [Text(zh=zh, en=en) for zh, en in map(reason_text, follow_up.reasons)]
    brief = None
    if referral is not None:
        brief = ReferralBrief(
            id=referral.id,
            department=f"{referral.department.facility.code}/{referral.department.code}",
            urgent=referral.urgent,
            reasons=list(referral.reasons),
        )
    return FollowUpOut.model_validate(
        {
            **{c: getattr(follow_up, c) for c in FollowUpOut.model_fields if hasattr(follow_up, c)},
            "record": follow_up.record or {},
            "classification_name": Text(
                zh=follow_up.classification.zh, en=follow_up.classification.en
            ),
            "reason_texts": texts,
            "referral_record": brief,
        }
    )


def worklist_entry(e: Enrolment, today: dt.date) -> WorklistEntry:
    """A worklist line: the patient, when the follow-up is due, the last readings."""
    return WorklistEntry(
        enrolment_id=e.id,
        patient_id=e.patient_id,
        patient_name=e.patient.name,
        age=age_on(e.patient.birth_date, today),
        village=e.patient.village,
        program=e.program,
        next_due=e.next_due,
        days_overdue=max(0, (today - e.next_due).days),
        last_follow_up_on=e.last_follow_up_on,
        last_classification=e.last_classification,
        last_urgent=e.last_urgent,
        last_sbp=e.last_sbp,
        last_dbp=e.last_dbp,
        last_fasting_glucose=e.last_fasting_glucose,
    )


def certification_out(c: ChronicCertification) -> CertificationOut:
    """A certified chronic disease with the certifying facility's code."""
    return CertificationOut(
        id=c.id,
        patient_id=c.patient_id,
        disease=c.disease,
        icd10=c.icd10,
        certified_on=c.certified_on,
        certifying_facility=c.certifying_facility.code,
        certificate_no=c.certificate_no,
        revoked_on=c.revoked_on,
    )


def row_out(row: reports.Row) -> ReportRow:
    """One place's figures in a report."""
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


def follow_up_report_out(report: reports.Report) -> FollowUpReport:
    """A follow-up report: the total's figures, the period, and a row per place below."""
    return FollowUpReport(
        **row_out(report.total).model_dump(),
        program=report.program,
        period=report.period.label,
        start=report.period.start,
        as_of=report.as_of,
        breakdown=[row_out(row) for row in report.breakdown],
    )


def monthly_report_out(monthly: reports.Monthly) -> MonthlyReport:
    """A year's monthly series: each month's end, then a line per place, the county first."""
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


# --- the report as a file ---------------------------------------------------------------------


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
    name = service.program(monthly.program).name.en
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
