"""The visit page's follow-up form (issue 14) and the today page's lists, in both languages."""

from __future__ import annotations

import json
import re

from tests.web.test_login import log_in
from tests.web.test_pages import patient_of_clinic_a  # noqa: F401  (fixture)


def page_strings(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="strings">(.*?)</script>', html, re.S)
    assert found
    return json.loads(found.group(1))


def test_the_form_and_the_classification_speak_chinese(client, users, patient_of_clinic_a):  # noqa: F811
    log_in(client, "doctor_a")
    page = client.get(f"/app/patients/{patient_of_clinic_a}").text
    for words in ("慢病随访", "保存随访", "摄盐情况", "服药依从性", "头痛头晕", "规律", "危急症状"):
        assert words in page, words
    assert 'src="/assets/js/followup-visit.js?v=' in page
    strings = page_strings(page)
    assert strings["classification_uncontrolled"] == "控制不满意"
    assert strings["classification_controlled"] == "控制满意"
    assert strings["classification_adverse_reaction"] == "不良反应"
    assert strings["classification_complication"] == "并发症"
    today = client.get("/app/today").text
    assert 'data-worklist="lost"' in today and 'id="annual-checks"' in today
    assert "失访" in today and "年度体检" in today


def test_the_form_and_the_classification_speak_english(client, users, patient_of_clinic_a):  # noqa: F811
    client.get("/lang/en")
    log_in(client, "doctor_a")
    page = client.get(f"/app/patients/{patient_of_clinic_a}").text
    for words in (
        "Chronic-disease follow-up",
        "Save follow-up",
        "Salt intake",
        "headache, dizziness",
    ):
        assert words in page, words
    assert page_strings(page)["classification_uncontrolled"] == "Not controlled"
    assert "Lost to follow-up" in client.get("/app/today").text
