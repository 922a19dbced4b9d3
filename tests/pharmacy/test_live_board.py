"""Acceptance 1, in-process: a village doctor prescribes three drugs, one of which the clinic
lacks; the order appears on the pharmacist's board live (Flask-SocketIO's test client on
``/pharmacy``); it is picked from the first-expiring lot, dispatched in a town run and
delivered, the clinic's view following along; stock and history end right. The board in a
browser against a real server: tests/browser."""

from __future__ import annotations

import datetime as dt

import pytest

from gpassist.auth.tables import User
from gpassist.clinics.tables import Drug, Facility
from gpassist.extensions import socketio
from gpassist.pharmacy import stock
from tests.prescriptions.helpers import add_demo_drugs, today

NAMESPACE = "/pharmacy"


@pytest.fixture
def stocked(database, users) -> None:
    """The clinic's and the pharmacy's stock."""
    with database.transaction(actor="test") as session:
        add_demo_drugs(session)
        doctor = session.get(User, users["doctor_a"].id)
        pharmacist = session.get(User, users["pharmacist"].id)
        va = session.query(Facility).filter_by(code="VA").one()
        cp = stock.central_pharmacy(session)
        drug = {d.code: d for d in session.query(Drug)}
        soon, later = today() + dt.timedelta(days=60), today() + dt.timedelta(days=400)
        for code in ("amlodipine-5mg-tab", "metformin-500mg-tab"):
            stock.receive(session, doctor, va, drug[code], "VA-1", later, 100, today())
        rosuvastatin = drug["rosuvastatin-10mg-tab"]
        stock.receive(session, pharmacist, cp, rosuvastatin, "LATE", later, 50, today())
        stock.receive(session, pharmacist, cp, rosuvastatin, "SOON", soon, 30, today())


class Listener:
    """A /pharmacy socket and the order events it has heard, oldest first."""

    def __init__(self, app, token: str) -> None:
        self.client = socketio.test_client(app, namespace=NAMESPACE, auth={"token": token})
        assert self.client.is_connected(NAMESPACE)
        self.heard: list[tuple[str, dict]] = []

    def next_event(self) -> tuple[str, dict]:
        self.heard.extend((p["name"], p["args"][0]) for p in self.client.get_received(NAMESPACE))
        assert self.heard, "no event"
        return self.heard.pop(0)

    def empty(self) -> bool:
        return not self.heard and not self.client.get_received(NAMESPACE)


def test_order_appears_live_and_is_delivered(app, api, users, stocked):
    refused = socketio.test_client(app, namespace=NAMESPACE, auth={"token": "forged"})
    assert not refused.is_connected(NAMESPACE)
    board = Listener(app, users["pharmacist"].token)
    clinic = Listener(app, users["doctor_a"].token)
    other = Listener(app, users["doctor_b"].token)

    def call(method: str, path: str, who: str, **kw):
        return getattr(api, method.lower())(path, as_=who, **kw)

    patient = call(
        "POST",
        "/api/v1/patients",
        "doctor_a",
        json={"name": "郑大爷", "sex": "male", "birth_date": "1950-02-02"},
    ).get_json()
    visit = call(
        "POST",
        f"/api/v1/patients/{patient['id']}/encounters",
        "doctor_a",
        json={"chief_complaint": "复诊开药"},
    ).get_json()
    rx = call(
        "POST",
        f"/api/v1/encounters/{visit['id']}/prescriptions",
        "doctor_a",
        json={
            "lines": [
                {"drug": "amlodipine-5mg-tab", "dose": 5, "frequency": "qd", "days": 7},
                {"drug": "metformin-500mg-tab", "dose": 500, "frequency": "bid", "days": 7},
                {"drug": "rosuvastatin-10mg-tab", "dose": 10, "frequency": "qn", "days": 7},
            ]
        },
    )
    assert rx.status_code == 201, rx.get_json()
    order_id = rx.get_json()["pharmacy_order_id"]
    assert [x["source"] for x in rx.get_json()["lines"]] == ["clinic", "clinic", "central"]

    # Live, without a reload: on the board and in the clinic's view.
    name, data = board.next_event()
    assert (name, data["id"], data["status"], data["clinic"]) == (
        "order.created",
        order_id,
        "pending",
        "VA",
    )
    assert clinic.next_event()[1]["id"] == order_id
    board_now = call("GET", "/api/v1/pharmacy/board", "pharmacist").get_json()
    assert board_now["towns"][0]["pending"][0]["id"] == order_id

    picked = call("POST", f"/api/v1/pharmacy/orders/{order_id}/pick", "pharmacist", json={})
    assert picked.status_code == 200, picked.get_json()
    assert [(a["lot_no"], a["quantity"]) for a in picked.get_json()["lines"][0]["allocations"]] == [
        ("SOON", 7)
    ]
    assert board.next_event()[1]["status"] == "picked"

    run = call("POST", "/api/v1/pharmacy/delivery-runs", "pharmacist", json={"town": "T1"})
    assert run.status_code == 201, run.get_json()
    assert board.next_event()[1]["status"] == "dispatched"

    delivered = call("POST", f"/api/v1/pharmacy/orders/{order_id}/delivery", "doctor_a")
    assert delivered.status_code == 200, delivered.get_json()
    assert board.next_event()[1]["status"] == "delivered"
    assert [clinic.next_event()[1]["status"] for _ in range(3)] == [
        "picked",
        "dispatched",
        "delivered",
    ]
    assert other.empty()  # another clinic's doctor heard nothing

    lots = {
        lot["lot_no"]: (lot["on_hand"], lot["reserved"])
        for lot in call(
            "GET", "/api/v1/pharmacy/stock?drug=rosuvastatin-10mg-tab", "pharmacist"
        ).get_json()["items"]
    }
    assert lots == {"SOON": (23, 0), "LATE": (50, 0)}
    clinic_stock = call("GET", "/api/v1/pharmacy/stock", "doctor_a").get_json()["items"]
    assert sorted((x["drug"], x["on_hand"]) for x in clinic_stock) == [
        ("amlodipine-5mg-tab", 93),
        ("metformin-500mg-tab", 86),
    ]
    history = call("GET", f"/api/v1/pharmacy/orders/{order_id}", "doctor_a").get_json()["history"]
    assert [(h["to_status"], h["by"]) for h in history] == [
        ("pending", "doctor_a"),
        ("picked", "pharmacist"),
        ("dispatched", "pharmacist"),
        ("delivered", "doctor_a"),
    ]
    assert all(h["at"].endswith("+08:00") for h in history)


def test_nothing_is_told_of_an_order_that_was_rolled_back(app, users, database, stocked):
    # Events wait for the commit (gpassist.realtime.emit_after_commit).
    from gpassist.pharmacy.events import notify

    board = Listener(app, users["pharmacist"].token)
    with database.sessionmaker() as session:
        clinic_id = session.get(User, users["doctor_a"].id).clinic_id
    with database.sessionmaker() as session:
        notify(session, "order.created", {"id": 999, "status": "pending"}, clinic_id)
        assert board.empty()  # not before the commit ...
        session.rollback()
    assert board.empty()  # ... and never after a rollback
    with database.sessionmaker() as session:
        notify(session, "order.created", {"id": 1000, "status": "pending"}, clinic_id)
        assert board.empty()
        session.commit()
    assert board.next_event() == ("order.created", {"id": 1000, "status": "pending"})
