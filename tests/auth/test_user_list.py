"""The administrators' user list: found by part of a name, username or clinic, each user with
whether their login is locked now (so 解锁 is offered only where it does something)."""

from __future__ import annotations

from tests.auth.test_tokens import login


def listed(api, query: str = "") -> list[dict]:
    response = api.get(f"/api/v1/users?limit=500{query}", as_="admin")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def test_users_carry_their_lock_state_and_lose_it_when_unlocked(client, api, users, app):
    assert all(u["locked_until"] is None for u in listed(api))
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, "doctor_b", "wrong password!")
    locked = [u["username"] for u in listed(api) if u["locked_until"]]
    assert locked == ["doctor_b"]
    assert [u["username"] for u in listed(api, "&locked=true")] == ["doctor_b"]
    assert "doctor_b" not in [u["username"] for u in listed(api, "&locked=false")]
    api.post(f"/api/v1/users/{users['doctor_b'].id}/unlock", as_="admin")
    assert listed(api, "&locked=true") == []


def test_search_by_username_name_clinic_code_or_clinic_name(api, users):
    everyone = listed(api)
    doctor = next(u for u in everyone if u["username"] == "doctor_a")
    assert doctor["clinic_name"]["zh"] and doctor["clinic_code"]
    assert [u["username"] for u in listed(api, "&q=DOCTOR_A")] == ["doctor_a", "doctor_a2"]
    by_code = [u["username"] for u in listed(api, f"&q={doctor['clinic_code'].lower()}")]
    assert "doctor_a" in by_code and "pharmacist" not in by_code
    by_name = [u["username"] for u in listed(api, f"&q={doctor['clinic_name']['zh']}")]
    assert "doctor_a" in by_name and "admin" not in by_name
    assert listed(api, "&q=nobody-is-called-this") == []
    assert api.get("/api/v1/users?q=x", as_="doctor_a").status_code == 403
