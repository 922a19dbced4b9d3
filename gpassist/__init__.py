"""gpassist: the GP assistant service for village clinics.

``create_app(config=None)`` builds the Flask app: settings (defaults < ``GPASSIST_*`` environment <
``config``), the database, the error handlers, the blueprints and Socket.IO.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Flask, g, jsonify, request
from werkzeug.middleware.proxy_fix import ProxyFix

__version__ = "0.1.0"

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    from gpassist.audit.service import install_audit_listener
    from gpassist.auth.ratelimit import init_login_rate_limit
    from gpassist.config import instance_secret_key, load_settings
    from gpassist.db import Database
    from gpassist.endpoints import CodeConverter, IdConverter, close_request_session
    from gpassist.errors import register_error_handlers
    from gpassist.extensions import socketio
    from gpassist.web import init_web

    settings = load_settings(overrides=config)
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"], instance_relative_config=False)
    app.config.update(settings)
    app.config["SECRET_KEY"] = settings["SECRET_KEY"] or instance_secret_key(app.instance_path)
    app.config["JSON_AS_ASCII"] = False
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["code"] = CodeConverter
    _configure_logging(settings["LOG_LEVEL"])
    if settings["TRUSTED_PROXIES"]:
        # Behind nginx the client's address (for the login rate limit) and scheme come from the
        # proxy's headers; trust exactly as many hops as there are proxies.
        hops = settings["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    install_audit_listener()
    database = Database(settings["DATABASE_URL"])
    app.extensions["gpassist.db"] = database

    register_error_handlers(app)
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
    app.teardown_appcontext(close_request_session)
    _register_blueprints(app)
    init_web(app)
    init_login_rate_limit(app)
    socketio.init_app(
        app,
        async_mode=settings["SOCKETIO_ASYNC_MODE"],
        message_queue=settings["SOCKETIO_QUEUE"],
        cors_allowed_origins=[],
    )
    return app


def _register_blueprints(app: Flask) -> None:
    from gpassist import health
    from gpassist.auth import events as auth_events  # noqa: F401  (registers Socket.IO handlers)
    from gpassist.auth.api import bp as auth_bp
    from gpassist.clinics.api import bp as clinics_bp
    from gpassist.consult import events as consult_events  # noqa: F401  (/consult namespace)
    from gpassist.consult.api import bp as consult_bp
    from gpassist.diagnosis.api import bp as diagnosis_bp  # loads the diagnosis models
    from gpassist.followup.api import bp as followup_bp
    from gpassist.followup.reports_api import bp as reports_bp
    from gpassist.openapi import build_openapi
    from gpassist.overview.api import bp as overview_bp
    from gpassist.patients.api import bp as patients_bp
    from gpassist.pharmacy import events as pharmacy_events  # noqa: F401  (/pharmacy namespace)
    from gpassist.pharmacy.api import bp as pharmacy_bp
    from gpassist.prescriptions.api import bp as prescriptions_bp
    from gpassist.referrals.api import bp as referrals_bp
    from gpassist.settlement.admin_api import bp as settlement_admin_bp
    from gpassist.settlement.api import bp as settlement_bp
    from gpassist.tcm.api import bp as tcm_bp  # loads the TCM models

    blueprints = (
        health.bp,
        auth_bp,
        clinics_bp,
        patients_bp,
        followup_bp,
        referrals_bp,
        reports_bp,
        overview_bp,
        settlement_bp,
        settlement_admin_bp,
        consult_bp,
        prescriptions_bp,
        pharmacy_bp,
        diagnosis_bp,
        tcm_bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)

    document = build_openapi("gpassist", __version__)

    @app.get("/api/openapi.json")
    def openapi_document():
        return jsonify(document)


def _assign_request_id() -> None:
    from gpassist.endpoints import request_session

    supplied = request.headers.get("X-Request-ID", "")
    g.request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
    if request.path.startswith("/api/v1/"):
        request_session().info["request_id"] = g.request_id


def _echo_request_id(response):
    response.headers["X-Request-ID"] = g.get("request_id", "")
    return response


def _configure_logging(level: str) -> None:
    logger = logging.getLogger("gpassist")
    logger.setLevel(level.upper())
    if not logging.getLogger().handlers and not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
