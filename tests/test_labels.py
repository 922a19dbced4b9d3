"""Bilingual labels live on the enums: every member has both, the API keeps its codes and names,
and the pages show the label in the page's language."""

from __future__ import annotations

import re

from gpassist.auth.tables import Role
from gpassist.consult.states import ConsultState
from gpassist.labels import LabelledEnum, labelled_enums
from gpassist.pharmacy.states import OrderStatus
from gpassist.prescriptions.rules import Frequency
from tests.patients.test_patient_api import new_patient
from tests.web.test_login import log_in

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_member_of_every_labelled_enum_has_zh_and_en(app):
    # The app has imported every capability, so every labelled enum is defined by now.
    enums = labelled_enums()
    names = {cls.__name__ for cls in enums}
    assert names >= {
        "Role",
        "Sex",
        "FacilityKind",
        "FacilityLevel",
        "EnrolmentStatus",
        "OrderStatus",
        "Frequency",
        "LineSource",
        "Payer",
        "VisitType",
        "Level",
        "ConsultState",
        "Urgency",
        "ReferralStatus",
        "SettlementStatus",
    }
    for cls in enums:
        for member in cls:
            assert member.zh.strip() and CJK.search(member.zh), (cls.__name__, member)
            assert member.en.strip() and member.en.isascii(), (cls.__name__, member)
        # Two members with one label could not be told apart on a page.
        assert len({m.zh for m in cls}) == len(cls), cls.__name__
        assert len({m.en for m in cls}) == len(cls), cls.__name__


def test_a_member_is_its_code_and_carries_its_labels():
    assert Frequency("tid") is Frequency.tid and Frequency.tid == "tid"
    assert (Frequency.tid.zh, Frequency.tid.en) == ("每日 3 次", "Three times a day")
    assert Role.admin.label("en") == "Administrator" and Role.admin.label("zh") == "管理员"
    assert OrderStatus.picked.label("en-GB") == "Picked"
    assert isinstance(ConsultState.expired, LabelledEnum) and f"{ConsultState.expired}" == "expired"


def test_the_api_sends_the_code_and_the_labels(api, users):
    me = api.get("/api/v1/auth/me", as_="doctor_a").get_json()
    assert me["role"] == "village_doctor"
    assert me["role_name"] == {"zh": "村医", "en": "Village doctor"}
    overview = api.get("/api/v1/reports/overview", as_="admin").get_json()
    first = overview["by_payer"][0]
    assert first["payer"] == "basic_insurance"
    assert first["name"] == {
        "zh": "城乡居民基本医保",
        "en": "Basic medical insurance",
    }
    states = {c["code"]: c["name"] for c in overview["consultations_by_state"]}
    assert list(states) == [s.value for s in ConsultState]
    assert states["active"] == {"zh": "会诊中", "en": "In progress"}


def test_the_pages_show_the_labels_in_the_pages_language(client, api, users):
    created = api.post("/api/v1/patients", as_="doctor_a", json=new_patient(sex="female"))
    patient = created.get_json()["id"]
    log_in(client, "doctor_a")
    page = client.get(f"/app/patients/{patient}").text
    assert "<small>女 ·" in page and "村医" in page
    assert '<option value="qn">每晚 1 次</option>' in page
    assert '<option value="emergency">急诊</option>' in page

    client.get("/lang/en")
    page = client.get(f"/app/patients/{patient}").text
    assert "<small>Female ·" in page and "Village doctor" in page
    assert '<option value="tid">Three times a day</option>' in page
    strings = client.get("/app/today").text
    assert "Expired (nobody accepted)" in strings and "On the way" in strings
