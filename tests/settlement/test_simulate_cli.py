"""`gpassist settlement simulate`: the command (in-process) on small case files."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import Result

from gpassist.settlement.policy import load_policy
from gpassist.settlement.simulate import run_cases
from tests.cli import gpassist

ROOT = Path(__file__).resolve().parents[2]
POLICY_FILE = ROOT / "clinics" / "demo-county" / "policies" / "settlement-2019.yaml"


def simulate(*args: str) -> Result:
    return gpassist("settlement", "simulate", *args)


def shares(basic=0, serious=0, assistance=0, sn180=0, sn351=0) -> dict[str, int]:
    return {
        "basic_insurance": basic,
        "serious_illness": serious,
        "medical_assistance": assistance,
        "safety_net_180": sn180,
        "safety_net_351": sn351,
    }


CASES = {
    "patients": {
        "p1": {"poor": True, "chronic": ["hypertension"]},
        "n1": {"poor": False, "chronic": []},
    },
    "bills": [
        # p1 chronic A 2 x 1250 = 2500: all in the deductible (2500 of 20 000) -> basic 0;
        # R 2500; S 2500 < 500 000 -> 0; assistance 50% = 1250; R 1250; 180 80% = 1000; R 250.
        {
            "id": "b1",
            "patient": "p1",
            "date": "2019-03-02",
            "visit_type": "chronic_outpatient",
            "hospital_level": "village",
            "items": [{"category": "A", "quantity": 2, "unit_price_fen": 1250}],
        },
        # unknown patient -> error
        {
            "id": "b2",
            "patient": "nobody",
            "date": "2019-03-03",
            "visit_type": "outpatient",
            "hospital_level": "village",
            "items": [{"category": "A", "quantity": 1, "unit_price_fen": 1000}],
        },
        # n1 outpatient A 101 (dated before b1, settled after it): 55% = 55.55 -> 56; R 45.
        {
            "id": "b3",
            "patient": "n1",
            "date": "2019-01-05",
            "visit_type": "outpatient",
            "hospital_level": "township",
            "items": [{"category": "A", "quantity": 1, "unit_price_fen": 101}],
        },
        # negative quantity -> error (and uses none of p1's deductible)
        {
            "id": "b4",
            "patient": "p1",
            "date": "2019-03-04",
            "visit_type": "chronic_outpatient",
            "hospital_level": "village",
            "items": [
                {"category": "A", "quantity": 1, "unit_price_fen": 17500},
                {"category": "A", "quantity": -1, "unit_price_fen": 100},
            ],
        },
        # before the policy is in force -> error
        {
            "id": "b5",
            "patient": "p1",
            "date": "2018-12-31",
            "visit_type": "chronic_outpatient",
            "hospital_level": "village",
            "items": [{"category": "A", "quantity": 1, "unit_price_fen": 1000}],
        },
        # p1 chronic A 18 000: 17 500 of the deductible left -> covered 500 -> 60% = 300;
        # R 17 700; S 20 200 -> 0; assistance 50% = 8850; R 8850; 180 80% = 7080; R 1770.
        {
            "id": "b6",
            "patient": "p1",
            "date": "2019-02-01",
            "visit_type": "chronic_outpatient",
            "hospital_level": "township",
            "items": [{"category": "A", "quantity": 1, "unit_price_fen": 18000}],
        },
    ],
}

EXPECTED_OK = {
    "b1": {
        "id": "b1",
        "total_fen": 2500,
        "eligible_fen": 2500,
        "payers": shares(assistance=1250, sn180=1000),
        "patient_fen": 250,
    },
    "b3": {
        "id": "b3",
        "total_fen": 101,
        "eligible_fen": 101,
        "payers": shares(basic=56),
        "patient_fen": 45,
    },
    "b6": {
        "id": "b6",
        "total_fen": 18000,
        "eligible_fen": 18000,
        "payers": shares(basic=300, assistance=8850, sn180=7080),
        "patient_fen": 1770,
    },
}


def test_simulate_prints_one_object_per_bill_in_input_order(tmp_path: Path) -> None:
    cases_file = tmp_path / "cases.json"
    cases_file.write_text(json.dumps(CASES), encoding="utf-8")
    result = simulate("--policy", str(POLICY_FILE), "--cases", str(cases_file))
    assert result.exit_code == 0, result.stdout + result.stderr
    printed = json.loads(result.stdout)
    assert isinstance(printed, list)
    assert [r["id"] for r in printed] == ["b1", "b2", "b3", "b4", "b5", "b6"]
    for r in printed:
        if r["id"] in EXPECTED_OK:
            assert r == EXPECTED_OK[r["id"]]
        else:
            assert set(r) == {"id", "error"}, r
            assert isinstance(r["error"], str) and r["error"].strip()
    # The CLI prints exactly what run_cases returns.
    assert printed == run_cases([load_policy(POLICY_FILE)], CASES)


def test_simulate_rejects_a_file_that_is_not_json(tmp_path: Path) -> None:
    cases_file = tmp_path / "cases.json"
    cases_file.write_text('{"patients": {}, "bills": [', encoding="utf-8")
    result = simulate("--policy", str(POLICY_FILE), "--cases", str(cases_file))
    assert result.exit_code != 0
    assert result.stdout.strip() == ""
    message = result.stderr.strip()
    assert message
    assert "Traceback" not in message, message


def test_simulate_rejects_a_missing_cases_file(tmp_path: Path) -> None:
    result = simulate("--policy", str(POLICY_FILE), "--cases", str(tmp_path / "absent.json"))
    assert result.exit_code != 0
    assert result.stderr.strip() and "Traceback" not in result.stderr


def test_simulate_rejects_a_policy_file_that_is_not_yaml(tmp_path: Path) -> None:
    cases_file = tmp_path / "cases.json"
    cases_file.write_text(json.dumps(CASES), encoding="utf-8")
    policy_file = tmp_path / "broken.yaml"
    policy_file.write_text("effective_from: [2019-01-01\n  : : :\n", encoding="utf-8")
    result = simulate("--policy", str(policy_file), "--cases", str(cases_file))
    assert result.exit_code != 0
    assert result.stderr.strip() and "Traceback" not in result.stderr, result.stderr
