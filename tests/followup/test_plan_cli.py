"""``gpassist followup plan --cases FILE`` (issue 4): the command (in-process), and plan() itself.

One object per visit in input order; a visit without the reading its program needs gets an
``error`` naming the field, is not a follow-up (the next visit's "previous" skips it), and the
rest of the file goes on. A file that is not valid JSON or has unknown fields is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from gpassist.followup.plan import Cases, plan
from tests.cli import gpassist

RESULT_KEYS = {
    "patient",
    "date",
    "classification",
    "urgent_referral",
    "referral",
    "reasons",
    "next_due",
}


def visit(date: str, **readings: Any) -> dict[str, Any]:
    """A visit as the issue's example writes it; readings not given are null."""
    return {
        "date": date,
        "sbp": None,
        "dbp": None,
        "fasting_glucose": None,
        "heart_rate": None,
        "temperature": None,
        "adverse_reaction": False,
        "new_complication": False,
        "symptoms": [],
        **readings,
    }


def patient(pid: str, program: str, age: int, *visits: dict[str, Any]) -> dict[str, Any]:
    return {"id": pid, "program": program, "age": age, "visits": list(visits)}


def run_plan(*patients: dict[str, Any]) -> list[dict[str, Any]]:
    return plan(Cases.model_validate({"patients": list(patients)}))


def run_cli(tmp_path: Path, text: str) -> Result:
    cases = tmp_path / "cases.json"
    cases.write_text(text, encoding="utf-8")
    return gpassist("followup", "plan", "--cases", str(cases))


# --- the real command ------------------------------------------------------------------------

VILLAGE = {
    "patients": [
        patient(
            "张桂兰",
            "hypertension",
            67,
            visit("2019-01-10", sbp=150, dbp=92, heart_rate=80, temperature=36.6),
            visit("2019-01-24", dbp=95),  # no SBP: refused, not a follow-up
            visit("2019-02-07", sbp=156, dbp=94),  # uncontrolled twice in a row → referral
        ),
        patient(
            "p2",
            "diabetes",
            58,
            visit("2019-11-30", fasting_glucose=6.2),
            visit("2020-02-29", fasting_glucose=17.0, symptoms=["polyuria"]),
        ),
        patient("p3", "hypertension", 64, visit("2019-01-31", sbp=145, dbp=85)),
    ]
}


def test_cli_plans_a_village_in_input_order(tmp_path):
    result = run_cli(tmp_path, json.dumps(VILLAGE, ensure_ascii=False))
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)

    expected_order = [(p["id"], v["date"]) for p in VILLAGE["patients"] for v in p["visits"]]
    assert [(o["patient"], o["date"]) for o in out] == expected_order

    first, refused, third, p2_first, p2_second, p3 = out

    # 150/92 at 67: uncontrolled, first follow-up, no referral, back in 14 days
    assert set(first) == RESULT_KEYS
    assert first["classification"] == "uncontrolled"
    assert first["urgent_referral"] is False
    assert first["referral"] is False
    assert first["next_due"] == "2019-01-24"

    assert set(refused) == {"patient", "date", "error"}
    assert "sbp" in refused["error"]

    # previous is the 10 January follow-up, not the refused visit
    assert third["classification"] == "uncontrolled"
    assert third["referral"] is True
    assert third["urgent_referral"] is False
    assert third["reasons"]
    assert third["next_due"] == "2019-02-21"

    assert p2_first["classification"] == "controlled"
    assert p2_first["referral"] is False and p2_first["urgent_referral"] is False
    assert p2_first["next_due"] == "2020-02-29"

    assert p2_second["classification"] == "uncontrolled"
    assert p2_second["urgent_referral"] is True
    assert p2_second["referral"] is False  # urgent, but the previous follow-up was controlled
    assert p2_second["next_due"] == "2020-03-14"

    # 145/85 at 64 is above the under-65 target
    assert p3["classification"] == "uncontrolled"
    assert p3["next_due"] == "2019-02-14"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("{not json", None),
        ("", None),
        ('{"patients": [', None),
        (json.dumps({"patients": [], "clinic": "v01"}), "clinic"),
        (
            json.dumps({"patients": [{**patient("p1", "hypertension", 50), "sex": "F"}]}),
            "sex",
        ),
        (
            json.dumps(
                {"patients": [patient("p1", "hypertension", 50, visit("2019-01-10", sbpp=150))]}
            ),
            "sbpp",
        ),
        (json.dumps({"patient": []}), "patient"),
    ],
)
def test_cli_refuses_a_bad_file_with_a_message(tmp_path, text, named):
    result = run_cli(tmp_path, text)
    assert result.exit_code != 0
    assert result.stderr.strip()
    if named:
        assert named in result.stderr
    with pytest.raises(ValueError):
        json.loads(result.stdout)


def test_cli_missing_file_is_refused(tmp_path):
    result = gpassist("followup", "plan", "--cases", str(tmp_path / "absent.json"))
    assert result.exit_code != 0
    assert "absent.json" in result.stderr


# --- plan() ----------------------------------------------------------------------------------


def test_output_follows_input_order_across_patients_and_visits():
    out = run_plan(
        patient("b", "diabetes", 50, visit("2019-03-01", fasting_glucose=6.0)),
        patient(
            "a",
            "hypertension",
            50,
            visit("2019-05-01", sbp=130, dbp=80),
            visit("2019-02-01", sbp=130, dbp=80),
        ),
    )
    assert [(o["patient"], o["date"]) for o in out] == [
        ("b", "2019-03-01"),
        ("a", "2019-05-01"),
        ("a", "2019-02-01"),
    ]


def test_previous_means_previous_in_time_not_in_the_file():
    # Entered newest first: the referral belongs to the later visit, the first in the file.
    out = run_plan(
        patient(
            "p1",
            "hypertension",
            50,
            visit("2019-04-10", sbp=150, dbp=95),
            visit("2019-01-10", sbp=150, dbp=95),
        )
    )
    assert [o["date"] for o in out] == ["2019-04-10", "2019-01-10"]
    assert out[0]["referral"] is True
    assert out[1]["referral"] is False


@pytest.mark.parametrize(
    ("program", "readings", "field"),
    [
        ("hypertension", {"dbp": 85}, "sbp"),
        ("hypertension", {"sbp": 150}, "dbp"),
        ("hypertension", {"fasting_glucose": 6.0}, None),
        ("diabetes", {"sbp": 130, "dbp": 80}, "fasting_glucose"),
        ("diabetes", {}, "fasting_glucose"),
    ],
)
def test_missing_required_reading_gets_an_error_naming_it(program, readings, field):
    out = run_plan(
        patient("p1", program, 50, visit("2019-01-10", **readings)),
        patient("p2", "hypertension", 50, visit("2019-01-10", sbp=120, dbp=75)),
    )
    refused, other = out
    assert set(refused) == {"patient", "date", "error"}
    assert refused["patient"] == "p1"
    assert refused["date"] == "2019-01-10"
    if field:
        assert field in refused["error"]
    else:
        assert "sbp" in refused["error"] or "dbp" in refused["error"]
    # the rest of the file goes on
    assert other["classification"] == "controlled"
    assert other["next_due"] == "2019-04-10"


@pytest.mark.parametrize(
    ("program", "readings", "referred"),
    [
        # uncontrolled, refused, uncontrolled: the refused visit is skipped → two in a row
        (
            "hypertension",
            [{"sbp": 150, "dbp": 95}, {"dbp": 95}, {"sbp": 150, "dbp": 95}],
            True,
        ),
        (
            "diabetes",
            [{"fasting_glucose": 8.0}, {}, {"fasting_glucose": 8.0}],
            True,
        ),
        # controlled, refused, uncontrolled: previous is the controlled one
        (
            "hypertension",
            [{"sbp": 130, "dbp": 80}, {"sbp": 150}, {"sbp": 150, "dbp": 95}],
            False,
        ),
        # several refused visits in between are all skipped
        (
            "diabetes",
            [{"fasting_glucose": 9.0}, {}, {"sbp": 200, "dbp": 100}, {"fasting_glucose": 9.0}],
            True,
        ),
        # uncontrolled, refused, controlled, uncontrolled: previous is the controlled one
        (
            "hypertension",
            [
                {"sbp": 150, "dbp": 95},
                {"dbp": 95},
                {"sbp": 130, "dbp": 80},
                {"sbp": 150, "dbp": 95},
            ],
            False,
        ),
    ],
)
def test_previous_follow_up_skips_refused_visits(program, readings, referred):
    dates = ["2019-01-10", "2019-01-24", "2019-02-07", "2019-02-21"]
    out = run_plan(
        patient("p1", program, 50, *(visit(d, **r) for d, r in zip(dates, readings, strict=False)))
    )
    last = out[-1]
    assert last["classification"] == "uncontrolled"
    assert last["referral"] is referred
    required = {"hypertension": ("sbp", "dbp"), "diabetes": ("fasting_glucose",)}[program]
    refused = [any(name not in r for name in required) for r in readings]
    assert ["error" in o for o in out] == refused


def test_first_uncontrolled_visit_is_not_referred_and_second_is():
    out = run_plan(
        patient(
            "p1",
            "hypertension",
            70,
            visit("2019-01-10", sbp=150, dbp=85),
            visit("2019-01-24", sbp=152, dbp=85),
            visit("2019-02-07", sbp=155, dbp=88),
        )
    )
    assert [o["classification"] for o in out] == ["uncontrolled"] * 3
    assert [o["referral"] for o in out] == [False, True, True]
    assert [o["urgent_referral"] for o in out] == [False, False, False]


def test_previous_is_per_program_for_a_patient_in_both():
    out = run_plan(
        patient("p1", "hypertension", 60, visit("2019-01-10", sbp=160, dbp=95)),
        patient("p1", "diabetes", 60, visit("2019-01-24", fasting_glucose=9.0)),
    )
    assert [o["classification"] for o in out] == ["uncontrolled", "uncontrolled"]
    assert [o["referral"] for o in out] == [False, False]


def test_previous_does_not_leak_between_patients():
    out = run_plan(
        patient("p1", "diabetes", 60, visit("2019-01-10", fasting_glucose=9.0)),
        patient("p2", "diabetes", 60, visit("2019-01-24", fasting_glucose=9.0)),
    )
    assert [o["referral"] for o in out] == [False, False]


@pytest.mark.parametrize(
    ("age", "sbp", "classification", "next_due"),
    [
        (64, 139, "controlled", "2019-04-10"),
        (64, 140, "uncontrolled", "2019-01-24"),
        (65, 149, "controlled", "2019-04-10"),
        (65, 150, "uncontrolled", "2019-01-24"),
    ],
)
def test_age_applies_at_every_visit(age, sbp, classification, next_due):
    out = run_plan(
        patient(
            "p1",
            "hypertension",
            age,
            visit("2019-01-10", sbp=sbp, dbp=85),
            visit("2019-01-10", sbp=sbp, dbp=85),
        )
    )
    assert [o["classification"] for o in out] == [classification] * 2
    assert out[0]["next_due"] == next_due


@pytest.mark.parametrize(
    ("program", "readings", "symptoms", "urgent"),
    [
        ("hypertension", {"sbp": 142, "dbp": 85}, ["pregnancy"], True),
        ("hypertension", {"sbp": 130, "dbp": 90}, ["lactation"], True),
        ("hypertension", {"sbp": 139, "dbp": 89}, ["pregnancy"], False),
        ("hypertension", {"sbp": 130, "dbp": 80}, ["eye_pain"], True),
        ("hypertension", {"sbp": 130, "dbp": 80}, ["polyuria"], False),
        ("diabetes", {"fasting_glucose": 7.0}, ["pregnancy"], True),
        ("diabetes", {"fasting_glucose": 6.9}, ["lactation"], False),
        ("diabetes", {"fasting_glucose": 6.0}, ["eye_pain"], False),
        ("diabetes", {"fasting_glucose": 6.0}, ["severe_headache"], False),
        ("diabetes", {"fasting_glucose": 6.0}, ["acetone_breath"], True),
        ("diabetes", {"fasting_glucose": 3.9}, [], True),
        ("diabetes", {"fasting_glucose": 16.7}, [], True),
        ("diabetes", {"fasting_glucose": 16.6}, [], False),
        ("diabetes", {"fasting_glucose": 6.0, "heart_rate": 101}, [], True),
        ("diabetes", {"fasting_glucose": 6.0, "temperature": 39.1}, [], True),
        ("diabetes", {"fasting_glucose": 6.0, "sbp": 180, "dbp": 90}, [], True),
        ("hypertension", {"sbp": 179, "dbp": 109}, [], False),
        ("hypertension", {"sbp": 180, "dbp": 80}, [], True),
        ("hypertension", {"sbp": 130, "dbp": 110}, [], True),
    ],
)
def test_urgent_referral_through_the_plan(program, readings, symptoms, urgent):
    out = run_plan(patient("p1", program, 40, visit("2019-01-10", symptoms=symptoms, **readings)))
    (result,) = out
    assert result["urgent_referral"] is urgent
    if urgent:
        assert result["reasons"]
        assert result["next_due"] == "2019-01-24"


def test_absent_optional_readings_count_as_normal():
    out = run_plan(
        patient("p1", "diabetes", 50, visit("2019-01-10", fasting_glucose=6.5)),
        patient("p2", "hypertension", 50, visit("2019-01-10", sbp=135, dbp=85)),
    )
    for result in out:
        assert set(result) == RESULT_KEYS
        assert result["classification"] == "controlled"
        assert result["urgent_referral"] is False
        assert result["referral"] is False
        assert result["reasons"] == []
        assert result["next_due"] == "2019-04-10"


def test_visit_with_only_date_and_required_readings_is_accepted():
    cases = {
        "patients": [
            patient("p1", "hypertension", 50, {"date": "2019-01-10", "sbp": 130, "dbp": 80})
        ]
    }
    (result,) = plan(Cases.model_validate(cases))
    assert result["classification"] == "controlled"


@pytest.mark.parametrize(
    ("date", "next_due"),
    [
        ("2019-11-30", "2020-02-29"),
        ("2018-11-30", "2019-02-28"),
        ("2019-01-31", "2019-04-30"),
        ("2019-12-31", "2020-03-31"),
    ],
)
def test_month_end_due_dates_through_the_plan(date, next_due):
    out = run_plan(
        patient("p1", "hypertension", 50, visit(date, sbp=120, dbp=80)),
        patient("p2", "diabetes", 50, visit(date, fasting_glucose=5.5)),
    )
    assert [o["next_due"] for o in out] == [next_due, next_due]


@pytest.mark.parametrize(
    ("flags", "classification", "referral"),
    [
        ({"new_complication": True, "adverse_reaction": True}, "complication", True),
        ({"adverse_reaction": True}, "adverse_reaction", False),
        ({"new_complication": True}, "complication", True),
    ],
)
def test_priority_and_referral_through_the_plan(flags, classification, referral):
    out = run_plan(patient("p1", "hypertension", 50, visit("2019-01-10", sbp=150, dbp=95, **flags)))
    (result,) = out
    assert result["classification"] == classification
    assert result["referral"] is referral
    assert result["urgent_referral"] is False
    assert result["next_due"] == "2019-01-24"


def test_output_is_plain_json():
    out = run_plan(
        patient(
            "p1",
            "hypertension",
            50,
            visit("2019-01-10", sbp=185, dbp=95, new_complication=True),
            visit("2019-01-24"),
        )
    )
    assert json.loads(json.dumps(out)) == out


def test_visits_with_impossible_readings_or_unknown_symptoms_are_skipped_as_previous():
    """A typo (SBP 15, an unknown symptom) is refused naming the field and is not a follow-up:
    the uncontrolled visit after it is compared with the controlled one before it."""
    dates = ["2019-01-10", "2019-01-24", "2019-02-07", "2019-02-21"]
    readings = [
        {"sbp": 130, "dbp": 80},
        {"sbp": 15, "dbp": 95},
        {"sbp": 150, "dbp": 95, "symptoms": ["not_a_symptom"]},
        {"sbp": 150, "dbp": 95},
    ]
    out = run_plan(
        patient(
            "p1", "hypertension", 50, *(visit(d, **r) for d, r in zip(dates, readings, strict=True))
        )
    )
    assert "sbp" in out[1]["error"]
    assert "symptoms" in out[2]["error"]
    assert out[3]["classification"] == "uncontrolled"
    assert out[3]["referral"] is False
