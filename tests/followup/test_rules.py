"""The follow-up rules, case by case from issue 4 (not from the code).

Classification (complication > adverse_reaction > uncontrolled > controlled), urgent referral,
referral, and the next due date, with every boundary the issue names on each side, and property
tests for the due-date arithmetic.
"""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpassist.followup.definitions import load_programs
from gpassist.followup.rules import (
    Classification,
    MissingReading,
    Visit,
    add_months,
    assess,
    classify,
    next_due_date,
    urgent_reasons,
)

PROGRAMS = load_programs()
HTN = PROGRAMS["hypertension"]
DM = PROGRAMS["diabetes"]

DAY = dt.date(2019, 1, 10)
IN_14_DAYS = dt.date(2019, 1, 24)
IN_3_MONTHS = dt.date(2019, 4, 10)

C = Classification

HTN_SYMPTOMS = [
    "altered_consciousness",
    "severe_headache",
    "severe_dizziness",
    "nausea_vomiting",
    "blurred_vision",
    "eye_pain",
    "palpitations",
    "chest_tightness",
    "orthopnea",
]
DM_SYMPTOMS = [
    "altered_consciousness",
    "acetone_breath",
    "palpitations",
    "sweating",
    "loss_of_appetite",
    "nausea_vomiting",
    "polydipsia",
    "polyuria",
    "abdominal_pain",
    "deep_rapid_breathing",
    "flushed_skin",
    "sudden_vision_loss",
]


def htn(sbp: float | None = 120, dbp: float | None = 80, **kw) -> Visit:
    kw.setdefault("date", DAY)
    kw["symptoms"] = frozenset(kw.get("symptoms", ()))
    return Visit(sbp=sbp, dbp=dbp, **kw)


def dm(fasting_glucose: float | None = 6.0, **kw) -> Visit:
    kw.setdefault("date", DAY)
    kw["symptoms"] = frozenset(kw.get("symptoms", ()))
    return Visit(fasting_glucose=fasting_glucose, **kw)


def test_both_programs_are_defined():
    assert {"hypertension", "diabetes"} <= set(PROGRAMS)


# --- controlled or not -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "sbp", "dbp", "expected"),
    [
        # under 65: SBP < 140 and DBP < 90
        (64, 139, 89, C.controlled),
        (64, 140, 89, C.uncontrolled),
        (64, 139, 90, C.uncontrolled),
        (64, 140, 90, C.uncontrolled),
        (64, 149, 80, C.uncontrolled),
        (40, 139, 89, C.controlled),
        (40, 140, 70, C.uncontrolled),
        # 65 and over: SBP < 150 and DBP < 90
        (65, 139, 89, C.controlled),
        (65, 140, 89, C.controlled),
        (65, 149, 89, C.controlled),
        (65, 150, 89, C.uncontrolled),
        (65, 149, 90, C.uncontrolled),
        (65, 150, 90, C.uncontrolled),
        (66, 149, 89, C.controlled),
        (90, 145, 85, C.controlled),
        (90, 150, 85, C.uncontrolled),
    ],
)
def test_hypertension_control_boundaries(age, sbp, dbp, expected):
    visit = htn(sbp, dbp)
    assert classify(HTN, age, visit) == expected
    result = assess(HTN, age, visit, None)
    assert result.classification == expected
    assert not result.urgent_referral
    assert not result.referral
    assert result.next_due == (IN_3_MONTHS if expected == C.controlled else IN_14_DAYS)


@pytest.mark.parametrize("age", [35, 64, 65, 80])
@pytest.mark.parametrize(
    ("glucose", "expected"),
    [
        (4.0, C.controlled),
        (6.9, C.controlled),
        (6.99, C.controlled),
        (7.0, C.uncontrolled),
        (7.1, C.uncontrolled),
        (12.0, C.uncontrolled),
    ],
)
def test_diabetes_control_boundary_is_7_at_every_age(age, glucose, expected):
    result = assess(DM, age, dm(glucose), None)
    assert result.classification == expected
    assert not result.urgent_referral
    assert result.next_due == (IN_3_MONTHS if expected == C.controlled else IN_14_DAYS)


def test_diabetes_control_ignores_blood_pressure():
    # Only fasting glucose decides control for diabetes; 160/95 is not a diabetes target.
    assert classify(DM, 50, dm(6.0, sbp=160, dbp=95)) == C.controlled


def test_hypertension_control_ignores_glucose():
    assert classify(HTN, 50, htn(120, 80, fasting_glucose=12.0)) == C.controlled


# --- priority of classifications ------------------------------------------------------------


@pytest.mark.parametrize(
    ("new_complication", "adverse_reaction", "in_target", "expected"),
    [
        (True, True, False, C.complication),
        (True, True, True, C.complication),
        (True, False, True, C.complication),
        (True, False, False, C.complication),
        (False, True, False, C.adverse_reaction),
        (False, True, True, C.adverse_reaction),
        (False, False, False, C.uncontrolled),
        (False, False, True, C.controlled),
    ],
)
@pytest.mark.parametrize("program", ["hypertension", "diabetes"])
def test_classification_priority(program, new_complication, adverse_reaction, in_target, expected):
    flags = {"new_complication": new_complication, "adverse_reaction": adverse_reaction}
    if program == "hypertension":
        visit = htn(130, 80, **flags) if in_target else htn(160, 95, **flags)
    else:
        visit = dm(6.0, **flags) if in_target else dm(9.0, **flags)
    result = assess(PROGRAMS[program], 50, visit, None)
    assert result.classification == expected
    assert classify(PROGRAMS[program], 50, visit) == expected
    # Only a plain controlled follow-up waits three months.
    assert result.next_due == (IN_3_MONTHS if expected == C.controlled else IN_14_DAYS)


@pytest.mark.parametrize("program", ["hypertension", "diabetes"])
def test_complication_is_referred_even_with_readings_in_target(program):
    if program == "hypertension":
        visit = htn(120, 80, new_complication=True)
    else:
        visit = dm(5.5, new_complication=True)
    result = assess(PROGRAMS[program], 50, visit, None)
    assert result.classification == C.complication
    assert result.referral
    assert not result.urgent_referral
    assert result.reasons
    assert result.next_due == IN_14_DAYS


def test_adverse_reaction_alone_is_not_a_referral_but_comes_back_in_14_days():
    result = assess(HTN, 50, htn(120, 80, adverse_reaction=True), None)
    assert result.classification == C.adverse_reaction
    assert not result.referral
    assert not result.urgent_referral
    assert result.next_due == IN_14_DAYS


# --- urgent referral: readings ---------------------------------------------------------------


@pytest.mark.parametrize("age", [64, 65])
@pytest.mark.parametrize(
    ("sbp", "dbp", "urgent"),
    [
        (179, 109, False),
        (180, 109, True),
        (179, 110, True),
        (180, 110, True),
        (181, 80, True),
        (120, 111, True),
        (250, 130, True),
        (178, 108, False),
    ],
)
def test_hypertension_urgent_blood_pressure(age, sbp, dbp, urgent):
    visit = htn(sbp, dbp)
    assert bool(urgent_reasons(HTN, visit)) is urgent
    result = assess(HTN, age, visit, None)
    assert result.urgent_referral is urgent
    assert result.classification == C.uncontrolled
    assert result.next_due == IN_14_DAYS
    if urgent:
        assert result.reasons


@pytest.mark.parametrize(
    ("readings", "urgent"),
    [
        ({"fasting_glucose": 16.6}, False),
        ({"fasting_glucose": 16.7}, True),
        ({"fasting_glucose": 16.8}, True),
        ({"fasting_glucose": 25.0}, True),
        ({"fasting_glucose": 4.0}, False),
        ({"fasting_glucose": 3.9}, True),
        ({"fasting_glucose": 3.8}, True),
        ({"fasting_glucose": 2.0}, True),
        ({"fasting_glucose": 6.0, "sbp": 179, "dbp": 109}, False),
        ({"fasting_glucose": 6.0, "sbp": 180, "dbp": 80}, True),
        ({"fasting_glucose": 6.0, "sbp": 130, "dbp": 110}, True),
        ({"fasting_glucose": 6.0, "heart_rate": 100}, False),
        ({"fasting_glucose": 6.0, "heart_rate": 101}, True),
        ({"fasting_glucose": 6.0, "temperature": 39.0}, False),
        ({"fasting_glucose": 6.0, "temperature": 39.1}, True),
        # every other reading absent counts as normal
        ({"fasting_glucose": 6.0}, False),
    ],
)
def test_diabetes_urgent_readings(readings, urgent):
    visit = dm(**readings)
    assert bool(urgent_reasons(DM, visit)) is urgent
    result = assess(DM, 50, visit, None)
    assert result.urgent_referral is urgent
    if urgent:
        assert result.reasons
        assert result.next_due == IN_14_DAYS


@pytest.mark.parametrize("glucose", [3.9, 3.5])
def test_low_glucose_is_controlled_yet_urgent_and_seen_in_14_days(glucose):
    # Hypoglycaemia: below 7.0 so "controlled", but urgent, so not three months away.
    result = assess(DM, 60, dm(glucose), None)
    assert result.classification == C.controlled
    assert result.urgent_referral
    assert not result.referral
    assert result.next_due == IN_14_DAYS


@pytest.mark.parametrize(
    "readings", [{"heart_rate": 130}, {"temperature": 39.5}, {"fasting_glucose": 20.0}]
)
def test_diabetes_only_urgent_readings_do_not_make_hypertension_urgent(readings):
    result = assess(HTN, 50, htn(130, 80, **readings), None)
    assert not result.urgent_referral
    assert result.classification == C.controlled
    assert result.next_due == IN_3_MONTHS


# --- urgent referral: symptoms ---------------------------------------------------------------


@pytest.mark.parametrize("symptom", HTN_SYMPTOMS)
def test_every_hypertension_urgent_symptom(symptom):
    visit = htn(130, 80, symptoms={symptom})
    assert urgent_reasons(HTN, visit)
    result = assess(HTN, 50, visit, None)
    assert result.classification == C.controlled
    assert result.urgent_referral
    assert not result.referral
    assert any(symptom in reason for reason in result.reasons)
    assert result.next_due == IN_14_DAYS


@pytest.mark.parametrize("symptom", DM_SYMPTOMS)
def test_every_diabetes_urgent_symptom(symptom):
    visit = dm(6.0, symptoms={symptom})
    assert urgent_reasons(DM, visit)
    result = assess(DM, 50, visit, None)
    assert result.classification == C.controlled
    assert result.urgent_referral
    assert not result.referral
    assert any(symptom in reason for reason in result.reasons)
    assert result.next_due == IN_14_DAYS


@pytest.mark.parametrize("symptom", sorted(set(HTN_SYMPTOMS) - set(DM_SYMPTOMS)))
def test_hypertension_only_symptom_does_not_make_diabetes_urgent(symptom):
    visit = dm(6.0, symptoms={symptom})
    assert urgent_reasons(DM, visit) == []
    result = assess(DM, 50, visit, None)
    assert not result.urgent_referral
    assert result.reasons == ()
    assert result.next_due == IN_3_MONTHS


@pytest.mark.parametrize("symptom", sorted(set(DM_SYMPTOMS) - set(HTN_SYMPTOMS)))
def test_diabetes_only_symptom_does_not_make_hypertension_urgent(symptom):
    visit = htn(130, 80, symptoms={symptom})
    assert urgent_reasons(HTN, visit) == []
    result = assess(HTN, 50, visit, None)
    assert not result.urgent_referral
    assert result.next_due == IN_3_MONTHS


def test_the_symptom_lists_differ_where_the_issue_says():
    assert "eye_pain" in set(HTN_SYMPTOMS) - set(DM_SYMPTOMS)
    assert "acetone_breath" in set(DM_SYMPTOMS) - set(HTN_SYMPTOMS)


# --- pregnancy and lactation -----------------------------------------------------------------


@pytest.mark.parametrize("flag", ["pregnancy", "lactation"])
@pytest.mark.parametrize(
    ("sbp", "dbp", "urgent"),
    [
        (139, 89, False),
        (140, 89, True),
        (139, 90, True),
        (140, 90, True),
        (120, 70, False),
    ],
)
def test_hypertension_pregnancy_or_lactation(flag, sbp, dbp, urgent):
    result = assess(HTN, 30, htn(sbp, dbp, symptoms={flag}), None)
    assert result.urgent_referral is urgent
    expected_due = IN_14_DAYS if urgent else IN_3_MONTHS
    assert result.next_due == expected_due


@pytest.mark.parametrize(("sbp", "dbp"), [(140, 89), (139, 90)])
def test_same_hypertension_readings_without_pregnancy_are_not_urgent(sbp, dbp):
    result = assess(HTN, 30, htn(sbp, dbp), None)
    assert result.classification == C.uncontrolled
    assert not result.urgent_referral


def test_pregnant_patient_controlled_by_age_band_is_still_urgent():
    # 145/85 at 65 is controlled, but pregnancy/lactation with SBP >= 140 is urgent.
    result = assess(HTN, 65, htn(145, 85, symptoms={"lactation"}), None)
    assert result.classification == C.controlled
    assert result.urgent_referral
    assert result.next_due == IN_14_DAYS


@pytest.mark.parametrize("flag", ["pregnancy", "lactation"])
@pytest.mark.parametrize(("glucose", "urgent"), [(6.9, False), (7.0, True), (7.1, True)])
def test_diabetes_pregnancy_or_lactation(flag, glucose, urgent):
    result = assess(DM, 30, dm(glucose, symptoms={flag}), None)
    assert result.urgent_referral is urgent
    assert not assess(DM, 30, dm(glucose), None).urgent_referral


@pytest.mark.parametrize("flag", ["pregnancy", "lactation"])
def test_diabetes_pregnancy_rule_is_about_glucose_not_blood_pressure(flag):
    result = assess(DM, 30, dm(6.0, sbp=150, dbp=95, symptoms={flag}), None)
    assert not result.urgent_referral
    assert result.next_due == IN_3_MONTHS


# --- referral --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "referred"),
    [
        (None, False),
        (C.controlled, False),
        (C.uncontrolled, True),
        (C.adverse_reaction, False),
        (C.complication, False),
    ],
)
@pytest.mark.parametrize("program", ["hypertension", "diabetes"])
def test_two_uncontrolled_in_a_row_is_a_referral(program, previous, referred):
    visit = htn(150, 95) if program == "hypertension" else dm(8.5)
    result = assess(PROGRAMS[program], 50, visit, previous)
    assert result.classification == C.uncontrolled
    assert result.referral is referred
    assert not result.urgent_referral
    assert result.next_due == IN_14_DAYS
    if referred:
        assert result.reasons


@pytest.mark.parametrize("program", ["hypertension", "diabetes"])
def test_controlled_after_uncontrolled_is_not_a_referral(program):
    visit = htn(130, 80) if program == "hypertension" else dm(6.5)
    result = assess(PROGRAMS[program], 50, visit, C.uncontrolled)
    assert result.classification == C.controlled
    assert not result.referral
    assert result.next_due == IN_3_MONTHS


@pytest.mark.parametrize(
    ("visit", "previous", "urgent", "referral"),
    [
        # urgent without referral
        (htn(185, 100), None, True, False),
        (htn(130, 80, symptoms={"chest_tightness"}), C.uncontrolled, True, False),
        # referral without urgent
        (htn(120, 80, new_complication=True), None, False, True),
        (htn(160, 95), C.uncontrolled, False, True),
        # both
        (htn(190, 115, new_complication=True), None, True, True),
        (htn(185, 95), C.uncontrolled, True, True),
        (htn(150, 95, symptoms={"palpitations"}), C.uncontrolled, True, True),
        # neither
        (htn(150, 95), C.controlled, False, False),
    ],
)
def test_referral_is_independent_of_urgent_referral(visit, previous, urgent, referral):
    result = assess(HTN, 50, visit, previous)
    assert result.urgent_referral is urgent
    assert result.referral is referral
    assert result.next_due == IN_14_DAYS


def test_diabetes_urgent_and_referral_together():
    result = assess(DM, 50, dm(18.0), C.uncontrolled)
    assert result.classification == C.uncontrolled
    assert result.urgent_referral
    assert result.referral
    assert len(result.reasons) >= 2


def test_plain_controlled_visit_has_no_reasons():
    result = assess(HTN, 50, htn(128, 78), C.controlled)
    assert result.reasons == ()
    assert result.next_due == IN_3_MONTHS


# --- missing readings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("program", "visit", "missing"),
    [
        ("hypertension", htn(None, 80), "sbp"),
        ("hypertension", htn(130, None), "dbp"),
        ("diabetes", dm(None), "fasting_glucose"),
        ("diabetes", dm(None, sbp=130, dbp=80, heart_rate=70), "fasting_glucose"),
    ],
)
def test_a_visit_without_its_required_reading_is_refused(program, visit, missing):
    with pytest.raises(MissingReading) as caught:
        assess(PROGRAMS[program], 50, visit, None)
    assert caught.value.reading == missing
    assert missing in str(caught.value)


def test_both_blood_pressures_missing_names_a_blood_pressure():
    with pytest.raises(MissingReading) as caught:
        assess(HTN, 50, htn(None, None), None)
    assert caught.value.reading in {"sbp", "dbp"}


def test_readings_a_program_does_not_need_may_be_absent():
    assert assess(HTN, 50, htn(130, 80), None).classification == C.controlled
    assert assess(DM, 50, dm(6.0), None).classification == C.controlled


# --- next due date ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visit_date", "due"),
    [
        (dt.date(2019, 11, 30), dt.date(2020, 2, 29)),
        (dt.date(2018, 11, 30), dt.date(2019, 2, 28)),
        (dt.date(2019, 11, 29), dt.date(2020, 2, 29)),
        (dt.date(2018, 11, 29), dt.date(2019, 2, 28)),
        (dt.date(2019, 11, 28), dt.date(2020, 2, 28)),
        (dt.date(2019, 1, 31), dt.date(2019, 4, 30)),
        (dt.date(2019, 12, 31), dt.date(2020, 3, 31)),
        (dt.date(2019, 3, 31), dt.date(2019, 6, 30)),
        (dt.date(2019, 5, 31), dt.date(2019, 8, 31)),
        (dt.date(2019, 10, 31), dt.date(2020, 1, 31)),
        (dt.date(2019, 10, 1), dt.date(2020, 1, 1)),
        (dt.date(2020, 2, 29), dt.date(2020, 5, 29)),
        (dt.date(2099, 11, 30), dt.date(2100, 2, 28)),  # 2100 is not a leap year
        (dt.date(1999, 11, 30), dt.date(2000, 2, 29)),  # 2000 is
    ],
)
def test_three_months_clamped_to_month_end(visit_date, due):
    assert add_months(visit_date, 3) == due
    assert next_due_date(visit_date, True) == due
    # and through the rules, for a plain controlled visit on that day
    assert assess(HTN, 50, htn(130, 80, date=visit_date), None).next_due == due
    assert assess(DM, 50, dm(6.0, date=visit_date), None).next_due == due


@pytest.mark.parametrize(
    ("visit_date", "due"),
    [
        (dt.date(2019, 1, 10), dt.date(2019, 1, 24)),
        (dt.date(2019, 12, 25), dt.date(2020, 1, 8)),
        (dt.date(2019, 2, 20), dt.date(2019, 3, 6)),
        (dt.date(2020, 2, 20), dt.date(2020, 3, 5)),
        (dt.date(2019, 11, 30), dt.date(2019, 12, 14)),
    ],
)
def test_fourteen_days_otherwise(visit_date, due):
    assert next_due_date(visit_date, False) == due
    assert assess(HTN, 50, htn(150, 95, date=visit_date), None).next_due == due


# --- properties of the date arithmetic -------------------------------------------------------

dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31))


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


@settings(max_examples=300)
@given(day=dates, months=st.integers(min_value=-36, max_value=36))
def test_add_months_moves_by_month_index_and_clamps_the_day(day, months):
    result = add_months(day, months)
    assert month_index(result) == month_index(day) + months
    last = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(day.day, last)


@settings(max_examples=300)
@given(first=dates, second=dates)
def test_add_months_is_monotonic(first, second):
    early, late = sorted([first, second])
    assert add_months(early, 3) <= add_months(late, 3)
    assert next_due_date(early, True) <= next_due_date(late, True)
    assert next_due_date(early, False) <= next_due_date(late, False)


@settings(max_examples=300)
@given(day=dates)
def test_next_due_date_rules_are_exact(day):
    assert next_due_date(day, False) == day + dt.timedelta(days=14)
    three = next_due_date(day, True)
    assert three == add_months(day, 3)
    assert 89 <= (three - day).days <= 92
    assert add_months(day, 0) == day


@settings(max_examples=200)
@given(day=dates.filter(lambda d: d.day <= 28), months=st.integers(min_value=-36, max_value=36))
def test_add_months_round_trips_when_no_clamping(day, months):
    assert add_months(add_months(day, months), -months) == day


# --- the rules against the issue's text, for random visits -----------------------------------


def spec_outcome(program: str, age: int, v: Visit, previous: C | None) -> tuple[C, bool, bool]:
    """Classification, urgent, referral: written from issue 4, independently of the code."""
    pregnant = "pregnancy" in v.symptoms or "lactation" in v.symptoms
    if program == "hypertension":
        limit = 150 if age >= 65 else 140
        in_target = v.sbp < limit and v.dbp < 90
        urgent = (
            v.sbp >= 180
            or v.dbp >= 110
            or bool(v.symptoms & set(HTN_SYMPTOMS))
            or (pregnant and (v.sbp >= 140 or v.dbp >= 90))
        )
    else:
        fg = v.fasting_glucose
        in_target = fg < 7.0
        urgent = (
            fg >= 16.7
            or fg <= 3.9
            or (v.sbp is not None and v.sbp >= 180)
            or (v.dbp is not None and v.dbp >= 110)
            or (v.heart_rate is not None and v.heart_rate > 100)
            or (v.temperature is not None and v.temperature > 39)
            or bool(v.symptoms & set(DM_SYMPTOMS))
            or (pregnant and fg >= 7.0)
        )
    if v.new_complication:
        cls = C.complication
    elif v.adverse_reaction:
        cls = C.adverse_reaction
    else:
        cls = C.controlled if in_target else C.uncontrolled
    referral = cls == C.complication or (cls == C.uncontrolled and previous == C.uncontrolled)
    return cls, urgent, referral


ALL_SYMPTOMS = sorted(set(HTN_SYMPTOMS) | set(DM_SYMPTOMS) | {"pregnancy", "lactation"})


@st.composite
def visits(draw, program: str) -> Visit:
    def maybe(strategy):
        return draw(st.none() | strategy)

    sbp = draw(st.integers(90, 220))
    dbp = draw(st.integers(50, 130))
    glucose = draw(st.integers(20, 250)) / 10
    return Visit(
        date=draw(dates),
        sbp=sbp if program == "hypertension" else maybe(st.just(sbp)),
        dbp=dbp if program == "hypertension" else maybe(st.just(dbp)),
        fasting_glucose=glucose if program == "diabetes" else maybe(st.just(glucose)),
        heart_rate=maybe(st.integers(40, 160)),
        temperature=maybe(st.integers(355, 410).map(lambda t: t / 10)),
        adverse_reaction=draw(st.booleans()),
        new_complication=draw(st.integers(0, 4)) == 0,
        symptoms=frozenset(draw(st.lists(st.sampled_from(ALL_SYMPTOMS), max_size=2))),
    )


@settings(max_examples=400)
@given(
    data=st.data(),
    program=st.sampled_from(["hypertension", "diabetes"]),
    age=st.integers(35, 95),
    previous=st.none() | st.sampled_from(list(C)),
)
def test_rules_agree_with_the_issue_for_random_visits(data, program, age, previous):
    visit = data.draw(visits(program))
    cls, urgent, referral = spec_outcome(program, age, visit, previous)
    result = assess(PROGRAMS[program], age, visit, previous)
    assert result.classification == cls
    assert result.urgent_referral is urgent
    assert result.referral is referral
    if cls == C.controlled and not urgent and not referral:
        assert result.next_due == add_months(visit.date, 3)
    else:
        assert result.next_due == visit.date + dt.timedelta(days=14)
    assert bool(result.reasons) == (urgent or referral)
