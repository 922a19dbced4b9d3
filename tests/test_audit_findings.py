"""The outside audit's findings (issue 15), each as the behaviour a client sees: a complete
OpenAPI document, CSRF refusals that say so, field paths that name the field sent, numbers that
are numbers, no invisible direction controls in stored text, a SameSite session cookie."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from openapi_spec_validator import validate

from gpassist import create_app
from gpassist.endpoints import REGISTRY
from gpassist.schemas import RequestModel
from tests.conftest import PASSWORD

REF = re.compile(r'"\$ref": "#/components/schemas/([^"]+)"')


@pytest.fixture
def document(app) -> dict:
    return app.test_client().get("/api/openapi.json").get_json()


# --- the OpenAPI document -----------------------------------------------------------------------


def test_every_ref_resolves_and_the_document_is_valid_openapi(document):
    components = document["components"]["schemas"]
    referenced = set(REF.findall(json.dumps(document)))
    assert referenced - set(components) == set()
    validate(document)


def test_models_sharing_a_class_name_get_distinct_components(document):
    """Diagnosis and TCM both have SuggestIn / SuggestionOut: each operation points at its own."""
    paths = document["paths"]
    suggest_bodies = {
        path: op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        for path, ops in paths.items()
        for method, op in ops.items()
        if path.endswith("/suggest") and method == "post"
    }
    assert len(suggest_bodies) >= 2, suggest_bodies
    assert len(set(suggest_bodies.values())) == len(suggest_bodies), suggest_bodies


def test_every_request_model_refuses_direction_controls():
    models = {op.body for op in REGISTRY.operations} | {op.query for op in REGISTRY.operations}
    models.discard(None)
    assert models and all(issubclass(m, RequestModel) for m in models), [
        m.__name__ for m in models if not issubclass(m, RequestModel)
    ]


# --- refusals that name the right cause -----------------------------------------------------


def test_a_csrf_refusal_says_csrf_not_role(client, users):
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    api_refusal = client.post("/api/v1/users", json={"username": "x"})  # no X-CSRFToken
    form_refusal = client.post("/logout")  # no csrf_token field
    for response, status in ((api_refusal, 403), (form_refusal, 400)):
        problem = response.get_json()
        assert response.status_code == status
        assert problem["type"] == "/problems/csrf"
        assert "role" not in problem["title"].lower() and "CSRF" in problem["title"]
        assert "角色" not in problem["title_zh"] and "令牌" in problem["title_zh"]
    assert client.get("/api/v1/auth/me").status_code == 200  # still logged in


def test_a_weak_new_password_is_reported_at_the_field_sent(api, users):
    response = api.post(
        f"/api/v1/users/{users['doctor_a'].id}/password",
        as_="admin",
        json={"new_password": "short"},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["body.new_password"]


# --- strict numbers -------------------------------------------------------------------------


def free_line_bill(**line) -> dict:
    item = {"description": "血压计袖带", "category": "C", "quantity": 1, "unit_price_fen": 500}
    return {"patient_id": 1, "visit_type": "outpatient", "items": [{**item, **line}]}


@pytest.mark.parametrize(
    "line, field",
    [
        ({"quantity": True}, "body.items.0.quantity"),
        ({"quantity": "2"}, "body.items.0.quantity"),
        ({"quantity": 1.0}, "body.items.0.quantity"),
        ({"unit_price_fen": False}, "body.items.0.unit_price_fen"),
    ],
)
def test_a_boolean_or_a_string_is_not_a_number_in_a_body(api, users, line, field):
    response = api.post(
        "/api/v1/settlements",
        as_="doctor_a",
        json=free_line_bill(**line),
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == [field]


def test_query_strings_are_text_and_still_parse_as_numbers(api, users):
    response = api.get("/api/v1/users?limit=2&offset=1", as_="admin")
    assert response.status_code == 200 and len(response.get_json()["items"]) == 2
    refused = api.get("/api/v1/users?limit=true", as_="admin")
    assert refused.status_code == 422


# --- bidirectional control characters -------------------------------------------------------


@pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u2066", "\u2069", "\u200f", "\u061c"])
def test_direction_controls_are_refused_with_the_field_path(api, users, control):
    before = api.get("/api/v1/patients", as_="doctor_a").get_json()["items"]
    body = {"name": f"张{control}三", "sex": "male", "birth_date": "1960-01-01"}
    response = api.post("/api/v1/patients", as_="doctor_a", json=body)
    assert response.status_code == 422
    (error,) = response.get_json()["errors"]
    assert error["field"] == "body.name" and error["code"] == "bidi_control"
    assert "方向" in error["message_zh"]
    assert api.get("/api/v1/patients", as_="doctor_a").get_json()["items"] == before


def test_direction_controls_are_refused_in_plain_text_fields_and_queries(api, users):
    csv = "external_ref,facility\n" + "a\u202eb,VA\n"
    imported = api.post("/api/v1/settlement-imports", as_="admin", json={"csv": csv})
    assert imported.status_code == 422
    assert imported.get_json()["errors"][0]["field"] == "body.csv"
    searched = api.get("/api/v1/audit-events?actor=ad\u202emin", as_="admin")
    assert searched.status_code == 422
    assert searched.get_json()["errors"][0]["field"] == "query.actor"


# --- the session cookie ---------------------------------------------------------------------


def session_cookie(response) -> str:
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if "gpassist_session=" in c]
    return cookie


def test_the_session_cookie_is_samesite_lax_and_http_only(client):
    cookie = session_cookie(client.get("/login"))  # the login form's CSRF token is in it
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert "Secure" not in cookie  # plain HTTP (tests, a clinic's LAN) unless configured


def test_the_session_cookie_is_secure_when_configured(tmp_path):
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-only-secret",
            "LOG_LEVEL": "WARNING",
            "SECURE_COOKIES": True,
        }
    )
    cookie = session_cookie(app.test_client().get("/login"))
    assert "Secure" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie
    app.extensions["gpassist.db"].dispose()
