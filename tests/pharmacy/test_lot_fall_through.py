"""A pick falls through to the next-expiring lot: a first lot holding too few units (or drained
by a racing pick) is no reason for a 409 while other lots have plenty. Real concurrent
transactions on SQLite and PostgreSQL, no mocks."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from gpassist.auth.passwords import hash_password
from gpassist.auth.service import issue_token
from gpassist.auth.tables import Role, User
from gpassist.pharmacy.tables import Allocation, OrderLine, PharmacyOrder, StockLot
from tests.pharmacy.helpers import pick_while_another_pick_is_open
from tests.prescriptions.helpers import line, new_patient, new_visit, prescribe, receive

DRUG = "rosuvastatin-10mg-tab"


def order_for(api, name: str, tablets: int) -> int:
    visit = new_visit(api, new_patient(api, name=name))
    rx = prescribe(api, visit, [line(DRUG, 10, days=tablets)])
    assert rx.status_code == 201, rx.get_json()
    return rx.get_json()["pharmacy_order_id"]


@pytest.fixture
def two_lots(api, users, more_drugs) -> None:
    """Lot A (3 tablets) expires first; lot B (50 tablets) later."""
    receive(api, DRUG, 3, "ROS-A", 100)
    receive(api, DRUG, 50, "ROS-B", 300)


def lots(database) -> dict[str, tuple[int, int]]:
    with database.sessionmaker() as session:
        found = session.scalars(select(StockLot).where(StockLot.lot_no.in_(["ROS-A", "ROS-B"])))
        return {lot.lot_no: (lot.on_hand, lot.reserved) for lot in found}


def allocations(database, order_id: int) -> dict[str, int]:
    with database.sessionmaker() as session:
        rows = session.execute(
            select(StockLot.lot_no, Allocation.quantity)
            .join(Allocation, Allocation.lot_id == StockLot.id)
            .join(OrderLine, OrderLine.id == Allocation.order_line_id)
            .where(OrderLine.order_id == order_id)
        )
        return {lot_no: quantity for lot_no, quantity in rows}


def test_a_pick_larger_than_the_first_lot_takes_the_rest_from_the_next(api, database, two_lots):
    order_id = order_for(api, "周一", 5)
    picked = api.post(f"/api/v1/pharmacy/orders/{order_id}/pick", as_="pharmacist", json={})
    assert picked.status_code == 200, picked.get_json()
    assert allocations(database, order_id) == {"ROS-A": 3, "ROS-B": 2}
    assert lots(database) == {"ROS-A": (3, 3), "ROS-B": (50, 2)}


def test_a_pick_planned_on_a_lot_a_racing_pick_drained_falls_through(
    backend, database, users, api, two_lots
):
    """The second picker reads lot A (3 free) before the first pick (2 of A) commits, plans all 3
    from A, and finds only 1 there: it takes that 1 and 2 from lot B, no 409."""
    first = order_for(api, "周一", 2)
    second = order_for(api, "吴二", 3)
    outcome = pick_while_another_pick_is_open(backend, database, users, first, second)
    assert outcome == "picked", outcome
    assert allocations(database, first) == {"ROS-A": 2}
    assert allocations(database, second) == {"ROS-A": 1, "ROS-B": 2}
    assert lots(database) == {"ROS-A": (3, 3), "ROS-B": (50, 2)}


def test_concurrent_picks_over_two_lots_all_succeed_and_never_oversell(
    app, api, database, users, two_lots
):
    """Four pharmacists pick 4 tablets each at once: 16 of the 53 in stock, so no one is refused,
    and no lot is reserved beyond what it holds."""
    order_ids = [order_for(api, name, 4) for name in ("周一", "吴二", "郑三", "王四")]
    tokens = [users["pharmacist"].token]
    with database.transaction(actor="test") as session:
        for n in range(3):
            colleague = User(
                username=f"pharmacist_{n + 2}",
                display_name=f"Pharmacist {n + 2}",
                password_hash=hash_password("another pass phrase"),
                role=Role.pharmacist,
            )
            session.add(colleague)
            session.flush()
            tokens.append(issue_token(session, colleague, ttl=dt.timedelta(hours=1)).token)
    start = threading.Barrier(len(order_ids))
    statuses: dict[int, int] = {}

    def pick(order_id: int, token: str) -> None:
        client = app.test_client()
        start.wait()
        response = client.post(
            f"/api/v1/pharmacy/orders/{order_id}/pick",
            json={},
            headers={"Authorization": f"Bearer {token}"},
        )
        statuses[order_id] = response.status_code

    threads = [
        threading.Thread(target=pick, args=pair) for pair in zip(order_ids, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses.values()) == [200, 200, 200, 200], statuses
    stock = lots(database)
    assert all(reserved <= on_hand for on_hand, reserved in stock.values()), stock
    assert sum(reserved for _on_hand, reserved in stock.values()) == 16
    for order_id in order_ids:
        assert sum(allocations(database, order_id).values()) == 4
    with database.sessionmaker() as session:
        assert {s.value for s in session.scalars(select(PharmacyOrder.status))} == {"picked"}
