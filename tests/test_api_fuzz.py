"""Bad input never gives a 500: schemathesis drives every documented endpoint.

Requests are generated from the OpenAPI document (valid and invalid data alike), sent with a
village doctor's and an admin's token, and every response must be a non-5xx that matches the
status codes, content types and schemas the document declares. The document is loaded once per
app (one app per backend); each operation runs on its own copy of the mini county.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("GPASSIST_FUZZ_EXAMPLES", "30"))

pytestmark = pytest.mark.fuzz

# A village doctor (clinic-bound) and an administrator (county-wide): the two widest views.
CALLERS = ("doctor_a", "admin")

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def documented_operations() -> list[tuple[str, str]]:
    """(method, path) of every endpoint in the OpenAPI document."""
    from gpassist import create_app

    application = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "collect-only"})
    document = application.test_client().get("/api/openapi.json").get_json()
    application.extensions["gpassist.db"].dispose()
    return [
        (method.upper(), path)
        for path, methods in document["paths"].items()
        for method in methods
        # revoking the caller's own token would turn every later example into a 401
        if not (path == "/api/v1/auth/token" and method == "delete")
    ]


OPERATIONS = documented_operations()

_SCHEMAS: dict[int, object] = {}


def loaded_schema(app):
    """The app's OpenAPI document as schemathesis sees it, loaded once per app."""
    if id(app) not in _SCHEMAS:
        _SCHEMAS[id(app)] = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    return _SCHEMAS[id(app)]


def seed_records(app, users) -> None:
    """A registered, diagnosed, enrolled patient, so generated ids sometimes hit something real."""
    client = app.test_client()
    auth = {"Authorization": f"Bearer {users['doctor_a'].token}"}
    patient = client.post(
        "/api/v1/patients",
        headers=auth,
        json={"name": "测试", "sex": "female", "birth_date": "1960-05-01"},
    ).get_json()
    client.post(
        f"/api/v1/patients/{patient['id']}/encounters",
        headers=auth,
        json={"chief_complaint": "头晕", "diagnoses": ["I10"]},
    )
    client.post(
        f"/api/v1/patients/{patient['id']}/enrolments",
        headers=auth,
        json={"program": "hypertension"},
    )


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_endpoint_survives_generated_input(app, users, method, path, mode):
    seed_records(app, users)
    operation = loaded_schema(app)[path][method]
    # Each generated request is sent as both callers: generating it costs more than sending it.
    # identity: schemathesis asks for gzip like a browser, but reads the WSGI test client's body
    # without decompressing it (a real HTTP client does; tests/web/test_delivery.py checks that).
    callers = [
        {"Authorization": f"Bearer {users[name].token}", "Accept-Encoding": "identity"}
        for name in CALLERS
    ]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case):
        for headers in callers:
            case.call_and_validate(headers=headers, checks=CHECKS)

    check()
