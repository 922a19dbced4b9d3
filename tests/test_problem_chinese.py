"""Every refusal can be shown in plain Chinese: titles and field messages carry a ``_zh`` form."""

from __future__ import annotations

import pytest

from gpassist.messages_zh import chinese_message, field_label


@pytest.mark.parametrize(
    ("path", "kind", "ctx", "expected"),
    [
        ("body.vitals.sbp", "less_than_equal", {"le": 300}, "收缩压：不能大于 300"),
        ("body.name", "missing", None, "姓名：必须填写"),
        ("body.lines.2.days", "greater_than_equal", {"ge": 1}, "天数：不能小于 1"),
        (
            "body.birth_date",
            "date_from_datetime_parsing",
            {"error": "x"},
            "出生日期：日期格式不正确（年-月-日）",
        ),
        (
            "body.unknown_thing",
            "string_too_long",
            {"max_length": 5},
            "unknown_thing：最多 5 个字符",
        ),
    ],
)
def test_pydantic_errors_read_in_chinese(path, kind, ctx, expected):
    assert chinese_message(path, kind, ctx, "English") == expected


def test_our_own_rules_keep_their_explanation_under_a_chinese_label():
    assert chinese_message("body.vitals.dbp", "value_error", None, "dbp must be lower") == (
        "舒张压：dbp must be lower"
    )
    assert field_label("query.limit") == "limit"


def test_an_api_refusal_carries_chinese_title_and_field_messages(api):
    response = api.post(
        "/api/v1/patients", as_="doctor_a", json={"sex": "male", "birth_date": "1960-01-01"}
    )
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["title_zh"] == "填写的内容有误"
    assert problem["errors"][0]["message_zh"] == "姓名：必须填写"
    assert api.get("/api/v1/patients/99999", as_="doctor_a").get_json()["title_zh"]


def test_a_choice_among_an_enums_codes_is_listed_by_their_labels(api):
    response = api.post(
        "/api/v1/patients",
        as_="doctor_a",
        json={"name": "王五", "sex": "m", "birth_date": "1960-01-01"},
    )
    assert response.status_code == 422
    (error,) = response.get_json()["errors"]
    assert error["field"] == "body.sex"
    assert error["message_zh"] == "性别：只能是：男、女"
    assert (
        chinese_message("body.x", "enum", {"expected": "'a' or 'b'"}, "") == "x：只能是：'a' or 'b'"
    )
