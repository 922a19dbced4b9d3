"""Follow-up reports: numbers counted by hand from a small county built through the services.

The county (hypertension unless said; D = also diabetes). Born 1970, so controlled is < 140/90:
a controlled visit is next due 3 months later, any other 14 days later.

    T1/VA  A1 enrolled 2025-01-06; 01-06 130/80, 04-07 135/85            (due 07-07)
           A2 enrolled 2025-02-01; 02-01 150/95, 02-15 160/95 (referral), 07-01 130/80
           A3 enrolled 2024-03-01; never followed up                      (due 2024-03-01)
           A4 enrolled 2025-01-10; 01-10 185/100 (urgent referral); withdrawn 2025-04-30
    T2/VB  B1 enrolled 2025-03-01; 03-01 120/70, 05-20 125/75             (due 08-20)
           B2 enrolled 2025-06-10; 06-10, 09-10, 12-10 all 130/80         (due 2026-03-10)
           B3 D enrolled 2025-04-01; 04-01 130/80, glucose 6.0            (due 07-01)
    T2/VC  C1 enrolled 2025-01-02; 01-02 145/92, 01-16 130/80, 04-20 125/80, 05-30 150/90,
              06-20 130/80                                               (due 09-20)
           C2 enrolled 2024-06-01; 2024-06-01 130/80 (due 2024-09-01); withdrawn 2025-08-01

2025-05 (1 Jan – 31 May, 2 quarters, lost if due before 2024-05-31):
    VA: managed A1 A2 A3; standard A1 A2; controlled A1; overdue A2 (due 03-01, its July visit
        is after the as-of date); lost A3; referrals A2 + A4 (urgent): withdrawn after the visit.
    VB: managed B1 B3; standard B1; controlled B1 B3.
    VC: managed C1 C2; standard C1 (4 visits); controlled none (C1's latest is 150/90);
        overdue C2 (due 2024-09-01).
2025 (as of 31 Dec, 4 quarters, lost if due before 2024-12-31):
    VA: managed A1 A2 A3; standard none; controlled A1 A2; overdue A1 A2; lost A3.
    VB: managed B1 B2 B3; standard none; controlled all; overdue B1 B3.
    VC: managed C1; standard C1 (5 visits); controlled C1; overdue C1.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from PIL import Image
from sqlalchemy import select

from gpassist.auth.tables import Role, User
from gpassist.clinics.tables import Facility
from gpassist.db import shanghai_today
from gpassist.errors import InvalidField
from gpassist.followup import service
from gpassist.followup.reports import Period, follow_up_report, quarters_elapsed
from gpassist.followup.schemas import EnrolIn, FollowUpIn, WithdrawIn
from gpassist.followup.tables import WithdrawReason
from gpassist.patients.schemas import EncounterIn, PatientIn
from gpassist.patients.service import create_patient, record_encounter
from tests.conftest import password_hash

D = dt.date
DIAGNOSIS = {"hypertension": "I10", "diabetes": "E11"}
COUNTS = (
    "managed",
    "followed_to_standard",
    "controlled",
    "overdue",
    "lost",
    "referrals",
    "urgent_referrals",
)


def counts(row: dict) -> tuple[int, ...]:
    return tuple(row[name] for name in COUNTS)


class Clinic:
    """A village doctor's hands: register, diagnose, enrol, follow up, withdraw."""

    def __init__(self, session, doctor: User) -> None:
        self.session, self.doctor, self.today = session, doctor, shanghai_today()

    def patient(self, enrolled_on, visits=(), withdrawn_on=None, programs=("hypertension",)):
        data = PatientIn(name="王建国", sex="male", birth_date=D(1970, 3, 1))
        patient = create_patient(self.session, self.doctor, data).id
        diagnosis = EncounterIn(
            chief_complaint="确诊",
            diagnoses=[DIAGNOSIS[p] for p in programs],
            occurred_at=dt.datetime(2024, 1, 2, 9, tzinfo=dt.UTC),
        )
        record_encounter(self.session, self.doctor, patient, diagnosis)
        enrolments = [self.enrol(patient, program, enrolled_on) for program in programs]
        for visit_date, sbp, dbp, *glucose in visits:
            reading = FollowUpIn(
                visit_date=visit_date, sbp=sbp, dbp=dbp, fasting_glucose=(glucose or [None])[0]
            )
            service.record_follow_up(self.session, self.doctor, patient, reading, self.today)
        if withdrawn_on is not None:
            leaving = WithdrawIn(reason=WithdrawReason.moved, withdrawn_on=withdrawn_on)
            service.withdraw(self.session, self.doctor, enrolments[0].id, leaving, self.today)
        return patient

    def enrol(self, patient: int, program: str, on: dt.date):
        data = EnrolIn(program=program, enrolled_on=on)
        return service.enrol(self.session, self.doctor, patient, data, self.today)


@pytest.fixture
def county(database, users):
    """The county drawn in the module docstring; VC gets a doctor of its own."""
    with database.transaction(actor="test") as session:
        doctor = {
            name: session.scalar(select(User).where(User.username == name))
            for name in ("doctor_a", "doctor_b")
        }
        doctor["doctor_c"] = User(
            username="doctor_c",
            display_name="Doctor C",
            password_hash=password_hash(),
            role=Role.village_doctor,
            clinic_id=session.scalar(select(Facility.id).where(Facility.code == "VC")),
        )
        session.add(doctor["doctor_c"])
        session.flush()
        va, vb, vc = (Clinic(session, doctor[f"doctor_{c}"]) for c in "abc")

        va.patient(D(2025, 1, 6), [(D(2025, 1, 6), 130, 80), (D(2025, 4, 7), 135, 85)])
        va.patient(
            D(2025, 2, 1),
            [(D(2025, 2, 1), 150, 95), (D(2025, 2, 15), 160, 95), (D(2025, 7, 1), 130, 80)],
        )
        va.patient(D(2024, 3, 1))
        va.patient(D(2025, 1, 10), [(D(2025, 1, 10), 185, 100)], withdrawn_on=D(2025, 4, 30))

        vb.patient(D(2025, 3, 1), [(D(2025, 3, 1), 120, 70), (D(2025, 5, 20), 125, 75)])
        vb.patient(D(2025, 6, 10), [(D(2025, m, 10), 130, 80) for m in (6, 9, 12)])
        vb.patient(
            D(2025, 4, 1), [(D(2025, 4, 1), 130, 80, 6.0)], programs=("hypertension", "diabetes")
        )

        vc.patient(
            D(2025, 1, 2),
            [
                (D(2025, 1, 2), 145, 92),
                (D(2025, 1, 16), 130, 80),
                (D(2025, 4, 20), 125, 80),
                (D(2025, 5, 30), 150, 90),
                (D(2025, 6, 20), 130, 80),
            ],
        )
        vc.patient(D(2024, 6, 1), [(D(2024, 6, 1), 130, 80)], withdrawn_on=D(2025, 8, 1))


def report(api, path="/api/v1/reports/followup", **query):
    query.setdefault("program", "hypertension")
    response = api.get(path, as_="admin", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_month_report_is_year_to_date_as_of_the_month_end(api, county):
    body = report(api, period="2025-05").get_json()
    assert (body["program"], body["period"], body["level"], body["code"]) == (
        "hypertension",
        "2025-05",
        "county",
        "mini",
    )
    assert (body["start"], body["as_of"]) == ("2025-01-01", "2025-05-31")
    assert body["name"] == {"zh": "小县（测试）", "en": "Mini County (test)"}
    assert counts(body) == (7, 4, 3, 2, 1, 2, 1)
    assert body["standard_management_rate"] == 0.5714
    assert body["control_rate"] == 0.4286
    towns = {row["code"]: row for row in body["breakdown"]}
    assert list(towns) == ["T1", "T2"]
    assert counts(towns["T1"]) == (3, 2, 1, 1, 1, 2, 1)
    assert counts(towns["T2"]) == (4, 2, 2, 1, 0, 0, 0)
    assert (towns["T1"]["standard_management_rate"], towns["T1"]["control_rate"]) == (
        0.6667,
        0.3333,
    )
    assert towns["T2"]["level"] == "town" and towns["T2"]["name"]["en"] == "Xizhen"


def test_year_report_replays_due_dates_on_its_last_day(api, county):
    body = report(api, period="2025").get_json()
    assert body["as_of"] == "2025-12-31"
    assert counts(body) == (7, 1, 6, 5, 1, 2, 1)
    assert (body["standard_management_rate"], body["control_rate"]) == (0.1429, 0.8571)
    town = report(api, period="2025", level="town", code="T2").get_json()
    clinics = {row["code"]: counts(row) for row in town["breakdown"]}
    assert clinics == {"VB": (3, 0, 3, 2, 0, 0, 0), "VC": (1, 1, 1, 1, 0, 0, 0)}
    assert counts(town) == (4, 1, 4, 3, 0, 0, 0)


def test_clinic_report_has_no_breakdown(api, county):
    body = report(api, period="2025-05", level="clinic", code="VC").get_json()
    assert (body["level"], body["code"], body["breakdown"]) == ("clinic", "VC", [])
    assert counts(body) == (2, 1, 0, 1, 0, 0, 0)
    assert (body["standard_management_rate"], body["control_rate"]) == (0.5, 0.0)


@pytest.mark.parametrize("program", ["hypertension", "diabetes"])
@pytest.mark.parametrize("period", ["2024", "2025-01", "2025-05", "2025-08", "2025"])
def test_every_total_is_the_sum_of_its_parts(api, county, program, period):
    county_report = report(api, program=program, period=period).get_json()
    town_totals = []
    for town in county_report["breakdown"]:
        town_report = report(api, program=program, period=period, level="town", code=town["code"])
        body = town_report.get_json()
        assert counts(body) == counts(town)
        assert counts(body) == tuple(map(sum, zip(*map(counts, body["breakdown"]), strict=True)))
        town_totals.append(counts(body))
    assert counts(county_report) == tuple(map(sum, zip(*town_totals, strict=True)))
    managed = county_report["managed"]
    expected_rate = round(county_report["controlled"] / managed, 4) if managed else 0.0
    assert county_report["control_rate"] == expected_rate


def test_programs_are_reported_apart_and_nobody_managed_rates_zero(api, county):
    diabetes = report(api, program="diabetes", period="2025").get_json()
    assert counts(diabetes) == (1, 0, 1, 1, 0, 0, 0)
    assert [counts(t) for t in diabetes["breakdown"]] == [(0,) * 7, (1, 0, 1, 1, 0, 0, 0)]
    empty = report(api, program="diabetes", period="2024").get_json()
    assert counts(empty) == (0,) * 7
    assert (empty["standard_management_rate"], empty["control_rate"]) == (0.0, 0.0)


def test_a_re_enrolled_patient_starts_afresh(api, database, users):
    """Follow-ups of an earlier spell neither count nor set the due date: the re-enrolment does."""
    with database.transaction(actor="test") as session:
        va = Clinic(session, session.scalar(select(User).where(User.username == "doctor_a")))
        patient = va.patient(D(2024, 2, 1), [(D(2024, 2, 1), 130, 80)], withdrawn_on=D(2024, 6, 1))
        va.enrol(patient, "hypertension", D(2025, 3, 1))
    body = report(api, period="2025-05", level="clinic", code="VA").get_json()
    assert counts(body) == (1, 0, 0, 1, 0, 0, 0)  # due on re-enrolment, not lost since 2024-05


def test_a_running_period_is_reported_as_of_today(database, county):
    with database.transaction(actor="test") as session:
        may = follow_up_report(
            session, "hypertension", Period(2025, 5), "county", None, D(2026, 1, 1)
        )
        running = follow_up_report(
            session, "hypertension", Period(2025), "county", None, D(2025, 5, 31)
        )
    assert running.as_of == may.as_of == D(2025, 5, 31)
    assert running.total.counts == may.total.counts
    with database.transaction(actor="test") as session, pytest.raises(InvalidField) as refused:
        follow_up_report(session, "hypertension", Period(2025, 6), "county", None, D(2025, 5, 31))
    assert refused.value.errors[0]["field"] == "query.period"


def test_periods_and_quarters():
    assert Period.parse("2024-02").end == D(2024, 2, 29)
    assert (Period.parse("2026").start, Period.parse("2026").end) == (
        D(2026, 1, 1),
        D(2026, 12, 31),
    )
    assert Period.parse("2026-05").as_of(D(2026, 5, 14)) == D(2026, 5, 14)
    assert [quarters_elapsed(D(2026, m, 1)) for m in (1, 3, 4, 6, 7, 12)] == [1, 1, 2, 2, 3, 4]
    for bad in ("2026-13", "2026-00", "1999", "26-05", "2026-5", "٢٠٢٦"):
        with pytest.raises(ValueError):
            Period.parse(bad)


def test_csv_is_the_breakdown_then_the_total_with_a_bom(api, county):
    response = report(api, "/api/v1/reports/followup.csv", period="2025-05")
    assert response.mimetype == "text/csv"
    assert (
        "followup-hypertension-2025-05-county-mini.csv" in response.headers["Content-Disposition"]
    )
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:8] == [
        "level",
        "code",
        "name_zh",
        "name_en",
        "program",
        "period",
        "start",
        "as_of",
    ]
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    assert [(r["level"], r["code"], r["name_zh"]) for r in rows] == [
        ("town", "T1", "东镇"),
        ("town", "T2", "西镇"),
        ("county", "mini", "小县（测试）"),
    ]
    as_json = report(api, period="2025-05").get_json()
    for row, expected in zip(rows, [*as_json["breakdown"], as_json], strict=True):
        assert tuple(int(row[name]) for name in COUNTS) == counts(expected)
        assert float(row["control_rate"]) == expected["control_rate"]
        assert row["as_of"] == "2025-05-31"


def test_monthly_series_is_each_month_end_report(api, county):
    monthly = report(api, "/api/v1/reports/followup/monthly", year=2025).get_json()
    assert [m["period"] for m in monthly["months"]] == [f"2025-{m:02d}" for m in range(1, 13)]
    assert [(s["level"], s["code"]) for s in monthly["series"]] == [
        ("county", "mini"),
        ("town", "T1"),
        ("town", "T2"),
    ]
    county_line = monthly["series"][0]
    assert (county_line["control_rate"][4], county_line["overdue"][4]) == (0.4286, 2)
    assert (county_line["control_rate"][11], county_line["overdue"][11]) == (0.8571, 5)
    for index, month in enumerate(monthly["months"]):
        body = report(api, period=month["period"]).get_json()
        assert month["as_of"] == body["as_of"]
        for line, row in zip(monthly["series"], [body, *body["breakdown"]], strict=True):
            assert (line["control_rate"][index], line["overdue"][index]) == (
                row["control_rate"],
                row["overdue"],
            )


def test_chart_renders_the_monthly_json(api, county):
    monthly = report(api, "/api/v1/reports/followup/monthly", year=2025).get_json()
    response = report(api, "/api/v1/reports/followup/chart.png", year=2025)
    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.get_data()))
    image.load()
    assert image.format == "PNG" and image.size[0] >= 800 and image.size[1] >= 600
    assert json.loads(image.text["Description"]) == monthly
    pixels = image.convert("RGB")
    colours = pixels.getcolors(maxcolors=1 << 20)
    assert len(colours) > 50  # lines, bars, text: not a blank canvas
    ink = sum(n for n, rgb in colours if rgb != (255, 255, 255))
    assert ink > 0.03 * image.size[0] * image.size[1]


def test_a_running_year_is_charted_up_to_this_month(api, county):
    this_year = shanghai_today().year
    monthly = report(api, "/api/v1/reports/followup/monthly", year=this_year).get_json()
    assert len(monthly["months"]) == shanghai_today().month
    assert monthly["months"][-1]["as_of"] == shanghai_today().isoformat()
    chart = report(api, "/api/v1/reports/followup/chart.png", year=this_year)
    assert json.loads(Image.open(io.BytesIO(chart.get_data())).text["Description"]) == monthly


REPORT_URLS = [
    ("/api/v1/reports/followup", {"program": "hypertension", "period": "2025"}),
    ("/api/v1/reports/followup.csv", {"program": "hypertension", "period": "2025"}),
    ("/api/v1/reports/followup/monthly", {"program": "hypertension", "year": "2025"}),
    ("/api/v1/reports/followup/chart.png", {"program": "hypertension", "year": "2025"}),
]


@pytest.mark.parametrize(("url", "query"), REPORT_URLS)
def test_reports_are_for_admins(api, users, url, query):
    for caller in ("doctor_a", "specialist", "pharmacist"):
        refused = api.get(url, as_=caller, query_string=query)
        assert refused.status_code == 403, caller
        assert refused.mimetype == "application/problem+json"
    assert api.get(url, query_string=query).status_code == 401
    assert api.get(url, as_="admin", query_string=query).status_code == 200


future = str(shanghai_today().year + 1)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"program": "asthma", "period": "2025"}, "query.program"),
        ({"period": "2025"}, "query.program"),
        ({"program": "hypertension", "period": "2025-13"}, "query.period"),
        ({"program": "hypertension", "period": "May 2025"}, "query.period"),
        ({"program": "hypertension", "period": future}, "query.period"),
        ({"program": "hypertension", "period": "2025", "level": "village"}, "query.level"),
        ({"program": "hypertension", "period": "2025", "level": "clinic"}, "query.code"),
        (
            {"program": "hypertension", "period": "2025", "level": "clinic", "code": "T1"},
            "query.code",
        ),
        (
            {"program": "hypertension", "period": "2025", "level": "town", "code": "VA"},
            "query.code",
        ),
        ({"program": "hypertension", "period": "2025", "code": "other"}, "query.code"),
        ({"program": "hypertension", "period": "2025", "extra": "1"}, "query.extra"),
    ],
)
@pytest.mark.parametrize("url", ["/api/v1/reports/followup", "/api/v1/reports/followup.csv"])
def test_bad_report_query_is_422_naming_the_field(api, users, url, query, field):
    response = api.get(url, as_="admin", query_string=query)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert field in [e["field"] for e in response.get_json()["errors"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"program": "hypertension", "year": "1999"}, "query.year"),
        ({"program": "hypertension", "year": future}, "query.year"),
        ({"program": "asthma", "year": "2025"}, "query.program"),
    ],
)
@pytest.mark.parametrize(
    "url", ["/api/v1/reports/followup/monthly", "/api/v1/reports/followup/chart.png"]
)
def test_bad_monthly_query_is_422_naming_the_field(api, users, url, query, field):
    response = api.get(url, as_="admin", query_string=query)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert field in [e["field"] for e in response.get_json()["errors"]]


def test_chart_plots_the_series_it_reports(api, county):
    """What is drawn is the JSON: the county and town control-rate lines in percent, the town
    overdue bars stacked to the county total."""
    from gpassist.followup.present import chart_figure
    from gpassist.followup.reports_schemas import MonthlyReport

    monthly = MonthlyReport.model_validate(
        report(api, "/api/v1/reports/followup/monthly", year=2025).get_json()
    )
    rate, overdue = chart_figure(monthly).axes
    county_series, *towns = monthly.series
    for line, series in zip(rate.lines, (county_series, *towns), strict=True):
        assert list(line.get_ydata()) == pytest.approx([r * 100 for r in series.control_rate])
    assert list(overdue.lines[0].get_ydata()) == county_series.overdue
    tops = [0.0] * len(monthly.months)
    for container, town in zip(overdue.containers, towns, strict=True):
        heights = [bar.get_height() for bar in container]
        assert heights == town.overdue
        tops = [t + h for t, h in zip(tops, heights, strict=True)]
    assert tops == county_series.overdue
