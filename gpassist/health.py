"""``/healthz`` (the process is up) and ``/readyz`` (database reachable, migrations current)."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from gpassist import migrate

bp = Blueprint("health", __name__)
log = logging.getLogger("gpassist.health")


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
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
    return jsonify(status="ready", database=database.backend, migration=current)
