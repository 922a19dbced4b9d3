"""The payer chain of the demo county's 2019 policy (issue 5), checked against the spec.

Every expected number below was worked out by hand from the spec, and the arithmetic is in the
comment next to it. All amounts are fen (1 yuan = 100 fen). Notation: E = eligible total,
R = what is still unpaid of E after the payers so far, S = the serious-illness accumulator,
P = the poor patient's own inpatient share (safety net 351). "55% x 30 = 16.5 -> 17" means the
share is rounded half up to the whole fen at that step.

Caps and thresholds in fen: basic outpatient 40 000 / chronic 300 000 / inpatient 30 000 000 a
year; chronic deductible 20 000; inpatient deductible 20 000 / 50 000 / 80 000 / 120 000 at
township / county / city / province; serious illness threshold 500 000 (poor) / 1 500 000
(others); medical assistance 1 000 000 a year; 351 caps 300 000 (township, county), 500 000
(city), 1 000 000 (province).

The property tests at the end drive random bill sequences through the engine and check the
invariants (shares add up, caps hold, who may receive what), plus the safety-net-351 and serious
illness formulas recomputed from the engine's own output.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpassist.settlement.policy import load_policy
from gpassist.settlement.simulate import run_cases

ROOT = Path(__file__).resolve().parents[2]
POLICY_FILE = ROOT / "clinics" / "demo-county" / "policies" / "settlement-2019.yaml"

PAYERS = (
    "basic_insurance",
    "serious_illness",
    "medical_assistance",
    "safety_net_180",
    "safety_net_351",
)

POOR = {"poor": True, "chronic": ["hypertension"]}
POOR_NOT_CHRONIC = {"poor": True, "chronic": []}
NOT_POOR = {"poor": False, "chronic": ["diabetes"]}
NOT_POOR_NOT_CHRONIC = {"poor": False, "chronic": []}


@pytest.fixture(scope="module")
def policies() -> list[Any]:
    return [load_policy(POLICY_FILE)]


# --- helpers ---------------------------------------------------------------------------------


def item(category: str, quantity: int, unit_price_fen: int) -> dict[str, Any]:
    return {"category": category, "quantity": quantity, "unit_price_fen": unit_price_fen}


def bill(
    bill_id: str, patient: str, date: str, visit_type: str, level: str, *items: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": bill_id,
        "patient": patient,
        "date": date,
        "visit_type": visit_type,
        "hospital_level": level,
        "items": list(items),
    }


def ok(
    bill_id: str,
    total: int,
    eligible: int,
    patient: int,
    *,
    basic: int = 0,
    serious: int = 0,
    assistance: int = 0,
    sn180: int = 0,
    sn351: int = 0,
) -> dict[str, Any]:
    """The expected output object of a settled bill (checks that the hand arithmetic adds up)."""
    assert basic + serious + assistance + sn180 + sn351 + patient == total, f"hand sum {bill_id}"
    return {
        "id": bill_id,
        "total_fen": total,
        "eligible_fen": eligible,
        "payers": {
            "basic_insurance": basic,
            "serious_illness": serious,
            "medical_assistance": assistance,
            "safety_net_180": sn180,
            "safety_net_351": sn351,
        },
        "patient_fen": patient,
    }


def settle(policies: list[Any], patients: dict[str, Any], bills: list[dict]) -> list[dict]:
    return run_cases(policies, {"patients": patients, "bills": bills})


def assert_settled(got: list[dict], expected: list[dict]) -> None:
    assert [g.get("id") for g in got] == [e["id"] for e in expected]
    for g, e in zip(got, expected, strict=True):
        assert g == e, f"bill {e['id']}"


def assert_error(result: dict, bill_id: str) -> None:
    assert set(result) == {"id", "error"}, result
    assert result["id"] == bill_id
    assert isinstance(result["error"], str) and result["error"].strip()


# --- 1. line items ---------------------------------------------------------------------------


def test_categories_a_b_c_and_b_self_pay_rounded_per_line(policies) -> None:
    # Non-poor outpatient at the village.
    # A 1 x 1000 = 1000, all eligible.
    # B 5 x 5 = 25 (the line, not the unit): self-pay 10% x 25 = 2.5 -> 3, eligible 22.
    # B 1 x 25 = 25: self-pay 3, eligible 22 (rounded per line: 3 + 3 = 6, not 10% x 50 = 5).
    # C 3 x 100 = 300, nothing eligible.
    # total = 1000 + 25 + 25 + 300 = 1350; E = 1000 + 22 + 22 = 1044.
    # basic outpatient 55% x 1044 = 574.2 -> 574; R = 1044 - 574 = 470.
    # patient = 470 + (1350 - 1044 = 306) = 776.
    bills = [
        bill(
            "b1",
            "n",
            "2019-03-02",
            "outpatient",
            "village",
            item("A", 1, 1000),
            item("B", 5, 5),
            item("B", 1, 25),
            item("C", 3, 100),
        )
    ]
    got = settle(policies, {"n": NOT_POOR}, bills)
    assert_settled(got, [ok("b1", 1350, 1044, 776, basic=574)])


def test_example_from_the_issue(policies) -> None:
    # Poor, chronic: chronic outpatient at the village, A 2 x 1250 = 2500 = E.
    # basic chronic: the whole 2500 fills the deductible (20 000 left) -> covered 0 -> 0; R 2500.
    # serious illness: S 0 + 2500 - 500 000 < 0 -> 0; S = 2500.
    # assistance 50% x 2500 = 1250; R 1250. 180: 80% x 1250 = 1000; R 250. patient 250.
    bills = [bill("b1", "p1", "2019-03-02", "chronic_outpatient", "village", item("A", 2, 1250))]
    got = settle(policies, {"p1": POOR}, bills)
    assert_settled(got, [ok("b1", 2500, 2500, 250, assistance=1250, sn180=1000)])


def test_category_c_only_bill_is_all_patient(policies) -> None:
    # C 2 x 700 = 1400, E = 0, every payer takes a share of 0; patient 1400.
    bills = [bill("b1", "p", "2019-05-01", "inpatient", "county", item("C", 2, 700))]
    got = settle(policies, {"p": POOR}, bills)
    assert_settled(got, [ok("b1", 1400, 0, 1400)])


# --- rounding: half up at every step -----------------------------------------------------------


def test_half_up_rounding_at_each_step(policies) -> None:
    patients = {
        "n": NOT_POOR_NOT_CHRONIC,
        "q": POOR_NOT_CHRONIC,
        "c": POOR,
        "t": NOT_POOR_NOT_CHRONIC,
        "v": NOT_POOR_NOT_CHRONIC,
        "y": NOT_POOR_NOT_CHRONIC,
        "i": POOR_NOT_CHRONIC,
    }
    bills = [
        # n, outpatient A 101: 55% x 101 = 55.55 -> 56; R 45.
        bill("n1", "n", "2019-02-01", "outpatient", "village", item("A", 1, 101)),
        # n, outpatient A 30: 55% x 30 = 16.5 -> 17 (half up, not to even: 16); R 13.
        bill("n2", "n", "2019-02-02", "outpatient", "township", item("A", 1, 30)),
        # n, outpatient B 1 x 5: self 10% x 5 = 0.5 -> 1, E 4; 55% x 4 = 2.2 -> 2; R 2;
        # patient 2 + 1 = 3.
        bill("n3", "n", "2019-02-03", "outpatient", "village", item("B", 1, 5)),
        # q (poor), outpatient A 30: basic 17, R 13; assistance 50% x 13 = 6.5 -> 7; R 6.
        bill("q1", "q", "2019-02-01", "outpatient", "village", item("A", 1, 30)),
        # c (poor, chronic), chronic A 20 003: deductible takes 20 000, covered 3,
        # 60% x 3 = 1.8 -> 2; R 20 001. S: 20 001 < 500 000 -> 0.
        # assistance 50% x 20 001 = 10 000.5 -> 10 001; R 10 000. 180: 80% -> 8000; R 2000.
        bill("c1", "c", "2019-02-01", "chronic_outpatient", "village", item("A", 1, 20003)),
        # t, inpatient township A 20 010: deductible 20 000, covered 10, 85% x 10 = 8.5 -> 9;
        # R 20 001.
        bill("t1", "t", "2019-02-01", "inpatient", "township", item("A", 1, 20010)),
        # v, inpatient province A 120 010: deductible 120 000, covered 10, 65% = 6.5 -> 7;
        # R 120 003.
        bill("v1", "v", "2019-02-01", "inpatient", "province", item("A", 1, 120010)),
        # y, inpatient city A 80 015: deductible 80 000, covered 15, 70% = 10.5 -> 11; R 80 004.
        bill("y1", "y", "2019-02-01", "inpatient", "city", item("A", 1, 80015)),
        # i (poor), inpatient township A 15: all 15 in the deductible -> basic 0; R 15;
        # S 15 -> serious 0; assistance 70% x 15 = 10.5 -> 11; R 4; 351: 0 + 4 < 300 000 -> 0.
        bill("i1", "i", "2019-02-01", "inpatient", "township", item("A", 1, 15)),
    ]
    got = settle(policies, patients, bills)
    assert_settled(
        got,
        [
            ok("n1", 101, 101, 45, basic=56),
            ok("n2", 30, 30, 13, basic=17),
            ok("n3", 5, 4, 3, basic=2),
            ok("q1", 30, 30, 6, basic=17, assistance=7),
            ok("c1", 20003, 20003, 2000, basic=2, assistance=10001, sn180=8000),
            ok("t1", 20010, 20010, 20001, basic=9),
            ok("v1", 120010, 120010, 120003, basic=7),
            ok("y1", 80015, 80015, 80004, basic=11),
            ok("i1", 15, 15, 4, assistance=11),
        ],
    )


# --- 2. basic insurance ----------------------------------------------------------------------


def test_outpatient_cap_crossed_inside_one_bill_and_separate_from_chronic(policies) -> None:
    # Non-poor (chronic).
    # b1 outpatient A 70 000: 55% = 38 500 (used 38 500 of 40 000); R 31 500.
    # b2 outpatient A 10 000: 55% = 5500 but only 1500 left -> 1500; R 8500.
    # b3 outpatient A 1000: cap reached -> 0; R 1000.
    # b4 chronic A 30 000: its own cap and deductible: deductible 20 000, covered 10 000,
    #    60% = 6000; R 24 000; S 24 000 < 1 500 000 -> 0. patient 24 000.
    bills = [
        bill("b1", "n", "2019-01-10", "outpatient", "village", item("A", 1, 70000)),
        bill("b2", "n", "2019-01-11", "outpatient", "township", item("A", 1, 10000)),
        bill("b3", "n", "2019-01-12", "outpatient", "village", item("A", 1, 1000)),
        bill("b4", "n", "2019-01-13", "chronic_outpatient", "village", item("A", 1, 30000)),
    ]
    got = settle(policies, {"n": NOT_POOR}, bills)
    assert_settled(
        got,
        [
            ok("b1", 70000, 70000, 31500, basic=38500),
            ok("b2", 10000, 10000, 8500, basic=1500),
            ok("b3", 1000, 1000, 1000),
            ok("b4", 30000, 30000, 24000, basic=6000),
        ],
    )


def test_chronic_deductible_half_used(policies) -> None:
    # Non-poor (chronic), chronic outpatient at the village.
    # b1 100 yuan = 10 000: fills 10 000 of the 20 000 deductible; covered 0 -> basic 0;
    #    R 10 000; serious: 10 000 < 1 500 000 -> 0 (S 10 000). patient 10 000.
    # b2 150 yuan = 15 000: 10 000 left of the deductible -> covered 5000 -> 60% = 3000;
    #    R 12 000; S 22 000 -> 0. patient 12 000.
    # b3 50 yuan = 5000: deductible used up -> covered 5000 -> 3000; R 2000.
    bills = [
        bill("b1", "n", "2019-04-01", "chronic_outpatient", "village", item("A", 1, 10000)),
        bill("b2", "n", "2019-04-15", "chronic_outpatient", "township", item("A", 1, 15000)),
        bill("b3", "n", "2019-05-01", "chronic_outpatient", "county", item("A", 1, 5000)),
    ]
    got = settle(policies, {"n": NOT_POOR}, bills)
    assert_settled(
        got,
        [
            ok("b1", 10000, 10000, 10000),
            ok("b2", 15000, 15000, 12000, basic=3000),
            ok("b3", 5000, 5000, 2000, basic=3000),
        ],
    )


def test_chronic_deductible_stays_in_r_for_the_payers_below(policies) -> None:
    # Poor (chronic).
    # b1 chronic A 10 000: all in the deductible (10 000 of 20 000 used) -> basic 0; R 10 000.
    #    serious: 10 000 < 500 000 -> 0; S 10 000. assistance 50% = 5000; R 5000.
    #    180: 80% x 5000 = 4000; R 1000. patient 1000.
    # b2 chronic A 30 000 + C 500: total 30 500, E 30 000. deductible 10 000 left -> covered
    #    20 000 -> 60% = 12 000; R 18 000. serious: 10 000 + 18 000 < 500 000 -> 0; S 28 000.
    #    assistance 50% = 9000 (used 14 000); R 9000. 180: 80% = 7200; R 1800.
    #    patient 1800 + 500 = 2300.
    bills = [
        bill("b1", "p", "2019-06-01", "chronic_outpatient", "village", item("A", 1, 10000)),
        bill(
            "b2",
            "p",
            "2019-06-02",
            "chronic_outpatient",
            "village",
            item("A", 1, 30000),
            item("C", 1, 500),
        ),
    ]
    got = settle(policies, {"p": POOR}, bills)
    assert_settled(
        got,
        [
            ok("b1", 10000, 10000, 1000, assistance=5000, sn180=4000),
            ok("b2", 30500, 30000, 2300, basic=12000, assistance=9000, sn180=7200),
        ],
    )


def test_chronic_cap_crossed_inside_one_bill(policies) -> None:
    # Non-poor (chronic).
    # b1 chronic A 500 000: deductible 20 000, covered 480 000, 60% = 288 000; R 212 000.
    #    serious: 212 000 < 1 500 000 -> 0; S 212 000.
    # b2 chronic A 100 000: covered 100 000, 60% = 60 000, but 300 000 - 288 000 = 12 000
    #    left -> 12 000; R 88 000; S 300 000 -> 0.
    # b3 chronic A 1000: cap reached -> 0; R 1000; S 301 000 -> 0.
    bills = [
        bill("b1", "n", "2019-07-01", "chronic_outpatient", "county", item("A", 1, 500000)),
        bill("b2", "n", "2019-07-02", "chronic_outpatient", "county", item("A", 1, 100000)),
        bill("b3", "n", "2019-07-03", "chronic_outpatient", "village", item("A", 1, 1000)),
    ]
    got = settle(policies, {"n": NOT_POOR}, bills)
    assert_settled(
        got,
        [
            ok("b1", 500000, 500000, 212000, basic=288000),
            ok("b2", 100000, 100000, 88000, basic=12000),
            ok("b3", 1000, 1000, 1000),
        ],
    )


def test_inpatient_deductible_per_admission_and_ratio_per_level(policies) -> None:
    # Non-poor, every stay A 100 000 (1000 yuan). S stays far below 1 500 000: no serious.
    # t1 township: deductible 20 000, covered 80 000, 85% = 68 000; R 32 000 (S 32 000).
    # c1 county: deductible 50 000, covered 50 000, 80% = 40 000; R 60 000 (S 92 000).
    # y1 city: deductible 80 000, covered 20 000, 70% = 14 000; R 86 000 (S 178 000).
    # v1 province: deductible 120 000 > 100 000 -> covered 0 -> 0; R 100 000 (S 278 000).
    # t2 township again: a new admission, the deductible applies afresh -> 68 000; R 32 000
    #    (S 310 000).
    # v2 province A 220 000: deductible 120 000, covered 100 000, 65% = 65 000; R 155 000
    #    (S 465 000).
    bills = [
        bill("t1", "n", "2019-03-01", "inpatient", "township", item("A", 1, 100000)),
        bill("c1", "n", "2019-03-05", "inpatient", "county", item("A", 1, 100000)),
        bill("y1", "n", "2019-03-09", "inpatient", "city", item("A", 1, 100000)),
        bill("v1", "n", "2019-03-15", "inpatient", "province", item("A", 1, 100000)),
        bill("t2", "n", "2019-04-01", "inpatient", "township", item("A", 1, 100000)),
        bill("v2", "n", "2019-04-20", "inpatient", "province", item("A", 1, 220000)),
    ]
    got = settle(policies, {"n": NOT_POOR_NOT_CHRONIC}, bills)
    assert_settled(
        got,
        [
            ok("t1", 100000, 100000, 32000, basic=68000),
            ok("c1", 100000, 100000, 60000, basic=40000),
            ok("y1", 100000, 100000, 86000, basic=14000),
            ok("v1", 100000, 100000, 100000),
            ok("t2", 100000, 100000, 32000, basic=68000),
            ok("v2", 220000, 220000, 155000, basic=65000),
        ],
    )


def test_inpatient_cap_crossed_inside_one_bill(policies) -> None:
    # Non-poor.
    # b1 county A 30 050 000: deductible 50 000, covered 30 000 000, 80% = 24 000 000;
    #    R 6 050 000. serious: S 0 + 6 050 000 - 1 500 000 = 4 550 000 above (<= R),
    #    60% = 2 730 000; S 6 050 000; R 3 320 000. patient 3 320 000.
    # b2 township A 10 020 000: deductible 20 000, covered 10 000 000, 85% = 8 500 000, but
    #    30 000 000 - 24 000 000 = 6 000 000 left -> 6 000 000; R 4 020 000.
    #    serious: S already past the threshold -> all of R above, 60% = 2 412 000;
    #    S 10 070 000; R 1 608 000.
    # b3 township A 120 000: covered 100 000, 85% = 85 000 but the cap is reached -> 0;
    #    R 120 000; serious 60% = 72 000; R 48 000.
    bills = [
        bill("b1", "n", "2019-08-01", "inpatient", "county", item("A", 1, 30050000)),
        bill("b2", "n", "2019-09-01", "inpatient", "township", item("A", 1, 10020000)),
        bill("b3", "n", "2019-10-01", "inpatient", "township", item("A", 1, 120000)),
    ]
    got = settle(policies, {"n": NOT_POOR_NOT_CHRONIC}, bills)
    assert_settled(
        got,
        [
            ok("b1", 30050000, 30050000, 3320000, basic=24000000, serious=2730000),
            ok("b2", 10020000, 10020000, 1608000, basic=6000000, serious=2412000),
            ok("b3", 120000, 120000, 48000, serious=72000),
        ],
    )


# --- 3. serious illness ----------------------------------------------------------------------


def test_serious_illness_non_poor_threshold_crossed_inside_a_bill_across_types(policies) -> None:
    # Non-poor (chronic). Threshold 1 500 000; S counts chronic and inpatient together.
    # b1 chronic A 1 020 000: deductible 20 000, covered 1 000 000, 60% = 600 000 -> capped
    #    at 300 000; R 720 000. serious: 720 000 < 1 500 000 -> 0; S 720 000.
    # b2 inpatient county A 1 050 000: deductible 50 000, covered 1 000 000, 80% = 800 000;
    #    R 250 000. serious: 720 000 + 250 000 = 970 000 < 1 500 000 -> 0; S 970 000.
    # b3 inpatient county A 2 550 000: deductible 50 000, covered 2 500 000, 80% = 2 000 000;
    #    R 550 000. serious: 970 000 + 550 000 - 1 500 000 = 20 000 above; 60% = 12 000;
    #    S 1 520 000; R 538 000.
    # b4 outpatient A 1000: no serious illness for outpatients; 55% = 550; R 450 (S unchanged).
    # b5 chronic A 10 001: chronic cap reached -> basic 0; R 10 001. serious: S past the
    #    threshold -> all 10 001 above; 60% = 6000.6 -> 6001; R 4000.
    bills = [
        bill("b1", "n", "2019-02-01", "chronic_outpatient", "village", item("A", 1, 1020000)),
        bill("b2", "n", "2019-03-01", "inpatient", "county", item("A", 1, 1050000)),
        bill("b3", "n", "2019-04-01", "inpatient", "county", item("A", 1, 2550000)),
        bill("b4", "n", "2019-05-01", "outpatient", "village", item("A", 1, 1000)),
        bill("b5", "n", "2019-06-01", "chronic_outpatient", "village", item("A", 1, 10001)),
    ]
    got = settle(policies, {"n": NOT_POOR}, bills)
    assert_settled(
        got,
        [
            ok("b1", 1020000, 1020000, 720000, basic=300000),
            ok("b2", 1050000, 1050000, 250000, basic=800000),
            ok("b3", 2550000, 2550000, 538000, basic=2000000, serious=12000),
            ok("b4", 1000, 1000, 450, basic=550),
            ok("b5", 10001, 10001, 4000, serious=6001),
        ],
    )


def test_serious_illness_poor_threshold_and_the_same_bills_for_non_poor(policies) -> None:
    # Poor patient p, threshold 500 000.
    # p1 township A 2 020 000: deductible 20 000, covered 2 000 000, 85% = 1 700 000;
    #    R 320 000. serious: 320 000 < 500 000 -> 0; S 320 000.
    #    assistance 70% x 320 000 = 224 000; R 96 000.
    #    351 (township cap 300 000): P 0 + 96 000 < 300 000 -> 0; P 96 000. patient 96 000.
    # p2 township A 1 520 000: covered 1 500 000, 85% = 1 275 000; R 245 000.
    #    serious: 320 000 + 245 000 - 500 000 = 65 000 above; 60% = 39 000; S 565 000;
    #    R 206 000. assistance 70% = 144 200; R 61 800. 351: 96 000 + 61 800 < 300 000 -> 0.
    # Non-poor n, the same bills, threshold 1 500 000, no assistance, no safety net:
    # n1 R 320 000 -> patient 320 000. n2 R 245 000; S 565 000 < 1 500 000 -> 0;
    #    patient 245 000.
    patients = {"p": POOR_NOT_CHRONIC, "n": NOT_POOR_NOT_CHRONIC}
    bills = [
        bill("p1", "p", "2019-02-01", "inpatient", "township", item("A", 1, 2020000)),
        bill("n1", "n", "2019-02-01", "inpatient", "township", item("A", 1, 2020000)),
        bill("p2", "p", "2019-03-01", "inpatient", "township", item("A", 1, 1520000)),
        bill("n2", "n", "2019-03-01", "inpatient", "township", item("A", 1, 1520000)),
    ]
    got = settle(policies, patients, bills)
    assert_settled(
        got,
        [
            ok("p1", 2020000, 2020000, 96000, basic=1700000, assistance=224000),
            ok("n1", 2020000, 2020000, 320000, basic=1700000),
            ok(
                "p2",
                1520000,
                1520000,
                61800,
                basic=1275000,
                serious=39000,
                assistance=144200,
            ),
            ok("n2", 1520000, 1520000, 245000, basic=1275000),
        ],
    )


# --- 4. medical assistance and 5. safety nets ------------------------------------------------


def test_medical_assistance_cap_crossed_all_types_together(policies) -> None:
    # Poor (chronic).
    # b1 outpatient A 20 000: 55% = 11 000; R 9000. assistance 50% = 4500 (used 4500);
    #    R 4500. No safety net for plain outpatients. patient 4500.
    # b2 inpatient county A 5 050 000: deductible 50 000, covered 5 000 000, 80% = 4 000 000;
    #    R 1 050 000. serious: 1 050 000 - 500 000 = 550 000 above, 60% = 330 000;
    #    S 1 050 000; R 720 000. assistance 70% = 504 000 (used 508 500); R 216 000.
    #    351 county cap 300 000: 0 + 216 000 < 300 000 -> 0; P 216 000.
    # b3 the same stay again: basic 4 000 000; R 1 050 000. serious: all above, 630 000;
    #    R 420 000. assistance 70% = 294 000 (used 802 500); R 126 000.
    #    351: 216 000 + 126 000 - 300 000 = 42 000; R 84 000; P 300 000. patient 84 000.
    # b4 the same stay again: basic 4 000 000; serious 630 000; R 420 000.
    #    assistance 70% = 294 000 but only 1 000 000 - 802 500 = 197 500 left -> 197 500;
    #    R 222 500. 351: P at the cap -> all of R, 222 500; R 0. patient 0.
    # b5 chronic A 10 000: deductible (10 000 of 20 000) -> basic 0; R 10 000. serious: S past
    #    the threshold -> 60% = 6000; R 4000. assistance: cap reached -> 0.
    #    180: 80% x 4000 = 3200; R 800. patient 800.
    bills = [
        bill("b1", "p", "2019-01-05", "outpatient", "village", item("A", 1, 20000)),
        bill("b2", "p", "2019-02-01", "inpatient", "county", item("A", 1, 5050000)),
        bill("b3", "p", "2019-03-01", "inpatient", "county", item("A", 1, 5050000)),
        bill("b4", "p", "2019-04-01", "inpatient", "county", item("A", 1, 5050000)),
        bill("b5", "p", "2019-05-01", "chronic_outpatient", "township", item("A", 1, 10000)),
    ]
    got = settle(policies, {"p": POOR}, bills)
    assert_settled(
        got,
        [
            ok("b1", 20000, 20000, 4500, basic=11000, assistance=4500),
            ok(
                "b2",
                5050000,
                5050000,
                216000,
                basic=4000000,
                serious=330000,
                assistance=504000,
            ),
            ok(
                "b3",
                5050000,
                5050000,
                84000,
                basic=4000000,
                serious=630000,
                assistance=294000,
                sn351=42000,
            ),
            ok(
                "b4",
                5050000,
                5050000,
                0,
                basic=4000000,
                serious=630000,
                assistance=197500,
                sn351=222500,
            ),
            ok("b5", 10000, 10000, 800, serious=6000, sn180=3200),
        ],
    )


# Patient "first stay": poor, township A 10 020 000: deductible 20 000, covered 10 000 000,
# 85% = 8 500 000; R 1 520 000. serious: 1 520 000 - 500 000 = 1 020 000 above, 60% = 612 000;
# S 1 520 000; R 908 000. assistance 70% = 635 600 (used 635 600); R 272 400.
# 351: 272 400 < 300 000 -> 0; P 272 400. patient 272 400.
FIRST_STAY = {
    "total": 10020000,
    "basic": 8500000,
    "serious": 612000,
    "assistance": 635600,
    "patient": 272400,
}


def first_stay(bill_id: str, patient: str) -> dict[str, Any]:
    return bill(bill_id, patient, "2019-01-20", "inpatient", "township", item("A", 1, 10020000))


def first_stay_result(bill_id: str) -> dict[str, Any]:
    f = FIRST_STAY
    return ok(
        bill_id,
        f["total"],
        f["total"],
        f["patient"],
        basic=f["basic"],
        serious=f["serious"],
        assistance=f["assistance"],
    )


def test_351_township_cap_crossed_then_p_at_the_cap(policies) -> None:
    # b1 first stay (see FIRST_STAY): P 272 400, S 1 520 000, assistance used 635 600.
    # b2 township A 2 020 000: covered 2 000 000, 85% = 1 700 000; R 320 000. serious: all above,
    #    60% = 192 000; R 128 000. assistance 70% = 89 600 (used 725 200); R 38 400.
    #    351: 272 400 + 38 400 - 300 000 = 10 800; R 27 600; P 300 000. patient 27 600.
    # b3 township A 120 000 + C 500: total 120 500, E 120 000. covered 100 000, 85% = 85 000;
    #    R 35 000. serious 60% = 21 000; R 14 000. assistance 70% = 9800; R 4200.
    #    351: P at the cap -> all of R, 4200; R 0. patient 0 + 500 (not eligible) = 500.
    bills = [
        first_stay("b1", "p"),
        bill("b2", "p", "2019-02-01", "inpatient", "township", item("A", 1, 2020000)),
        bill(
            "b3",
            "p",
            "2019-03-01",
            "inpatient",
            "township",
            item("A", 1, 120000),
            item("C", 1, 500),
        ),
    ]
    got = settle(policies, {"p": POOR_NOT_CHRONIC}, bills)
    assert_settled(
        got,
        [
            first_stay_result("b1"),
            ok(
                "b2",
                2020000,
                2020000,
                27600,
                basic=1700000,
                serious=192000,
                assistance=89600,
                sn351=10800,
            ),
            ok("b3", 120500, 120000, 500, basic=85000, serious=21000, assistance=9800, sn351=4200),
        ],
    )


def test_351_county_cap_with_p_from_a_township_stay(policies) -> None:
    # One P for all levels.
    # b1 first stay at the township: P 272 400, S 1 520 000, assistance used 635 600.
    # b2 county A 2 050 000: deductible 50 000, covered 2 000 000, 80% = 1 600 000; R 450 000.
    #    serious: all above, 60% = 270 000; R 180 000. assistance 70% = 126 000 (used 761 600);
    #    R 54 000. 351 (county cap 300 000): 272 400 + 54 000 - 300 000 = 26 400; R 27 600;
    #    P 300 000.
    bills = [
        first_stay("b1", "p"),
        bill("b2", "p", "2019-02-01", "inpatient", "county", item("A", 1, 2050000)),
    ]
    got = settle(policies, {"p": POOR_NOT_CHRONIC}, bills)
    assert_settled(
        got,
        [
            first_stay_result("b1"),
            ok(
                "b2",
                2050000,
                2050000,
                27600,
                basic=1600000,
                serious=270000,
                assistance=126000,
                sn351=26400,
            ),
        ],
    )


def test_351_city_cap_and_p_past_the_township_cap(policies) -> None:
    # b1 first stay at the township: P 272 400, S 1 520 000, assistance used 635 600.
    # b2 city A 1 080 000: deductible 80 000, covered 1 000 000, 70% = 700 000; R 380 000.
    #    serious: all above, 60% = 228 000; R 152 000. assistance 70% = 106 400
    #    (used 742 000); R 45 600. 351 (city cap 500 000): 272 400 + 45 600 = 318 000
    #    < 500 000 -> 0; P 318 000 (now past the township cap, but this was a city stay).
    # b3 township A 120 000: covered 100 000, 85% = 85 000; R 35 000. serious 21 000;
    #    R 14 000. assistance 9800 (used 751 800); R 4200. 351: P 318 000 already past the
    #    township cap 300 000 -> all of R, 4200; R 0; P stays 318 000. patient 0.
    # b4 city A 5 080 000: covered 5 000 000, 70% = 3 500 000; R 1 580 000. serious 60%
    #    = 948 000; R 632 000. assistance 70% = 442 400, but 1 000 000 - 751 800 = 248 200
    #    left -> 248 200; R 383 800. 351: 318 000 + 383 800 - 500 000 = 201 800; R 182 000;
    #    P 500 000. patient 182 000.
    bills = [
        first_stay("b1", "p"),
        bill("b2", "p", "2019-02-01", "inpatient", "city", item("A", 1, 1080000)),
        bill("b3", "p", "2019-03-01", "inpatient", "township", item("A", 1, 120000)),
        bill("b4", "p", "2019-04-01", "inpatient", "city", item("A", 1, 5080000)),
    ]
    got = settle(policies, {"p": POOR_NOT_CHRONIC}, bills)
    assert_settled(
        got,
        [
            first_stay_result("b1"),
            ok(
                "b2",
                1080000,
                1080000,
                45600,
                basic=700000,
                serious=228000,
                assistance=106400,
            ),
            ok("b3", 120000, 120000, 0, basic=85000, serious=21000, assistance=9800, sn351=4200),
            ok(
                "b4",
                5080000,
                5080000,
                182000,
                basic=3500000,
                serious=948000,
                assistance=248200,
                sn351=201800,
            ),
        ],
    )


def test_351_province_cap_then_a_city_stay_with_p_past_the_city_cap(policies) -> None:
    # b1 province A 10 120 000: deductible 120 000, covered 10 000 000, 65% = 6 500 000;
    #    R 3 620 000. serious: 3 620 000 - 500 000 = 3 120 000 above, 60% = 1 872 000;
    #    R 1 748 000. assistance 70% = 1 223 600 -> capped at 1 000 000; R 748 000.
    #    351 (province cap 1 000 000): 748 000 < 1 000 000 -> 0; P 748 000.
    # b2 province A 2 120 000: covered 2 000 000, 65% = 1 300 000; R 820 000. serious: all
    #    above, 492 000; R 328 000. assistance: cap reached -> 0. 351: 748 000 + 328 000
    #    - 1 000 000 = 76 000; R 252 000; P 1 000 000.
    # b3 city A 180 000: deductible 80 000, covered 100 000, 70% = 70 000; R 110 000. serious
    #    66 000; R 44 000. assistance 0. 351: P 1 000 000 past the city cap 500 000 -> all
    #    44 000; patient 0.
    bills = [
        bill("b1", "p", "2019-05-01", "inpatient", "province", item("A", 1, 10120000)),
        bill("b2", "p", "2019-06-01", "inpatient", "province", item("A", 1, 2120000)),
        bill("b3", "p", "2019-07-01", "inpatient", "city", item("A", 1, 180000)),
    ]
    got = settle(policies, {"p": POOR_NOT_CHRONIC}, bills)
    assert_settled(
        got,
        [
            ok(
                "b1",
                10120000,
                10120000,
                748000,
                basic=6500000,
                serious=1872000,
                assistance=1000000,
            ),
            ok("b2", 2120000, 2120000, 252000, basic=1300000, serious=492000, sn351=76000),
            ok("b3", 180000, 180000, 0, basic=70000, serious=66000, sn351=44000),
        ],
    )


def test_180_only_for_chronic_outpatient_and_351_only_for_inpatient(policies) -> None:
    # Poor (chronic), each type once, fresh accumulators, small amounts.
    # o outpatient A 1000: 55% = 550; R 450; assistance 50% = 225; R 225; no 180 -> 225.
    # c chronic A 1000: deductible -> basic 0; R 1000; S 1000 -> serious 0; assistance
    #    50% = 500; R 500; 180 80% = 400; R 100. No 351.
    # i township inpatient A 1000: deductible -> basic 0; R 1000; S 2000 -> 0; assistance
    #    70% = 700; R 300; no 180; 351: 300 < 300 000 -> 0; patient 300.
    bills = [
        bill("o", "p", "2019-01-02", "outpatient", "township", item("A", 1, 1000)),
        bill("c", "p", "2019-01-03", "chronic_outpatient", "township", item("A", 1, 1000)),
        bill("i", "p", "2019-01-04", "inpatient", "township", item("A", 1, 1000)),
    ]
    got = settle(policies, {"p": POOR}, bills)
    assert_settled(
        got,
        [
            ok("o", 1000, 1000, 225, basic=550, assistance=225),
            ok("c", 1000, 1000, 100, assistance=500, sn180=400),
            ok("i", 1000, 1000, 300, assistance=700),
        ],
    )


def test_non_poor_never_receives_assistance_or_safety_nets(policies) -> None:
    # Non-poor (chronic).
    # b1 province A 10 120 000: basic 6 500 000 (as for the poor province stay); R 3 620 000.
    #    serious: 3 620 000 - 1 500 000 = 2 120 000 above, 60% = 1 272 000; R 2 348 000.
    #    No assistance; no 351 although R is past every 351 cap. patient 2 348 000.
    # b2 chronic A 10 000: deductible -> basic 0; R 10 000; serious: S 3 620 000 past the
    #    threshold -> 60% = 6000; R 4000. No assistance, no 180. patient 4000.
    # b3 outpatient A 1000: 55% = 550; R 450, no assistance.
    bills = [
        bill("b1", "n", "2019-05-01", "inpatient", "province", item("A", 1, 10120000)),
        bill("b2", "n", "2019-06-01", "chronic_outpatient", "village", item("A", 1, 10000)),
        bill("b3", "n", "2019-06-02", "outpatient", "village", item("A", 1, 1000)),
    ]
    got = settle(policies, {"n": NOT_POOR}, bills)
    assert_settled(
        got,
        [
            ok("b1", 10120000, 10120000, 2348000, basic=6500000, serious=1272000),
            ok("b2", 10000, 10000, 4000, serious=6000),
            ok("b3", 1000, 1000, 450, basic=550),
        ],
    )


# --- years and order -------------------------------------------------------------------------


def test_year_change_resets_every_accumulator(policies) -> None:
    # Poor (chronic). Three bills on 2019-12-31 fill every accumulator, a fourth proves they are
    # full, and the same three bills on 2020-01-01 settle exactly as on a fresh year.
    # a outpatient A 80 000: 55% = 44 000 -> outpatient cap 40 000; R 40 000. assistance
    #    50% = 20 000 (used 20 000); R 20 000. patient 20 000.
    # b chronic A 20 000: all in the deductible -> basic 0; R 20 000. serious: S 20 000 -> 0.
    #    assistance 50% = 10 000 (used 30 000); R 10 000. 180 80% = 8000; R 2000.
    # c province A 10 120 000: basic 6 500 000; R 3 620 000. serious: 20 000 + 3 620 000
    #    - 500 000 = 3 140 000 above, 60% = 1 884 000; R 1 736 000; S 3 640 000.
    #    assistance 70% = 1 215 200, but 970 000 left -> 970 000; R 766 000.
    #    351: 766 000 < 1 000 000 -> 0; P 766 000. patient 766 000.
    # d outpatient A 1000 on 2019-12-31: outpatient cap reached -> 0; assistance cap reached
    #    -> 0; patient 1000.
    # 2020-01-01, fresh accumulators:
    # a' outpatient A 80 000: 40 000 (cap crossed inside the bill), assistance 20 000, patient
    #    20 000 — the same as a (it would be 0 and 0 without the reset).
    # b' chronic A 20 000: deductible fresh -> basic 0 (would be 12 000 without the reset);
    #    assistance 10 000, 180 8000, patient 2000 — the same as b.
    # c' province A 10 120 000: serious 20 000 + 3 620 000 - 500 000 -> 1 884 000; assistance
    #    970 000; patient 766 000 — the same as c.
    def year(prefix: str, day: str) -> list[dict[str, Any]]:
        return [
            bill(f"{prefix}a", "p", day, "outpatient", "village", item("A", 1, 80000)),
            bill(f"{prefix}b", "p", day, "chronic_outpatient", "village", item("A", 1, 20000)),
            bill(f"{prefix}c", "p", day, "inpatient", "province", item("A", 1, 10120000)),
        ]

    def expected(prefix: str) -> list[dict[str, Any]]:
        return [
            ok(f"{prefix}a", 80000, 80000, 20000, basic=40000, assistance=20000),
            ok(f"{prefix}b", 20000, 20000, 2000, assistance=10000, sn180=8000),
            ok(
                f"{prefix}c",
                10120000,
                10120000,
                766000,
                basic=6500000,
                serious=1884000,
                assistance=970000,
            ),
        ]

    bills = [
        *year("y19", "2019-12-31"),
        bill("y19d", "p", "2019-12-31", "outpatient", "village", item("A", 1, 1000)),
        *year("y20", "2020-01-01"),
    ]
    got = settle(policies, {"p": POOR}, bills)
    assert_settled(got, [*expected("y19"), ok("y19d", 1000, 1000, 1000), *expected("y20")])


def test_year_change_resets_351_p(policies) -> None:
    # b1 2019-12-31 province A 10 120 000 and b2 2019-12-31 province A 2 120 000 exactly as in
    # the province test: P reaches 1 000 000.
    # b3 2020-01-01 city A 180 000: a fresh year, P 0, S 0. deductible 80 000, covered
    #    100 000, 70% = 70 000; R 110 000. serious: S 110 000 < 500 000 -> 0. assistance 70%
    #    = 77 000; R 33 000. 351: 33 000 < 500 000 -> 0 (it paid all of R in 2019).
    bills = [
        bill("b1", "p", "2019-12-31", "inpatient", "province", item("A", 1, 10120000)),
        bill("b2", "p", "2019-12-31", "inpatient", "province", item("A", 1, 2120000)),
        bill("b3", "p", "2020-01-01", "inpatient", "city", item("A", 1, 180000)),
    ]
    got = settle(policies, {"p": POOR_NOT_CHRONIC}, bills)
    assert_settled(
        got,
        [
            ok(
                "b1",
                10120000,
                10120000,
                748000,
                basic=6500000,
                serious=1872000,
                assistance=1000000,
            ),
            ok("b2", 2120000, 2120000, 252000, basic=1300000, serious=492000, sn351=76000),
            ok("b3", 180000, 180000, 33000, basic=70000, assistance=77000),
        ],
    )


def test_settled_in_input_order_not_date_order(policies) -> None:
    # Non-poor (chronic), chronic outpatient.
    # b1 (June) A 15 000 first: fills 15 000 of the deductible -> basic 0; R 15 000.
    # b2 (March) A 10 000 second: 5000 of the deductible left -> covered 5000 -> 3000; R 7000.
    # (Sorted by date it would be b2: 0 and b1: 3000.)
    # Outpatient across years, input order 2020, 2019, 2020:
    # o1 2020-02-01 A 80 000: 55% = 44 000 -> cap 40 000; R 40 000.
    # o2 2019-05-01 A 80 000: 2019 is its own year -> 40 000 as well; R 40 000.
    # o3 2020-03-01 A 1000: the 2020 cap is already used -> 0; R 1000.
    bills = [
        bill("b1", "n", "2019-06-01", "chronic_outpatient", "village", item("A", 1, 15000)),
        bill("b2", "n", "2019-03-01", "chronic_outpatient", "village", item("A", 1, 10000)),
        bill("o1", "n", "2020-02-01", "outpatient", "village", item("A", 1, 80000)),
        bill("o2", "n", "2019-05-01", "outpatient", "village", item("A", 1, 80000)),
        bill("o3", "n", "2020-03-01", "outpatient", "village", item("A", 1, 1000)),
    ]
    got = settle(policies, {"n": NOT_POOR}, bills)
    assert_settled(
        got,
        [
            ok("b1", 15000, 15000, 15000),
            ok("b2", 10000, 10000, 7000, basic=3000),
            ok("o1", 80000, 80000, 40000, basic=40000),
            ok("o2", 80000, 80000, 40000, basic=40000),
            ok("o3", 1000, 1000, 1000),
        ],
    )


def test_accumulators_are_per_patient(policies) -> None:
    # Two non-poor patients: m fills the outpatient cap; k's first outpatient bill is still
    # paid in full. m1 A 80 000 -> 40 000; k1 A 80 000 -> 40 000; m2 A 1000 -> 0; k2 A 1000 -> 0.
    patients = {"m": NOT_POOR, "k": NOT_POOR}
    bills = [
        bill("m1", "m", "2019-01-02", "outpatient", "village", item("A", 1, 80000)),
        bill("k1", "k", "2019-01-02", "outpatient", "village", item("A", 1, 80000)),
        bill("m2", "m", "2019-01-03", "outpatient", "village", item("A", 1, 1000)),
        bill("k2", "k", "2019-01-03", "outpatient", "village", item("A", 1, 1000)),
    ]
    got = settle(policies, patients, bills)
    assert_settled(
        got,
        [
            ok("m1", 80000, 80000, 40000, basic=40000),
            ok("k1", 80000, 80000, 40000, basic=40000),
            ok("m2", 1000, 1000, 1000),
            ok("k2", 1000, 1000, 1000),
        ],
    )


# --- errors ----------------------------------------------------------------------------------

CHRONIC_10000 = item("A", 1, 10000)

ERROR_BILLS = {
    "unknown patient": bill(
        "e", "nobody", "2019-06-01", "chronic_outpatient", "village", CHRONIC_10000
    ),
    "unknown category": bill(
        "e", "n", "2019-06-01", "chronic_outpatient", "village", CHRONIC_10000, item("D", 1, 100)
    ),
    "negative quantity": bill(
        "e", "n", "2019-06-01", "chronic_outpatient", "village", CHRONIC_10000, item("A", -1, 100)
    ),
    "negative price": bill(
        "e", "n", "2019-06-01", "chronic_outpatient", "village", CHRONIC_10000, item("B", 1, -5)
    ),
    "no policy in force": bill(
        "e", "n", "2018-12-31", "chronic_outpatient", "village", CHRONIC_10000
    ),
    "unknown visit type": bill("e", "n", "2019-06-01", "emergency", "village", CHRONIC_10000),
    "unknown hospital level": bill(
        "e", "n", "2019-06-01", "chronic_outpatient", "clinic", CHRONIC_10000
    ),
    "outpatient at a county hospital": bill(
        "e", "n", "2019-06-01", "outpatient", "county", CHRONIC_10000
    ),
    "outpatient at a city hospital": bill(
        "e", "n", "2019-06-01", "outpatient", "city", CHRONIC_10000
    ),
    "chronic outpatient at a city hospital": bill(
        "e", "n", "2019-06-01", "chronic_outpatient", "city", CHRONIC_10000
    ),
    "chronic outpatient at a province hospital": bill(
        "e", "n", "2019-06-01", "chronic_outpatient", "province", CHRONIC_10000
    ),
    "inpatient at the village clinic": bill(
        "e", "n", "2019-06-01", "inpatient", "village", CHRONIC_10000
    ),
    "chronic outpatient without a certified chronic disease": bill(
        "e", "x", "2019-06-01", "chronic_outpatient", "village", CHRONIC_10000
    ),
}


@pytest.mark.parametrize("kind", sorted(ERROR_BILLS))
def test_errored_bill_is_reported_and_changes_no_accumulator(policies, kind: str) -> None:
    # Non-poor n (chronic) and x (no chronic disease), both with the same history.
    # before: chronic A 10 000 -> all in the deductible (10 000 of 20 000 used); basic 0;
    #    S 10 000. For x the same amount as an outpatient bill: 55% = 5500.
    # e: the bill that breaks a rule -> {"id", "error"}; nothing changes.
    # after: chronic A 15 000 -> 10 000 left of the deductible -> covered 5000 -> 3000;
    #    R 12 000 (if e had used the deductible: covered 15 000 -> 9000).
    #    For x: outpatient A 80 000 -> 40 000 - 5500 = 34 500 left of the cap -> 34 500.
    patients = {"n": NOT_POOR, "x": NOT_POOR_NOT_CHRONIC}
    bills = [
        bill("before", "n", "2019-05-01", "chronic_outpatient", "village", item("A", 1, 10000)),
        bill("xbefore", "x", "2019-05-01", "outpatient", "village", item("A", 1, 10000)),
        ERROR_BILLS[kind],
        bill("after", "n", "2019-07-01", "chronic_outpatient", "village", item("A", 1, 15000)),
        bill("xafter", "x", "2019-07-01", "outpatient", "village", item("A", 1, 80000)),
    ]
    got = settle(policies, patients, bills)
    assert [g.get("id") for g in got] == ["before", "xbefore", "e", "after", "xafter"]
    assert_error(got[2], "e")
    assert got[0] == ok("before", 10000, 10000, 10000)
    assert got[1] == ok("xbefore", 10000, 10000, 4500, basic=5500)
    assert got[3] == ok("after", 15000, 15000, 12000, basic=3000)
    assert got[4] == ok("xafter", 80000, 80000, 45500, basic=34500)


def test_errored_bills_in_a_row_and_the_first_day_of_the_policy(policies) -> None:
    # 2019-01-01 is the first day in force: n chronic A 10 000 -> deductible, basic 0.
    # Then every error kind in a row; then chronic A 15 000 -> covered 5000 -> 3000, R 12 000.
    bills = [
        bill("first", "n", "2019-01-01", "chronic_outpatient", "village", item("A", 1, 10000)),
        *({**b, "id": f"e{i}"} for i, b in enumerate(ERROR_BILLS.values())),
        bill("after", "n", "2019-07-01", "chronic_outpatient", "village", item("A", 1, 15000)),
    ]
    got = settle(policies, {"n": NOT_POOR, "x": NOT_POOR_NOT_CHRONIC}, bills)
    assert got[0] == ok("first", 10000, 10000, 10000)
    for i, result in enumerate(got[1:-1]):
        assert_error(result, f"e{i}")
    assert got[-1] == ok("after", 15000, 15000, 12000, basic=3000)


def test_zero_price_is_not_an_error(policies) -> None:
    # Only a negative quantity or price breaks a rule. B 3 x 0 = 0: total 0, E 0, everybody 0.
    # Then A 1000 outpatient: 55% = 550, R 450.
    bills = [
        bill("z", "n", "2019-03-01", "outpatient", "village", item("B", 3, 0)),
        bill("b", "n", "2019-03-02", "outpatient", "village", item("A", 1, 1000)),
    ]
    got = settle(policies, {"n": NOT_POOR}, bills)
    assert_settled(got, [ok("z", 0, 0, 0), ok("b", 1000, 1000, 450, basic=550)])


def test_zero_quantity_is_not_an_error(policies) -> None:
    # Only a negative quantity or price breaks a rule. A 0 x 500 = 0 next to A 1 x 1000:
    # total 1000, E 1000, 55% = 550, R 450.
    bills = [
        bill("z", "n", "2019-03-01", "outpatient", "village", item("A", 0, 500), item("A", 1, 1000))
    ]
    got = settle(policies, {"n": NOT_POOR}, bills)
    assert_settled(got, [ok("z", 1000, 1000, 450, basic=550)])


# --- property tests --------------------------------------------------------------------------

LEVELS_FOR = {
    "outpatient": ["village", "township"],
    "chronic_outpatient": ["village", "township", "county"],
    "inpatient": ["township", "county", "city", "province"],
}
CAP_351 = {"township": 300000, "county": 300000, "city": 500000, "province": 1000000}
BASIC_CAP = {"outpatient": 40000, "chronic_outpatient": 300000, "inpatient": 30000000}
ASSISTANCE_CAP = 1000000


def half_up_percent(amount: int, percent: int) -> int:
    """amount x percent / 100, rounded half up to the whole fen (amount >= 0)."""
    return (2 * amount * percent + 100) // 200


def expected_eligible(items: list[dict[str, Any]]) -> int:
    eligible = 0
    for line in items:
        amount = line["quantity"] * line["unit_price_fen"]
        if line["category"] == "A":
            eligible += amount
        elif line["category"] == "B":
            eligible += amount - half_up_percent(amount, 10)
    return eligible


prices = st.one_of(
    st.integers(min_value=0, max_value=5_000),
    st.integers(min_value=0, max_value=200_000),
    st.integers(min_value=0, max_value=12_000_000),
)
items = st.fixed_dictionaries(
    {
        "category": st.sampled_from(["A", "A", "B", "C"]),
        "quantity": st.integers(min_value=0, max_value=4),
        "unit_price_fen": prices,
    }
)
patient_flags = st.fixed_dictionaries(
    {"poor": st.booleans(), "chronic": st.sampled_from([[], ["hypertension"], ["diabetes"]])}
)
days = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2020, 12, 31))


@st.composite
def case_files(draw) -> dict[str, Any]:
    names = [f"p{i}" for i in range(draw(st.integers(min_value=1, max_value=3)))]
    patients = {name: draw(patient_flags) for name in names}
    bills = []
    for i in range(draw(st.integers(min_value=1, max_value=18))):
        name = draw(st.sampled_from(names))
        types = ["outpatient", "inpatient"]
        if patients[name]["chronic"]:
            types.append("chronic_outpatient")
        visit_type = draw(st.sampled_from(types))
        bills.append(
            {
                "id": f"b{i}",
                "patient": name,
                "date": draw(days).isoformat(),
                "visit_type": visit_type,
                "hospital_level": draw(st.sampled_from(LEVELS_FOR[visit_type])),
                "items": draw(st.lists(items, min_size=1, max_size=4)),
            }
        )
    return {"patients": patients, "bills": bills}


@settings(max_examples=60, deadline=None)
@given(cases=case_files())
def test_invariants_over_random_bill_sequences(policies, cases) -> None:
    results = run_cases(policies, cases)
    assert [r.get("id") for r in results] == [b["id"] for b in cases["bills"]]

    basic_used: dict[tuple, int] = defaultdict(int)  # (patient, year, visit type)
    assistance_used: dict[tuple, int] = defaultdict(int)  # (patient, year)
    for b, r in zip(cases["bills"], results, strict=True):
        assert "error" not in r, (b, r)
        assert set(r) == {"id", "total_fen", "eligible_fen", "payers", "patient_fen"}
        assert set(r["payers"]) == set(PAYERS)
        poor = cases["patients"][b["patient"]]["poor"]
        total = sum(line["quantity"] * line["unit_price_fen"] for line in b["items"])
        shares = [r["payers"][p] for p in PAYERS] + [r["patient_fen"]]
        for share in shares:
            assert type(share) is int and share >= 0, (b, r)
        assert r["total_fen"] == total
        assert r["eligible_fen"] == expected_eligible(b["items"])
        assert sum(shares) == total, (b, r)
        # The patient always pays everything that was not eligible.
        assert r["patient_fen"] >= total - r["eligible_fen"]

        key = (b["patient"], b["date"][:4])
        vt = b["visit_type"]
        basic_used[(*key, vt)] += r["payers"]["basic_insurance"]
        assert basic_used[(*key, vt)] <= BASIC_CAP[vt], (b, r)
        assistance_used[key] += r["payers"]["medical_assistance"]
        assert assistance_used[key] <= ASSISTANCE_CAP, (b, r)
        if not poor:
            assert r["payers"]["medical_assistance"] == 0
            assert r["payers"]["safety_net_180"] == 0
            assert r["payers"]["safety_net_351"] == 0
        if vt != "chronic_outpatient":
            assert r["payers"]["safety_net_180"] == 0
        if vt != "inpatient":
            assert r["payers"]["safety_net_351"] == 0
        if vt == "outpatient":
            assert r["payers"]["serious_illness"] == 0


@settings(max_examples=60, deadline=None)
@given(cases=case_files())
def test_serious_illness_and_351_formulas_hold_on_the_engine_output(policies, cases) -> None:
    """Recompute steps 3 and 5 from the engine's own shares.

    R before serious illness = E - basic; R before 351 = the patient's eligible share + 351.
    Step 3: serious = half_up(60% x min(R, max(0, S + R - threshold))), then S += R.
    Step 5: 351 = min(R, max(0, P + R - cap of this level)), then P += R left; so after a bill
    that 351 paid for, P == max(P before, that stay's cap), and P never passes the highest cap
    among the year's stays.
    """
    results = run_cases(policies, cases)
    s_acc: dict[tuple, int] = defaultdict(int)
    p_acc: dict[tuple, int] = defaultdict(int)
    highest_cap: dict[tuple, int] = defaultdict(int)
    for b, r in zip(cases["bills"], results, strict=True):
        assert "error" not in r, (b, r)
        poor = cases["patients"][b["patient"]]["poor"]
        key = (b["patient"], b["date"][:4])
        vt, level = b["visit_type"], b["hospital_level"]
        payers = r["payers"]
        patient_eligible = r["patient_fen"] - (r["total_fen"] - r["eligible_fen"])
        if vt != "outpatient":
            r_seen = r["eligible_fen"] - payers["basic_insurance"]
            threshold = 500000 if poor else 1500000
            above = min(r_seen, max(0, s_acc[key] + r_seen - threshold))
            assert payers["serious_illness"] == half_up_percent(above, 60), (b, r, s_acc[key])
            s_acc[key] += r_seen
        if poor and vt == "inpatient":
            cap = CAP_351[level]
            r_seen = patient_eligible + payers["safety_net_351"]
            p_before = p_acc[key]
            assert payers["safety_net_351"] == min(r_seen, max(0, p_before + r_seen - cap)), (
                b,
                r,
                p_before,
            )
            p_acc[key] += patient_eligible
            highest_cap[key] = max(highest_cap[key], cap)
            if payers["safety_net_351"] > 0:
                assert p_acc[key] == max(p_before, cap), (b, r, p_before)
            assert p_acc[key] <= highest_cap[key], (b, r, p_before)
