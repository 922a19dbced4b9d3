"""Racing two pharmacists' picks against each other on a real database."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from gpassist.auth.tables import User
from gpassist.pharmacy import orders
from tests.prescriptions.helpers import today


def pick_while_another_pick_is_open(backend, database, users, first: int, second: int) -> object:
    """Pick order ``first`` in a transaction left open, pick ``second`` in another thread
    meanwhile, then commit the first. Returns what the second pick came to: "picked", or the
    exception it raised (its transaction rolled back)."""
    outcome: dict[str, object] = {}
    s1 = database.sessionmaker()
    try:
        orders.pick(s1, s1.get(User, users["pharmacist"].id), first, [], today())

        def second_picker() -> None:
            with database.sessionmaker() as s2:
                try:
                    orders.pick(s2, s2.get(User, users["pharmacist"].id), second, [], today())
                    s2.commit()
                    outcome["result"] = "picked"
                except Exception as exc:  # the test judges whatever the pick came to
                    s2.rollback()
                    outcome["result"] = exc

        thread = threading.Thread(target=second_picker)
        thread.start()
        if backend == "postgresql":
            wait_until_blocked_on_a_lock(database)
        s1.commit()
        thread.join(timeout=60)
    finally:
        s1.close()
    return outcome.get("result", "the second pick never finished")


def wait_until_blocked_on_a_lock(database, deadline_s: float = 30) -> None:
    """On PostgreSQL, wait (by polling the server, not by sleeping a guess) until another
    backend waits for a row lock."""
    end = time.monotonic() + deadline_s
    with database.engine.connect() as connection:
        while time.monotonic() < end:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalar()
            if waiting:
                return
            connection.rollback()
            time.sleep(0.05)
    raise AssertionError("the second transaction never waited for the first one's lock")
