"""Migrations build exactly the tables the code declares; readiness follows them."""

from __future__ import annotations

import re

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from gpassist import create_app, migrate
from gpassist.all_tables import metadata
from gpassist.db import Database


def test_migrations_match_the_tables(empty_database_url):
    migrate.upgrade(empty_database_url)
    database = Database(empty_database_url)
    try:
        with database.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        database.dispose()
    assert diff == [], "tables and migrations disagree: add a migration (gpassist db revision)"


def test_readyz_needs_a_migrated_database(empty_database_url, tmp_path):
    app = create_app({"DATABASE_URL": empty_database_url, "INSTANCE_PATH": str(tmp_path)})
    client = app.test_client()
    try:
        assert client.get("/healthz").status_code == 200
        unmigrated = client.get("/readyz")
        assert unmigrated.status_code == 503
        migrate.upgrade(empty_database_url)
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.get_json()["migration"] == migrate.head_revision()
    finally:
        app.extensions["gpassist.db"].dispose()


def test_readyz_reports_unreachable_database(tmp_path):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path)})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    assert "nobody" not in response.get_data(as_text=True)


def test_unknown_route_and_method_are_problems(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"
    wrong_method = client.put("/api/v1/patients")
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["type"] == "/problems/method-not-allowed"


def test_openapi_documents_every_api_route(app):
    document = app.test_client().get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {
        (path, method.upper()) for path, methods in document["paths"].items() for method in methods
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == documented
