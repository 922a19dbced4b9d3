"""Each role's pages: who may open which page, and what the server puts on it."""

from __future__ import annotations

import re

import pytest

from tests.patients.test_patient_api import new_patient
from tests.web.test_login import log_in


@pytest.fixture
def patient_of_clinic_a(api):
    body = new_patient(name="王小梅", drug_allergies=["青霉素"])
    response = api.post("/api/v1/patients", as_="doctor_a", json=body)
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_a_page_asks_for_login_and_returns_there_afterwards(client, users):
    response = client.get("/app/patients")
    assert (
        response.status_code == 302 and "/login?next=/app/patients" in response.headers["Location"]
    )
    after = log_in(client, "doctor_a", next="/app/patients")
    assert after.headers["Location"].endswith("/app/patients")


@pytest.mark.parametrize(
    ("username", "path", "lands_on"),
    [
        ("doctor_a", "/app/reports", "/app/today"),
        ("admin", "/app/today", "/app/reports"),
        ("pharmacist", "/app/patients", "/app/pharmacy"),
        ("specialist", "/app/reports", "/app/consult"),
    ],
)
def test_a_page_of_another_role_sends_the_user_to_their_own(
    client, users, username, path, lands_on
):
    log_in(client, username)
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(lands_on)


def test_the_visit_page_shows_the_patient_and_their_allergies(client, users, patient_of_clinic_a):
    log_in(client, "doctor_a")
    page = client.get(f"/app/patients/{patient_of_clinic_a}")
    assert page.status_code == 200
    assert "王小梅" in page.text
    assert "青霉素" in page.text and "药物过敏" in page.text


def test_another_clinics_patient_is_not_found_on_the_pages_either(
    client, users, patient_of_clinic_a
):
    log_in(client, "doctor_b")
    page = client.get(f"/app/patients/{patient_of_clinic_a}")
    assert page.status_code == 404
    assert "王小梅" not in page.text


def test_the_pages_speak_english_when_asked(client, users, patient_of_clinic_a):
    client.get("/lang/en")
    log_in(client, "doctor_a")
    page = client.get(f"/app/patients/{patient_of_clinic_a}")
    assert "Drug allergies" in page.text and "This visit" in page.text
    assert "Due today" in client.get("/app/today").text


@pytest.mark.parametrize("username", ["doctor_a", "specialist", "pharmacist", "admin"])
def test_every_menu_link_opens_for_the_role_that_sees_it(client, users, username):
    # The pharmacist once saw 用户与机构, which bounced back to the board.
    log_in(client, username)
    start = client.get("/app", follow_redirects=True)
    menu = re.search(r'<nav class="tabs".*?</nav>', start.text, re.S)
    assert menu is not None
    links = re.findall(r'href="([^"]+)"', menu.group(0))
    assert links
    for link in links:
        assert client.get(link).status_code == 200, (username, link)
    if username == "pharmacist":
        assert links == ["/app/pharmacy"]
