"""A prescription split between the clinic and the central pharmacy, then the order's life:
pick (first-expiring lot), delivery run, delivery, pick-up; stock and history checked at each
step. In-process, on both databases (the live board: test_live_board.py; over a real server, the
browser tests)."""

from __future__ import annotations

from gpassist.extensions import socketio
from tests.prescriptions.helpers import line, new_patient, new_visit, prescribe, receive


def lot(api, lot_id: int, as_="pharmacist") -> dict:
    lots = api.get("/api/v1/pharmacy/stock?limit=500", as_=as_).get_json()["items"]
    return next(x for x in lots if x["id"] == lot_id)


def clinic_lots(api, drug: str, as_="doctor_a") -> list[dict]:
    found = api.get(f"/api/v1/pharmacy/stock?drug={drug}", as_=as_).get_json()["items"]
    return found


def test_three_drugs_one_missing_becomes_one_order_through_to_pick_up(app, api, users, more_drugs):
    # The clinic VA stocks amlodipine and metformin and has them on its shelf; rosuvastatin it
    # does not stock: that line goes to the central pharmacy, in two lots there.
    receive(api, "amlodipine-5mg-tab", 100, "AML-1", 300, as_="doctor_a")
    receive(api, "metformin-500mg-tab", 100, "MET-1", 300, as_="doctor_a")
    later = receive(api, "rosuvastatin-10mg-tab", 50, "ROS-LATE", 400)
    first = receive(api, "rosuvastatin-10mg-tab", 5, "ROS-SOON", 60)
    board_socket = socketio.test_client(
        app, namespace="/pharmacy", auth={"token": users["pharmacist"].token}
    )
    clinic_socket = socketio.test_client(
        app, namespace="/pharmacy", auth={"token": users["doctor_b"].token}
    )
    assert board_socket.is_connected("/pharmacy") and clinic_socket.is_connected("/pharmacy")

    patient = new_patient(api)
    visit = new_visit(api, patient)
    response = prescribe(
        api,
        visit,
        [
            line("amlodipine-5mg-tab", 5),
            line("metformin-500mg-tab", 500, "tid"),
            line("rosuvastatin-10mg-tab", 10, "qn"),
        ],
    )
    assert response.status_code == 201, response.get_json()
    rx = response.get_json()
    assert [x["source"] for x in rx["lines"]] == ["clinic", "clinic", "central"]
    assert [x["quantity"] for x in rx["lines"]] == [7, 21, 7]
    assert rx["total_fen"] == 7 * 30 + 21 * 12 + 7 * rx["lines"][2]["unit_price_fen"]
    order_id = rx["pharmacy_order_id"]
    assert order_id is not None

    # The clinic's shelf went down by what was dispensed there.
    assert clinic_lots(api, "amlodipine-5mg-tab")[0]["on_hand"] == 93
    assert clinic_lots(api, "metformin-500mg-tab")[0]["on_hand"] == 79

    # The board heard of the new order at once; another clinic's doctor did not.
    events = board_socket.get_received("/pharmacy")
    assert [(e["name"], e["args"][0]["id"]) for e in events] == [("order.created", order_id)]
    assert clinic_socket.get_received("/pharmacy") == []

    board = api.get("/api/v1/pharmacy/board", as_="pharmacist").get_json()
    assert board["pending_count"] == 1
    (town,) = board["towns"]
    assert town["town"] == "T1" and town["pending"][0]["id"] == order_id
    assert town["pending"][0]["lines"] == [
        {
            "line_no": 1,
            "drug": "rosuvastatin-10mg-tab",
            "drug_name": town["pending"][0]["lines"][0]["drug_name"],
            "strength": "10 mg",
            "quantity": 7,
            "ordered_quantity": 7,
            "substitute_for": None,
            "short_reason": None,
        }
    ]

    # Pick: 5 from the lot expiring first, the other 2 from the later one.
    picked = api.post(f"/api/v1/pharmacy/orders/{order_id}/pick", as_="pharmacist", json={})
    assert picked.status_code == 200, picked.get_json()
    allocations = picked.get_json()["lines"][0]["allocations"]
    assert [(a["lot_no"], a["quantity"]) for a in allocations] == [("ROS-SOON", 5), ("ROS-LATE", 2)]
    assert lot(api, first["id"])["available"] == 0
    assert lot(api, later["id"])["reserved"] == 2 and lot(api, later["id"])["on_hand"] == 50

    run = api.post("/api/v1/pharmacy/delivery-runs", as_="pharmacist", json={"town": "T1"})
    assert run.status_code == 201, run.get_json()
    assert [o["id"] for o in run.get_json()["orders"]] == [order_id]
    note = api.get(
        f"/api/v1/pharmacy/delivery-runs/{run.get_json()['id']}/note.html", as_="pharmacist"
    )
    assert note.status_code == 200 and "配送单" in note.get_data(as_text=True)
    assert lot(api, first["id"])["on_hand"] == 0
    assert lot(api, later["id"])["on_hand"] == 48 and lot(api, later["id"])["reserved"] == 0

    assert (
        api.post(f"/api/v1/pharmacy/orders/{order_id}/delivery", as_="doctor_b").status_code == 404
    )
    delivered = api.post(f"/api/v1/pharmacy/orders/{order_id}/delivery", as_="doctor_a")
    assert delivered.status_code == 200 and delivered.get_json()["status"] == "delivered"
    collected = api.post(f"/api/v1/pharmacy/orders/{order_id}/pick-up", as_="doctor_a")
    assert collected.status_code == 200 and collected.get_json()["picked_up_at"]
    # A second press (a double tap, a stale list) is harmless: same order, nothing recorded.
    again = api.post(f"/api/v1/pharmacy/orders/{order_id}/pick-up", as_="doctor_a")
    assert again.status_code == 200
    assert again.get_json()["picked_up_at"] == collected.get_json()["picked_up_at"]
    assert again.get_json()["history"] == collected.get_json()["history"]
    # …and the collected order leaves the clinic's list of open orders.
    still_open = api.get("/api/v1/pharmacy/orders?open_only=true", as_="doctor_a").get_json()
    assert order_id not in [o["id"] for o in still_open["items"]]
    every = api.get("/api/v1/pharmacy/orders", as_="doctor_a").get_json()["items"]
    assert [o["picked_up_at"] for o in every if o["id"] == order_id] == [
        collected.get_json()["picked_up_at"]
    ]

    history = collected.get_json()["history"]
    assert [(h["action"], h["to_status"], h["by"]) for h in history] == [
        ("create", "pending", "doctor_a"),
        ("pick", "picked", "pharmacist"),
        ("dispatch", "dispatched", "pharmacist"),
        ("deliver", "delivered", "doctor_a"),
        ("pick_up", "delivered", "doctor_a"),
    ]
    statuses = [e["args"][0]["status"] for e in board_socket.get_received("/pharmacy")]
    assert statuses == ["picked", "dispatched", "delivered", "delivered"]
    assert api.get("/api/v1/pharmacy/board", as_="pharmacist").get_json()["towns"] == []
