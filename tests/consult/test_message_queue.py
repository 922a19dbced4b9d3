"""The Socket.IO message queue's outage, seen from a real Redis client: ``/readyz`` reports it,
every publish that cannot reach it logs a warning, and this process's own sockets keep getting
their events. "Down" is a Redis URL where nothing listens (the shared Redis keeps running)."""

from __future__ import annotations

import logging

import pytest
import requests
from alembic import command

from gpassist import create_app, migrate
from tests.consult.conftest import REQUEST, queue_channel, serve
from tests.servers import free_port


def at_migration_head(database_url: str) -> None:
    """Mark a database built by ``create_all`` as migrated (tests/test_health_and_migrations.py
    checks that the two agree), so ``/readyz`` gets past the migration check."""
    command.stamp(migrate.alembic_config(database_url), "head")


def app_on_queue(world, tmp_path, queue_url: str | None):
    at_migration_head(world.database_url)
    return create_app(
        {
            "DATABASE_URL": world.database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-only-secret",
            "LOG_LEVEL": "WARNING",
            "SOCKETIO_QUEUE": queue_url,
            "SOCKETIO_CHANNEL": queue_channel(),
            "CONSULT_SCHEDULER_INTERVAL_SECONDS": 0,
        }
    )


def open_consultation(app, world) -> int:
    response = app.test_client().post(
        f"/api/v1/encounters/{world.encounters['doctor_a']}/consultations",
        json=REQUEST,
        headers={"Authorization": f"Bearer {world.tokens['doctor_a']}"},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_with_the_queue_down_readyz_says_degraded_and_emits_are_logged(world, tmp_path, caplog):
    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app = app_on_queue(world, tmp_path, down)
    ready = app.test_client().get("/readyz")
    # Still 200: the HTTP API and this process's sockets work; the load balancer keeps it.
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "degraded"
    assert ready.get_json()["socketio_queue"] == "unreachable"

    with caplog.at_level(logging.WARNING, logger="gpassist.realtime"):
        open_consultation(app, world)  # the request itself succeeds
    # What could not go to the other processes is in the log, without credentials.
    warnings = [r.getMessage() for r in caplog.records if r.name == "gpassist.realtime"]
    assert any("unreachable: consultation to user:" in w for w in warnings), warnings
    assert all(down.split("//")[1].split("/")[0] in w for w in warnings)


@pytest.mark.slow
def test_with_the_queue_down_a_servers_own_sockets_still_hear_their_events(world, tmp_path, peers):
    down = f"redis://127.0.0.1:{free_port()}/0"
    at_migration_head(world.database_url)
    with serve(world, tmp_path / "instance", GPASSIST_SOCKETIO_QUEUE=down) as (server,):
        ready = requests.get(f"{server.base}/readyz", timeout=10)
        assert ready.status_code == 200 and ready.json()["socketio_queue"] == "unreachable"
        specialist = peers(server.base, world.tokens["specialist"])
        specialist.ok("availability", {"available": True})
        doctor = peers(server.base, world.tokens["doctor_a"])
        requested = doctor.ok("request", {"encounter_id": world.encounters["doctor_a"], **REQUEST})
        consultation_id = requested["consultation"]["id"]
        queued = specialist.wait_for("queue_changed", lambda p: p["change"] == "requested")
        assert queued["consultation"]["id"] == consultation_id
        log = (tmp_path / "instance" / f"server-{server.port}.log").read_text()
        assert "unreachable: queue_changed" in log


@pytest.mark.redis
def test_with_the_queue_up_readyz_says_ready_and_nothing_is_logged(
    world, tmp_path, caplog, redis_url
):
    app = app_on_queue(world, tmp_path, redis_url)
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "ready"
    assert ready.get_json()["socketio_queue"] == "ok"
    with caplog.at_level(logging.WARNING, logger="gpassist.realtime"):
        open_consultation(app, world)
    assert [r for r in caplog.records if r.name == "gpassist.realtime"] == []


def test_without_a_queue_readyz_says_so(app):
    at_migration_head(app.config["DATABASE_URL"])
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "ready"
    assert ready.get_json()["socketio_queue"] == "none"
