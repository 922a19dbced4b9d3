"""Two pharmacists pick the last units of a drug at the same moment: one succeeds, the other gets
a clear 409, and available stock ends at zero, never below. Real concurrent transactions on
SQLite and PostgreSQL, no mocks."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from gpassist.auth.passwords import hash_password
from gpassist.auth.service import issue_token
from gpassist.auth.tables import Role, User
from gpassist.pharmacy.states import OrderStatus
from gpassist.pharmacy.stock import StockShort
from gpassist.pharmacy.tables import PharmacyOrder, StockLot
from tests.pharmacy.helpers import pick_while_another_pick_is_open
from tests.prescriptions.helpers import line, new_patient, new_visit, prescribe, receive


@pytest.fixture
def two_orders_for_the_last_five(api, database, users, more_drugs):
    """Five rosuvastatin tablets at the central pharmacy; two orders of five each; a second
    pharmacist with a token."""
    receive(api, "rosuvastatin-10mg-tab", 5, "ROS-LAST", 200)
    ids = []
    for name in ("周一", "吴二"):
        visit = new_visit(api, new_patient(api, name=name))
        rx = prescribe(api, visit, [line("rosuvastatin-10mg-tab", 10, days=5)])
        ids.append(rx.get_json()["pharmacy_order_id"])
    with database.transaction(actor="test") as session:
        second = User(
            username="pharmacist_2",
            display_name="Pharmacist Two",
            password_hash=hash_password("another pass phrase"),
            role=Role.pharmacist,
        )
        session.add(second)
        session.flush()
        token = issue_token(session, second, ttl=dt.timedelta(hours=1)).token
    return ids, token


def the_lot(database) -> StockLot:
    with database.sessionmaker() as session:
        return session.scalar(select(StockLot).where(StockLot.lot_no == "ROS-LAST"))


def test_two_pharmacists_pick_at_once_one_gets_409(
    app, api, database, users, two_orders_for_the_last_five
):
    (first, second), token_2 = two_orders_for_the_last_five
    tokens = [users["pharmacist"].token, token_2]
    start = threading.Barrier(2)
    results: dict[int, tuple[int, dict]] = {}

    def pick(order_id: int, token: str) -> None:
        client = app.test_client()
        start.wait()
        response = client.post(
            f"/api/v1/pharmacy/orders/{order_id}/pick",
            json={},
            headers={"Authorization": f"Bearer {token}"},
        )
        results[order_id] = (response.status_code, response.get_json())

    threads = [
        threading.Thread(target=pick, args=(order_id, token))
        for order_id, token in zip((first, second), tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(status for status, _ in results.values())
    assert statuses == [200, 409], results
    (loser,) = [body for status, body in results.values() if status == 409]
    assert loser["type"] == "/problems/conflict" and loser["drug"] == "rosuvastatin-10mg-tab"
    lot = the_lot(database)
    assert (lot.on_hand, lot.reserved) == (5, 5)  # available 0, not below
    with database.sessionmaker() as session:
        states = sorted(s.value for s in session.scalars(select(PharmacyOrder.status)))
    assert states == ["pending", "picked"]


def test_second_transaction_planned_on_stale_stock_and_is_refused(
    backend, database, users, two_orders_for_the_last_five
):
    """The interleaving that breaks a read-then-write implementation: the second picker reads
    the stock before the first commits. Its conditional UPDATE matches no row once it may run."""
    (first, second), _token = two_orders_for_the_last_five
    outcome = pick_while_another_pick_is_open(backend, database, users, first, second)
    assert isinstance(outcome, StockShort), outcome
    assert outcome.status == 409
    lot = the_lot(database)
    assert lot.on_hand - lot.reserved == 0 and lot.reserved == 5
    with database.sessionmaker() as session:
        assert session.get(PharmacyOrder, second).status == OrderStatus.pending
