"""Bills settled at hospitals, imported from CSV: same payer chain, all or nothing, no doubles."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from gpassist.cli import main
from gpassist.clinics.tables import Facility, FacilityKind, FacilityLevel
from gpassist.patients.identity import check_digit
from gpassist.settlement import importer
from gpassist.settlement.tables import Bill, BillSource, JournalEntry, Ledger, Settlement
from tests.settlement.test_settlement_api import bill, settle

NATIONAL_ID = "34012319500101002" + check_digit("34012319500101002")
HEADER = ",".join(importer.COLUMNS)
GOOD_CSV = "\n".join(
    [
        HEADER,
        f"ZY-0001,CH,{NATIONAL_ID},2026-02-10,inpatient,A,1,900000,住院综合费用",
        f"ZY-0001,CH,{NATIONAL_ID},2026-02-10,inpatient,B,1,100000,乙类药品",
        f"SY-77,CITY,{NATIONAL_ID},2026-02-20,inpatient,A,1,700000,住院综合费用",
    ]
)


def poor_patient_with_id(api) -> int:
    household = api.post(
        "/api/v1/households",
        as_="doctor_a",
        json={"head_name": "贫困户", "poverty_registered": True},
    ).get_json()
    response = api.post(
        "/api/v1/patients",
        as_="doctor_a",
        json={
            "name": "刘桂英",
            "sex": "female",
            "birth_date": "1950-01-01",
            "household_id": household["id"],
            "national_id": NATIONAL_ID,
        },
    )
    assert response.status_code == 201, response.get_json()
    patient = response.get_json()
    certified = api.post(
        f"/api/v1/patients/{patient['id']}/certifications",
        as_="doctor_a",
        json={"disease": "hypertension", "certified_on": "2025-01-01", "certifying_facility": "CH"},
    )
    assert certified.status_code == 201
    return patient["id"]


def add_city_hospital(database) -> None:
    with database.transaction(actor="test") as session:
        session.add(
            Facility(
                code="CITY",
                name_zh="示范市人民医院",
                name_en="Demo City People's Hospital",
                kind=FacilityKind.hospital,
                level=FacilityLevel.city,
            )
        )


def count(database, model) -> int:
    with database.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(model))


def run_cli(database_url, *args):
    return CliRunner().invoke(main, list(args), env={"GPASSIST_DATABASE_URL": database_url})


def test_imported_bills_feed_the_accumulators_and_reimport_is_skipped(
    api, users, database, database_url, tmp_path
):
    add_city_hospital(database)
    patient = poor_patient_with_id(api)
    path = tmp_path / "hospital-bills.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    result = run_cli(database_url, "settlement", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "2 bills imported, 0 skipped" in result.output

    with database.sessionmaker() as session:
        bills = session.scalars(select(Bill).order_by(Bill.bill_date)).all()
        assert [(b.source, b.external_ref, b.level.value) for b in bills] == [
            (BillSource.imported, "ZY-0001", "county"),
            (BillSource.imported, "SY-77", "city"),
        ]
        assert [b.total_fen for b in bills] == [1_000_000, 700_000]
        ledger = session.get(Ledger, (patient, 2026))
        # CH: E = 990000, deductible 50000, basic 80 % of 940000 = 752000, R = 238000
        # CITY: E = 700000, deductible 80000, basic 70 % of 620000 = 434000, R = 266000
        assert ledger.basic_inpatient == 752_000 + 434_000
        assert ledger.serious_illness_base == 238_000 + 266_000  # past the 500000 threshold

    again = run_cli(database_url, "settlement", "import", str(path))
    assert again.exit_code == 0, again.output
    assert "0 bills imported, 2 skipped" in again.output
    assert count(database, Settlement) == 2

    # the counter now sees the year: the serious-illness threshold is already crossed
    receipt = settle(api, bill(patient)).get_json()
    shares = {s["payer"]: s["amount_fen"] for s in receipt["shares"]}
    assert shares["serious_illness"] == 1104  # 60 % of the 1840 fen remaining


def test_admin_api_imports_and_refuses_others(api, users, database):
    add_city_hospital(database)
    poor_patient_with_id(api)
    denied = api.post("/api/v1/settlement-imports", as_="doctor_a", json={"csv": GOOD_CSV})
    assert denied.status_code == 403
    response = api.post("/api/v1/settlement-imports", as_="admin", json={"csv": GOOD_CSV})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [(b["facility"], b["external_ref"]) for b in body["imported"]] == [
        ("CH", "ZY-0001"),
        ("CITY", "SY-77"),
    ]
    again = api.post("/api/v1/settlement-imports", as_="admin", json={"csv": GOOD_CSV}).get_json()
    assert again["imported"] == [] and len(again["skipped"]) == 2


@pytest.mark.parametrize(
    "bad_line, field",
    [
        (f"ZY-0002,CH,{NATIONAL_ID},2026-02-11,inpatient,A,-1,100,x", "line3.quantity"),
        (f"ZY-0002,XX,{NATIONAL_ID},2026-02-11,inpatient,A,1,100,x", "line3.facility"),
        ("ZY-0002,CH,110101199003070013,2026-02-11,inpatient,A,1,100,x", "line3.patient"),
        (f"ZY-0002,CH,{NATIONAL_ID},2026-02-11,outpatient,A,1,100,x", "line3.visit_type"),
        (f"ZY-0002,CH,{NATIONAL_ID},2026-02-11,inpatient,Z,1,100,x", "line3.category"),
        (f"ZY-0002,CH,{NATIONAL_ID},11/02/2026,inpatient,A,1,100,x", "line3.bill_date"),
    ],
)
def test_a_bad_row_refuses_the_whole_file(
    api, users, database, database_url, tmp_path, bad_line, field
):
    poor_patient_with_id(api)
    good = f"ZY-0001,CH,{NATIONAL_ID},2026-02-10,inpatient,A,1,900000,住院综合费用"
    text = "\n".join([HEADER, good, bad_line, good.replace("ZY-0001", "ZY-0003")])
    response = api.post("/api/v1/settlement-imports", as_="admin", json={"csv": text})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"][0]["field"] == f"body.csv.{field}"
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    result = run_cli(database_url, "settlement", "import", str(path))
    assert result.exit_code != 0
    line, column = field.removeprefix("line").split(".")
    assert f"line {line}, column {column}" in result.output
    for model in (Bill, Settlement, JournalEntry):
        assert count(database, model) == 0


def test_a_bad_header_or_a_split_bill_is_refused(api, users, database):
    poor_patient_with_id(api)
    no_price = HEADER.replace(",unit_price_fen", "")
    response = api.post("/api/v1/settlement-imports", as_="admin", json={"csv": no_price + "\n"})
    refusal = response.get_json()["errors"][0]
    assert refusal["field"] == "body.csv.line1.unit_price_fen"
    assert refusal["message_zh"] == "第 1 行（unit_price_fen 列）：列名中缺少这一列。"
    split = "\n".join(
        [
            HEADER,
            f"ZY-0001,CH,{NATIONAL_ID},2026-02-10,inpatient,A,1,900000,住院综合费用",
            f"ZY-0001,CH,{NATIONAL_ID},2026-02-11,inpatient,A,1,100,x",
        ]
    )
    response = api.post("/api/v1/settlement-imports", as_="admin", json={"csv": split})
    assert response.status_code == 422
    refusal = response.get_json()["errors"][0]
    assert refusal["field"] == "body.csv.line3.bill_date"
    assert refusal["message_zh"].startswith("第 3 行（bill_date 列）：与同一张账单（CH ZY-0001）")
    assert count(database, Bill) == 0
