"""``/healthz`` (the process is up) and ``/readyz`` (database reachable, migrations current, and
the Socket.IO message queue's state)."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from gpassist import migrate
from gpassist.realtime import queue_state

bp = Blueprint("health", __name__)
log = logging.getLogger("gpassist.health")


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """503 without the database or behind the migrations; otherwise 200, ``"degraded"`` while a
    configured message queue is unreachable (the HTTP API and this process's sockets still work:
    taking every process out of the load balancer for a Redis outage would only make it worse).
    """
    database = current_app.extensions["gpassist.db"]
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current, head = migrate.revisions(connection)
    except Exception as exc:  # any failure to reach the database means "not ready"
        log.warning("readiness check failed: %s", type(exc).__name__)
        return jsonify(status="unavailable", database="unreachable"), 503
    if current != head:
        return jsonify(status="unavailable", database="ok", migration=current, expected=head), 503
    queue = queue_state(current_app)
    if queue == "unreachable":
        log.warning("readiness: the Socket.IO message queue is unreachable")
    return jsonify(
        status="degraded" if queue == "unreachable" else "ready",
        database=database.backend,
        migration=current,
        socketio_queue=queue,
    )
