"""NEWS2 and PEWS: every band at both sides of its boundary, the aggregate thresholds, and how
the scores reach the triage decision. The expected points are the charts' (RCP 2017, Brighton
2005 with the APLS ranges), written out here rather than read from the YAML."""

from __future__ import annotations

import pytest

from gpassist.diagnosis.triage import Level, triage
from gpassist.diagnosis.triage_scores import news2, pews

# --- NEWS2, one parameter at a time ------------------------------------------------------------

NEWS2_BANDS = [
    # (parameter, reading, points): each band's last and the next band's first reading
    *[("respiratory_rate", r, p) for r, p in [(8, 3), (9, 1), (11, 1), (12, 0), (20, 0)]],
    *[("respiratory_rate", r, p) for r, p in [(21, 2), (24, 2), (25, 3)]],
    *[("spo2", s, p) for s, p in [(91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0)]],
    ("supplemental_oxygen", False, 0),
    ("supplemental_oxygen", True, 2),
    *[("sbp", b, p) for b, p in [(90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0)]],
    *[("sbp", b, p) for b, p in [(219, 0), (220, 3)]],
    *[("heart_rate", h, p) for h, p in [(40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1)]],
    *[("heart_rate", h, p) for h, p in [(110, 1), (111, 2), (130, 2), (131, 3)]],
    *[("consciousness", c, 3) for c in ("confused", "voice", "pain", "unresponsive")],
    ("consciousness", "alert", 0),
    *[("temperature_c", t, p) for t, p in [(35.0, 3), (35.1, 1), (36.0, 1), (36.1, 0)]],
    *[("temperature_c", t, p) for t, p in [(38.0, 0), (38.1, 1), (39.0, 1), (39.1, 2)]],
]


@pytest.mark.parametrize(("parameter", "reading", "points"), NEWS2_BANDS)
def test_news2_parameter_bands(parameter, reading, points):
    vitals = {parameter: reading}
    if parameter == "supplemental_oxygen":
        vitals["spo2"] = 97  # oxygen alone is not a measurement
    score = news2(vitals)
    item = next(i for i in score.items if i.parameter == parameter)
    assert (item.value, item.points) == (reading, points)


def test_news2_lists_what_was_not_measured_and_scores_nothing_for_it():
    score = news2({"sbp": 124, "temperature_c": 38.6})
    assert score.total == 1
    assert score.missing == ("respiratory_rate", "spo2", "heart_rate", "consciousness")
    assert news2({}) is None
    assert news2({"supplemental_oxygen": False}) is None


NORMAL = {"respiratory_rate": 16, "spo2": 97, "sbp": 124, "heart_rate": 80, "temperature_c": 37}
AGGREGATES = [
    # (changes to normal adult vitals, total, band, level)
    ({}, 0, "low", "treat_here"),
    ({"respiratory_rate": 21, "temperature_c": 39.1}, 4, "low", "treat_here"),
    ({"respiratory_rate": 21, "temperature_c": 39.1, "heart_rate": 91}, 5, "medium", "refer"),
    ({"respiratory_rate": 21, "temperature_c": 39.1, "heart_rate": 111}, 6, "medium", "refer"),
    (
        {"respiratory_rate": 21, "temperature_c": 39.1, "heart_rate": 111, "spo2": 95},
        7,
        "high",
        "emergency",
    ),
    ({"respiratory_rate": 25}, 3, "low-medium", "refer"),  # a single 3
    ({"heart_rate": 91, "temperature_c": 38.1, "spo2": 94}, 3, "low", "treat_here"),
]


@pytest.mark.parametrize(("changes", "total", "band", "level"), AGGREGATES)
def test_news2_aggregate_thresholds(changes, total, band, level):
    score = news2({**NORMAL, **changes})
    assert (score.total, score.band, score.level) == (total, band, level)
    assert sum(i.points for i in score.items) == total


# --- PEWS, each age band -----------------------------------------------------------------------

# (age, APLS heart rate range, respiratory rate range)
AGE_BANDS = [
    (0, (110, 160), (30, 40)),
    (1, (100, 150), (25, 35)),
    (2, (95, 140), (25, 30)),
    (4, (95, 140), (25, 30)),
    (5, (80, 120), (20, 25)),
    (11, (80, 120), (20, 25)),
    (12, (60, 100), (15, 20)),
    (15, (60, 100), (15, 20)),
]


def _cardiovascular(age, rate):
    return next(i.points for i in pews({"heart_rate": rate}, {}, age).items)


def _respiratory(age, rate):
    return next(i.points for i in pews({"respiratory_rate": rate}, {}, age).items)


@pytest.mark.parametrize(("age", "heart", "breathing"), AGE_BANDS)
def test_pews_heart_rate_bands_by_age(age, heart, breathing):
    low, high = heart
    assert _cardiovascular(age, high) == 0
    assert _cardiovascular(age, high + 19) == 0
    assert _cardiovascular(age, high + 20) == 2  # tachycardia 20 above normal
    assert _cardiovascular(age, high + 29) == 2
    assert _cardiovascular(age, high + 30) == 3  # 30 above
    assert _cardiovascular(age, low - 20) == 0
    assert _cardiovascular(age, low - 21) == 3  # bradycardia


@pytest.mark.parametrize(("age", "heart", "breathing"), AGE_BANDS)
def test_pews_respiratory_rate_bands_by_age(age, heart, breathing):
    low, high = breathing
    assert _respiratory(age, high + 10) == 0
    assert _respiratory(age, high + 11) == 1  # more than 10 above normal
    assert _respiratory(age, high + 20) == 1
    assert _respiratory(age, high + 21) == 2  # more than 20 above
    assert _respiratory(age, low - 4) == 0
    assert _respiratory(age, low - 5) == 3  # 5 below normal


def test_pews_age_band_boundary():
    # 180/min: 20 above an infant's 160 (2), 30 above a one-year-old's 150 (3)
    assert _cardiovascular(0, 180) == 2
    assert _cardiovascular(1, 180) == 3


@pytest.mark.parametrize(
    ("vitals", "signs", "points"),
    [
        ({"consciousness": "alert"}, {}, 0),
        ({}, {"irritability": ("irritable-infant",)}, 2),
        ({}, {"lethargy": ("lethargy-child",)}, 3),
        ({"consciousness": "alert"}, {"lethargy": ("嗜睡",)}, 3),
        *[({"consciousness": c}, {}, 3) for c in ("confused", "voice", "pain", "unresponsive")],
    ],
)
def test_pews_behaviour(vitals, signs, points):
    (item,) = pews(vitals, signs, 3).items
    assert (item.parameter, item.points) == ("behaviour", points)


def test_pews_recession_and_oxygen_score_as_respiratory():
    distress = {"respiratory_distress": ("Inspiratory tri-concave sign",)}
    assert pews({}, distress, 1).items[0].points == 2
    assert pews({"supplemental_oxygen": True}, {}, 1).items[0].points == 1
    assert pews({"respiratory_rate": 30}, distress, 1).items[0].points == 2


@pytest.mark.parametrize(
    ("vitals", "total", "level"),
    [
        ({"consciousness": "alert", "heart_rate": 150, "respiratory_rate": 40}, 0, "treat_here"),
        # 3: heart 2 (160 at age 3: 20 above 140) + breathing 1 (41: 11 above 30)
        ({"heart_rate": 160, "respiratory_rate": 41}, 3, "treat_here"),
        ({"heart_rate": 160, "respiratory_rate": 51}, 4, "refer"),
        ({"heart_rate": 170}, 3, "refer"),  # a single 3
        ({"consciousness": "voice", "heart_rate": 160, "respiratory_rate": 41}, 6, "refer"),
        ({"consciousness": "voice", "heart_rate": 160, "respiratory_rate": 51}, 7, "emergency"),
    ],
)
def test_pews_aggregate_thresholds(vitals, total, level):
    score = pews(vitals, {}, 3)
    assert (score.total, score.level) == (total, level)


def test_pews_lists_missing_components_and_needs_one():
    assert pews({"heart_rate": 120}, {}, 3).missing == ("behaviour", "respiratory")
    assert pews({"sbp": 90, "temperature_c": 39}, {}, 3) is None


# --- the scores in the decision ----------------------------------------------------------------


def test_news2_from_16_pews_below_both_for_an_unknown_age():
    vitals = {"heart_rate": 100, "respiratory_rate": 18}
    assert [s.name for s in triage({}, vitals, 16).scores] == ["news2"]
    assert [s.name for s in triage({}, vitals, 15).scores] == ["pews"]
    assert [s.name for s in triage({}, vitals, None).scores] == ["news2", "pews"]


def test_a_score_is_a_reason_with_its_points_and_what_is_missing():
    decision = triage({}, {"respiratory_rate": 25, "sbp": 124}, 40)
    assert decision.level == Level.refer
    (reason,) = decision.reasons
    assert (reason.code, reason.field, reason.value) == ("news2", "score.news2", 3)
    assert "RR 25→3" in reason.en and "呼吸25→3" in reason.zh
    assert reason.missing == ("spo2", "heart_rate", "consciousness", "temperature_c")
    assert "not measured" in reason.en and "未测" in reason.zh
    assert reason.source_en.startswith("Royal College of Physicians")
    (score,) = decision.scores
    assert [(i.parameter, i.points) for i in score.items] == [("respiratory_rate", 3), ("sbp", 0)]


def test_a_low_score_is_listed_but_does_not_send_on():
    decision = triage({"cough": "present"}, NORMAL, 40)
    assert decision.level == Level.treat_here
    assert [(r.code, r.level) for r in decision.reasons] == [("news2", Level.treat_here)]


def test_news2_high_is_an_emergency_without_any_single_rule():
    vitals = {**NORMAL, "respiratory_rate": 21, "temperature_c": 39.1, "heart_rate": 111}
    decision = triage({}, {**vitals, "spo2": 95}, 50)
    assert decision.level == Level.emergency
    assert [r.code for r in decision.reasons if r.level == Level.emergency] == ["news2"]
