"""Receipt lines agree with the receipt: each line's 个人支付 adds up to what the patient pays,
exactly to the fen, for any bill the payer chain settles (property-based)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpassist.settlement import chain
from gpassist.settlement.policy import Level, VisitType, load_policy
from tests.settlement.test_payer_chain import POLICY_FILE

POLICY = load_policy(POLICY_FILE)
LEVELS = {
    VisitType.outpatient: [Level.village, Level.township],
    VisitType.chronic_outpatient: [Level.village, Level.township, Level.county],
    VisitType.inpatient: [Level.township, Level.county, Level.city, Level.province],
}

lines = st.lists(
    st.builds(
        chain.LineItem,
        category=st.sampled_from(["A", "B", "C"]),
        quantity=st.integers(0, 500),
        unit_price_fen=st.integers(0, 200_000),
    ),
    min_size=1,
    max_size=12,
)
accumulators = st.builds(
    chain.Accumulators,
    basic_outpatient=st.integers(0, 50_000),
    basic_chronic_outpatient=st.integers(0, 400_000),
    chronic_deductible=st.integers(0, 30_000),
    serious_illness_base=st.integers(0, 3_000_000),
    medical_assistance=st.integers(0, 1_100_000),
    safety_net_351_base=st.integers(0, 1_100_000),
)


@st.composite
def bills(draw):
    visit_type = draw(st.sampled_from(list(LEVELS)))
    level = draw(st.sampled_from(LEVELS[visit_type]))
    return chain.Bill(dt.date(2026, 3, 2), visit_type, level, tuple(draw(lines)))


@settings(max_examples=300, deadline=None)
@given(bill=bills(), poor=st.booleans(), before=accumulators)
def test_each_lines_patient_part_adds_up_to_the_patients_total(bill, poor, before):
    flags = chain.PatientFlags(poor=poor, certified_chronic=True)
    settled = chain.settle(POLICY, bill, flags, before)
    parts = chain.patient_part_of_lines(settled.lines, settled.patient_fen)
    assert sum(parts) == settled.patient_fen
    for line, part in zip(settled.lines, parts, strict=True):
        assert line.self_pay_fen <= part <= line.amount_fen  # never more than the line costs


@settings(max_examples=300, deadline=None)
@given(
    amounts=st.lists(st.tuples(st.integers(0, 10**7), st.integers(0, 100)), min_size=1),
    data=st.data(),
)
def test_the_patients_eligible_part_is_spread_in_proportion(amounts, data):
    splits = [
        chain.LineSplit("B", amount, amount - amount * pct // 100, amount * pct // 100)
        for amount, pct in amounts
    ]
    eligible = sum(s.eligible_fen for s in splits)
    left = data.draw(st.integers(0, eligible))
    patient = sum(s.self_pay_fen for s in splits) + left
    parts = chain.patient_part_of_lines(splits, patient)
    assert sum(parts) == patient
    for split, part in zip(splits, parts, strict=True):
        exact = split.eligible_fen * left / eligible if eligible else 0
        assert abs((part - split.self_pay_fen) - exact) < 1  # within a fen of its fair share


def test_a_total_that_does_not_fit_the_lines_is_an_error():
    split = chain.LineSplit("A", 100, 100, 0)
    with pytest.raises(ValueError):
        chain.patient_part_of_lines([split], 101)
    with pytest.raises(ValueError):
        chain.patient_part_of_lines([split], -1)
