"""Acceptance 1 against a real server process: a village doctor prescribes three drugs, one of
which the clinic lacks; the order appears on the pharmacist's board live (a python-socketio
client on ``/pharmacy``); it is picked from the first-expiring lot, dispatched in a town run and
delivered, the clinic's view following along; stock and history end right."""

from __future__ import annotations

import datetime as dt
import queue

import pytest
import requests
import socketio as socketio_client

from gpassist.auth.service import issue_token
from gpassist.clinics.tables import Drug, Facility
from gpassist.db import Database
from gpassist.pharmacy import stock
from tests.conftest import build_world, make_users
from tests.prescriptions.helpers import add_demo_drugs, today
from tests.servers import BIN, free_port, running_server, service_env


def prepare(database_url: str, registry) -> dict[str, str]:
    """The mini county, users with tokens, the clinic's and the pharmacy's stock."""
    database = Database(database_url)
    try:
        build_world(database, registry)
        with database.transaction(actor="test") as session:
            add_demo_drugs(session)
            users = make_users(session)
            tokens = {
                name: issue_token(session, users[name], ttl=dt.timedelta(hours=1)).token
                for name in ("doctor_a", "doctor_b", "pharmacist")
            }
            va = session.query(Facility).filter_by(code="VA").one()
            cp = stock.central_pharmacy(session)
            drug = {d.code: d for d in session.query(Drug)}
            soon, later = today() + dt.timedelta(days=60), today() + dt.timedelta(days=400)
            for code in ("amlodipine-5mg-tab", "metformin-500mg-tab"):
                stock.receive(
                    session, users["doctor_a"], va, drug[code], "VA-1", later, 100, today()
                )
            stock.receive(
                session,
                users["pharmacist"],
                cp,
                drug["rosuvastatin-10mg-tab"],
                "LATE",
                later,
                50,
                today(),
            )
            stock.receive(
                session,
                users["pharmacist"],
                cp,
                drug["rosuvastatin-10mg-tab"],
                "SOON",
                soon,
                30,
                today(),
            )
        return tokens
    finally:
        database.dispose()


def listener(base: str, token: str) -> tuple[socketio_client.Client, queue.Queue]:
    events: queue.Queue = queue.Queue()
    client = socketio_client.Client(reconnection=False)
    for name in ("order.created", "order.status"):
        client.on(name, lambda data, name=name: events.put((name, data)), namespace="/pharmacy")
    client.connect(
        base,
        auth={"token": token},
        namespaces=["/pharmacy"],
        transports=["websocket"],
        wait_timeout=10,
    )
    return client, events


def next_event(events: queue.Queue) -> tuple[str, dict]:
    return events.get(timeout=15)


@pytest.mark.slow
def test_order_appears_live_and_is_delivered(database_url, tmp_path, mini_registry):
    tokens = prepare(database_url, mini_registry)
    port = free_port()
    env = service_env(database_url, tmp_path)
    with running_server([str(BIN / "gpassist"), "serve", "--port", str(port)], env, port) as base:
        refused = socketio_client.Client(reconnection=False)
        with pytest.raises(socketio_client.exceptions.ConnectionError):
            refused.connect(
                base, auth={"token": "forged"}, namespaces=["/pharmacy"], wait_timeout=10
            )
        board, board_events = listener(base, tokens["pharmacist"])
        clinic, clinic_events = listener(base, tokens["doctor_a"])
        other, other_events = listener(base, tokens["doctor_b"])
        try:
            http = requests.Session()

            def call(method: str, path: str, who: str, **kw):
                headers = {"Authorization": f"Bearer {tokens[who]}"}
                return http.request(method, base + path, headers=headers, timeout=30, **kw)

            patient = call(
                "POST",
                "/api/v1/patients",
                "doctor_a",
                json={"name": "郑大爷", "sex": "male", "birth_date": "1950-02-02"},
            ).json()
            visit = call(
                "POST",
                f"/api/v1/patients/{patient['id']}/encounters",
                "doctor_a",
                json={"chief_complaint": "复诊开药"},
            ).json()
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
            assert rx.status_code == 201, rx.text
            order_id = rx.json()["pharmacy_order_id"]
            assert [x["source"] for x in rx.json()["lines"]] == ["clinic", "clinic", "central"]

            # Live, without a reload: on the board and in the clinic's view.
            name, data = next_event(board_events)
            assert (name, data["id"], data["status"], data["clinic"]) == (
                "order.created",
                order_id,
                "pending",
                "VA",
            )
            assert next_event(clinic_events)[1]["id"] == order_id
            board_now = call("GET", "/api/v1/pharmacy/board", "pharmacist").json()
            assert board_now["towns"][0]["pending"][0]["id"] == order_id

            picked = call("POST", f"/api/v1/pharmacy/orders/{order_id}/pick", "pharmacist", json={})
            assert picked.status_code == 200, picked.text
            assert [
                (a["lot_no"], a["quantity"]) for a in picked.json()["lines"][0]["allocations"]
            ] == [("SOON", 7)]
            assert next_event(board_events)[1]["status"] == "picked"

            run = call("POST", "/api/v1/pharmacy/delivery-runs", "pharmacist", json={"town": "T1"})
            assert run.status_code == 201, run.text
            assert next_event(board_events)[1]["status"] == "dispatched"

            delivered = call("POST", f"/api/v1/pharmacy/orders/{order_id}/delivery", "doctor_a")
            assert delivered.status_code == 200, delivered.text
            assert next_event(board_events)[1]["status"] == "delivered"
            assert [e[1]["status"] for e in (next_event(clinic_events) for _ in range(3))] == [
                "picked",
                "dispatched",
                "delivered",
            ]
            assert other_events.empty()  # another clinic's doctor heard nothing

            lots = {
                lot["lot_no"]: (lot["on_hand"], lot["reserved"])
                for lot in call(
                    "GET", "/api/v1/pharmacy/stock?drug=rosuvastatin-10mg-tab", "pharmacist"
                ).json()["items"]
            }
            assert lots == {"SOON": (23, 0), "LATE": (50, 0)}
            clinic_stock = call("GET", "/api/v1/pharmacy/stock", "doctor_a").json()["items"]
            assert sorted((x["drug"], x["on_hand"]) for x in clinic_stock) == [
                ("amlodipine-5mg-tab", 93),
                ("metformin-500mg-tab", 86),
            ]
            history = call("GET", f"/api/v1/pharmacy/orders/{order_id}", "doctor_a").json()[
                "history"
            ]
            assert [(h["to_status"], h["by"]) for h in history] == [
                ("pending", "doctor_a"),
                ("picked", "pharmacist"),
                ("dispatched", "pharmacist"),
                ("delivered", "doctor_a"),
            ]
            assert all(h["at"].endswith("+08:00") for h in history)
        finally:
            for client in (board, clinic, other):
                client.disconnect()
