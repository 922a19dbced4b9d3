"""Building blocks for prescription and pharmacy tests.

The mini county's catalog has four drugs; the rules need more (an interacting pair, a children's
drug with a mg/kg limit, an equivalent generic). ``more_drugs`` copies a few from the demo
county's real catalog into the test database, so the mini-county files other tests count stay as
they are.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gpassist.clinics.loader import _drug_row, read_registry
from gpassist.clinics.tables import Drug, Facility, FormularyEntry
from gpassist.db import shanghai_today
from tests.conftest import DEMO_COUNTY

DEMO_DRUGS = (
    "simvastatin-20mg-tab",
    "clarithromycin-0.25g-tab",
    "amoxicillin-0.25g-cap",
    "paracetamol-0.5g-tab",
    "ibuprofen-0.2g-tab",
    "warfarin-2.5mg-tab",
    "metformin-0.5g-tab",  # same group and strength as the mini county's metformin-500mg-tab
    "aspirin-100mg-ectab",
    "lianhua-qingwen-cap",
)


def today() -> dt.date:
    return shanghai_today()


_DEMO_CATALOG: dict = {}


def demo_catalog() -> dict:
    if not _DEMO_CATALOG:
        _DEMO_CATALOG.update({d.code: d for d in read_registry(DEMO_COUNTY).drugs.drugs})
    return _DEMO_CATALOG


def add_demo_drugs(session, codes=DEMO_DRUGS) -> None:
    have = set(session.scalars(select(Drug.code)))
    for code in codes:
        if code not in have:
            session.add(Drug(**_drug_row(demo_catalog()[code]), active=True))
    session.flush()


def stock_in_clinic(session, clinic_code: str, drug_code: str) -> None:
    """Put a drug on a clinic's formulary (what it stocks)."""
    clinic = session.scalar(select(Facility).where(Facility.code == clinic_code))
    drug = session.scalar(select(Drug).where(Drug.code == drug_code))
    session.add(FormularyEntry(facility_id=clinic.id, drug_id=drug.id))
    session.flush()


@pytest.fixture
def more_drugs(database):
    with database.transaction(actor="test") as session:
        add_demo_drugs(session)


def new_patient(api, as_="doctor_a", **fields) -> int:
    body = {"name": "孙大妈", "sex": "female", "birth_date": "1960-03-08", **fields}
    if body["sex"] == "female":
        body.setdefault("pregnancy_status", "not_pregnant")
    response = api.post("/api/v1/patients", as_=as_, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def new_visit(api, patient_id: int, as_="doctor_a", diagnoses=(), **vitals) -> int:
    response = api.post(
        f"/api/v1/patients/{patient_id}/encounters",
        as_=as_,
        json={"chief_complaint": "开药", "vitals": vitals, "diagnoses": list(diagnoses)},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def line(drug: str, dose: float, frequency: str = "qd", days: int = 7, **extra) -> dict:
    return {"drug": drug, "dose": dose, "frequency": frequency, "days": days, **extra}


def prescribe(api, encounter_id: int, lines: list[dict], as_="doctor_a", **extra):
    return api.post(
        f"/api/v1/encounters/{encounter_id}/prescriptions",
        as_=as_,
        json={"lines": lines, **extra},
    )


def receive(api, drug: str, quantity: int, lot_no: str, expires_in_days: int, as_="pharmacist"):
    response = api.post(
        "/api/v1/pharmacy/stock/receipts",
        as_=as_,
        json={
            "drug": drug,
            "lot_no": lot_no,
            "quantity": quantity,
            "expires_on": (today() + dt.timedelta(days=expires_in_days)).isoformat(),
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def refusals(response) -> dict[str, str]:
    """``{field: code}`` of a refused prescription."""
    assert response.status_code == 422, response.get_json()
    return {e["field"]: e["code"] for e in response.get_json()["errors"]}
