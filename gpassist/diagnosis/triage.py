"""Triage (分诊): rules kept apart from the model. Pure functions, no database, no Flask.

The rules live in ``triage_rules.yaml``: red-flag symptoms (by their code in every vocabulary the
service knows), vital-sign thresholds, and the urgency of the conditions the model ranks, which
counts only above a stated probability. The early-warning scores (NEWS2 for adults, PEWS for
children) live in ``triage_scores.yaml`` / ``triage_scores.py``. The level is the most severe
reason; with none above ``treat_here``, ``treat_here``. The red-flag, vital and score rules read
only the evidence and the vitals, never the model's ranking, so a wrong model cannot hide a red
flag. Every decision lists its reasons, informative ones (a low score, a condition considered
but too improbable to count) at level ``treat_here``.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gpassist.diagnosis import triage_scores
from gpassist.diagnosis.triage_scores import Score, ScoreBook

RULES_FILE = Path(__file__).resolve().parent / "triage_rules.yaml"


class Level(enum.StrEnum):
    treat_here = "treat_here"
    refer = "refer"
    emergency = "emergency"


SEVERITY = {Level.treat_here: 0, Level.refer: 1, Level.emergency: 2}
URGENCY_RANK = {"routine": 0, "urgent": 1, "emergency": 2}
VITAL_FIELDS = (
    "sbp",
    "dbp",
    "heart_rate",
    "temperature_c",
    "spo2",
    "glucose_mmol_l",
    "respiratory_rate",
    "consciousness",
    "supplemental_oxygen",
)
CONSCIOUSNESS = ("alert", "confused", "voice", "pain", "unresponsive")  # ACVPU


# --- the rule book, validated when loaded ----------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    zh: str
    en: str


class _AgeLimited(_Strict):
    min_age: int | None = Field(default=None, ge=0)
    max_age: int | None = Field(default=None, ge=0)
    # Infant rules are set in months (NICE NG143: under 3 months, 3–6 months), 0–23.
    min_months: int | None = Field(default=None, ge=0, le=23)
    max_months: int | None = Field(default=None, ge=0, le=23)

    def applies_at(self, age: int | None, months: int | None = None) -> bool:
        # An unknown age applies every age-limited rule: over-triage is the safe side.
        if age is not None:
            if self.min_age is not None and age < self.min_age:
                return False
            if self.max_age is not None and age > self.max_age:
                return False
        return self._months_apply(age, months)

    def _months_apply(self, age: int | None, months: int | None) -> bool:
        if self.min_months is None and self.max_months is None:
            return True
        # Without the months, a whole-year age stands for all its months (age 0: 0–11), and
        # the rule applies if any of them is within its limits: the safe side again.
        if months is not None:
            low = high = months
        elif age is not None:
            low, high = 12 * age, 12 * age + 11
        else:
            return True
        above_min = self.min_months is None or high >= self.min_months
        below_max = self.max_months is None or low <= self.max_months
        return above_min and below_max


class Threshold(_Strict):
    field: Literal[
        "sbp",
        "dbp",
        "heart_rate",
        "temperature_c",
        "spo2",
        "glucose_mmol_l",
        "respiratory_rate",
        "consciousness",
        "supplemental_oxygen",
    ]
    op: Literal["<", "<=", ">", ">=", "in"]
    value: float | tuple[str, ...]

    def holds(self, reading: Any) -> bool:
        if reading is None:
            return False
        if self.op == "in":
            return reading in self.value  # type: ignore[operator]
        if isinstance(reading, str):
            return False
        limit = float(self.value)  # type: ignore[arg-type]
        return {
            "<": reading < limit,
            "<=": reading <= limit,
            ">": reading > limit,
            ">=": reading >= limit,
        }[self.op]


class Sign(_Strict):
    """A red-flag finding: any of its evidence codes present, or (``when``) a reading that shows
    it, e.g. fever from a temperature of 37.3 °C or more."""

    zh: str
    en: str
    codes: tuple[str, ...] = ()
    when: tuple[Threshold, ...] = ()

    @model_validator(mode="after")
    def _shown_somehow(self) -> Sign:
        if not self.codes and not self.when:
            raise ValueError("a sign needs codes or a reading (when)")
        return self


class Escalation(_Strict):
    level: Literal["emergency"]
    any: tuple[str, ...] = Field(min_length=1)
    zh: str
    en: str


class SymptomRule(_AgeLimited):
    code: str
    level: Literal["refer", "emergency"]
    all: tuple[str, ...] = Field(min_length=1)
    any: tuple[str, ...] = ()
    zh: str
    en: str
    source: str
    escalate: Escalation | None = None


class Exception_(_Strict):
    """A stated exception that lowers a vital rule: one of the ``any`` modifiers present and every
    ``when`` reading holding, e.g. known COPD with SpO2 88–91 % (NEWS2 SpO2 scale 2)."""

    level: Literal["refer"]
    any: tuple[str, ...] = Field(min_length=1)
    when: tuple[Threshold, ...] = Field(min_length=1)
    zh: str
    en: str
    source: str


class VitalRule(_AgeLimited):
    code: str
    level: Literal["refer", "emergency"]
    when: tuple[Threshold, ...] = Field(min_length=1)
    with_any: tuple[str, ...] = ()  # fires only with one of these signs present (e.g. fever)
    zh: str
    en: str
    source: str
    escalate: Escalation | None = None
    unless: Exception_ | None = None


class ConditionRule(_Strict):
    """The ranked conditions of at least ``urgency`` (an emergency condition is also urgent), or
    of ``care: refer`` (not managed at a village clinic alone), count when together, each at
    ``min_each`` or more, they reach ``min_probability``; the others the rule names are listed as
    considered (``considered_zh``/``_en``) at treat_here."""

    code: str
    level: Literal["refer", "emergency"]
    urgency: Literal["emergency", "urgent"] | None = None
    care: Literal["refer"] | None = None
    top: int = Field(ge=1, le=10)
    min_probability: float = Field(gt=0, le=1)
    min_each: float = Field(gt=0, le=1)
    zh: str
    en: str
    considered_code: str
    considered_zh: str
    considered_en: str
    source: str

    @model_validator(mode="after")
    def _one_criterion(self) -> ConditionRule:
        if (self.urgency is None) == (self.care is None):
            raise ValueError(f"{self.code}: give either urgency or care")
        return self

    @property
    def rank(self) -> int:
        """Most severe first; a care rule last, after the urgency rules have claimed theirs."""
        return URGENCY_RANK[self.urgency] if self.urgency else -1

    def counts(self, condition: RankedUrgency) -> bool:
        if self.care is not None:
            return condition.care == self.care
        return URGENCY_RANK.get(condition.urgency, 0) >= URGENCY_RANK[self.urgency]

    def names(self, condition: RankedUrgency) -> bool:
        """Listed as considered when too improbable to count."""
        return self.counts(condition) if self.care else condition.urgency == self.urgency


class RuleBook(_Strict):
    sources: dict[str, Source]
    signs: dict[str, Sign]
    # Findings that only ever lower a rule through a stated exception (known COPD); kept apart
    # from the red-flag signs, which only ever raise the level.
    modifiers: dict[str, Sign] = {}
    symptom_rules: tuple[SymptomRule, ...]
    vital_rules: tuple[VitalRule, ...]
    condition_rules: tuple[ConditionRule, ...]

    @model_validator(mode="after")
    def _references_resolve(self) -> RuleBook:
        rules = (*self.symptom_rules, *self.vital_rules, *self.condition_rules)
        codes = [rule.code for rule in rules]
        if len(codes) != len(set(codes)):
            raise ValueError("rule codes must be unique")
        exceptions = [r.unless for r in self.vital_rules if r.unless]
        for rule in (*rules, *exceptions):
            if rule.source not in self.sources:
                raise ValueError(f"{getattr(rule, 'code', 'unless')}: unknown source {rule.source}")
        unknown_modifiers = sorted({m for e in exceptions for m in e.any} - set(self.modifiers))
        if unknown_modifiers:
            raise ValueError(f"unknown modifiers: {unknown_modifiers}")
        if set(self.modifiers) & set(self.signs):
            raise ValueError("a modifier cannot also be a red-flag sign")
        named = [s for r in self.symptom_rules for s in (*r.all, *r.any)]
        named += [s for r in self.vital_rules for s in r.with_any]
        escalations = [r.escalate for r in (*self.symptom_rules, *self.vital_rules) if r.escalate]
        named += [s for e in escalations for s in e.any]
        unknown = sorted(set(named) - set(self.signs))
        if unknown:
            raise ValueError(f"unknown signs: {unknown}")
        return self

    @functools.cached_property
    def sign_of_code(self) -> dict[str, tuple[str, ...]]:
        """Symptom code → the red-flag signs (and modifiers) it stands for."""
        out: dict[str, list[str]] = {}
        for name, sign in (*self.signs.items(), *self.modifiers.items()):
            for code in sign.codes:
                out.setdefault(code, []).append(name)
        return {code: tuple(names) for code, names in out.items()}

    def red_flag_codes(self) -> frozenset[str]:
        """The codes of the red-flag signs (which only raise the level), not the modifiers."""
        return frozenset(code for sign in self.signs.values() for code in sign.codes)

    def modifier_codes(self) -> frozenset[str]:
        return frozenset(code for sign in self.modifiers.values() for code in sign.codes)


@functools.cache
def load_rules(path: Path = RULES_FILE) -> RuleBook:
    """The rule book in ``path``; a broken file is an error at start, not at the first patient."""
    return RuleBook.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


# --- deciding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankedUrgency:
    """What triage needs of one ranked condition."""

    code: str
    zh: str
    en: str
    urgency: str  # emergency | urgent | routine
    probability: float  # the model's posterior, 0–1: urgency counts only above the rule's limit
    care: str = "village"  # refer: a village clinic does not manage it alone (conditions.csv)


@dataclass(frozen=True)
class Reason:
    code: str
    level: Level
    zh: str
    en: str
    field: str  # where the trigger is: "vitals.sbp", "evidence", "differential"
    value: float | str | tuple[str, ...]  # the reading, the present codes, or condition codes
    source: str
    source_zh: str
    source_en: str
    missing: tuple[str, ...] = ()  # a score's parameters that were not measured


@dataclass(frozen=True)
class Decision:
    level: Level
    reasons: tuple[Reason, ...]  # most severe first
    scores: tuple[Score, ...] = ()  # NEWS2 / PEWS with their points, for the page to show


def triage(
    evidence: Mapping[str, str],
    vitals: Mapping[str, Any] | None,
    age: int | None,
    top_conditions: Sequence[RankedUrgency] = (),
    rules: RuleBook | None = None,
    scores: ScoreBook | None = None,
    age_months: int | None = None,
) -> Decision:
    """The triage level, every reason for it and the early-warning scores.

    ``evidence`` maps symptom codes (of any vocabulary) to present / absent / unknown; only
    present ones count. ``vitals`` holds any of ``VITAL_FIELDS`` (None or missing: not measured).
    ``top_conditions`` are the model's ranked conditions, best first, with their probabilities.
    ``age_months`` (0–23, optional) refines an infant's age for the rules set in months.
    """
    book = rules or load_rules()
    if age_months is not None and not 0 <= age_months <= 23:
        raise ValueError("age_months must be 0-23")
    if age is None and age_months is not None:
        age = age_months // 12
    readings = {name: value for name, value in (vitals or {}).items() if value is not None}
    present = present_signs(book, evidence, readings)
    warning = _scores(scores, readings, present, age)
    reasons = [
        *_symptom_reasons(book, present, age, age_months),
        *_vital_reasons(book, readings, present, age, age_months),
        *(_score_reason(score) for score in warning),
        *_condition_reasons(book, top_conditions),
    ]
    reasons.sort(key=lambda r: -SEVERITY[r.level])
    level = reasons[0].level if reasons else Level.treat_here
    return Decision(level=level, reasons=tuple(reasons), scores=tuple(warning))


def present_signs(
    book: RuleBook, evidence: Mapping[str, str], readings: Mapping[str, Any] | None = None
) -> dict[str, tuple[str, ...]]:
    """Red-flag sign → what shows it: the present evidence codes, and ``field=reading`` for a
    sign a vital sign shows (fever from the temperature)."""
    out: dict[str, list[str]] = {}
    for code, value in evidence.items():
        if value != "present":
            continue
        for sign in book.sign_of_code.get(code, ()):
            out.setdefault(sign, []).append(code)
    for name, sign in (*book.signs.items(), *book.modifiers.items()):
        hit = next((t for t in sign.when if t.holds((readings or {}).get(t.field))), None)
        if hit is not None:
            out.setdefault(name, []).append(f"{hit.field}={readings[hit.field]}")
    return {sign: tuple(codes) for sign, codes in out.items()}


def _excepted(unless: Exception_ | None, readings, present) -> bool:
    if unless is None or not any(m in present for m in unless.any):
        return False
    return all(t.holds(readings.get(t.field)) for t in unless.when)


def _reason(book: RuleBook, rule, level, zh, en, field, value, source_key=None) -> Reason:
    source_key = source_key or rule.source
    source = book.sources[source_key]
    return Reason(
        code=rule.code,
        level=Level(level),
        zh=zh,
        en=en,
        field=field,
        value=value,
        source=source_key,
        source_zh=source.zh,
        source_en=source.en,
    )


def _codes_for(present: Mapping[str, tuple[str, ...]], signs: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(code for sign in signs for code in present.get(sign, ())))


def _symptom_reasons(book: RuleBook, present, age: int | None, months=None) -> list[Reason]:
    reasons = []
    for rule in book.symptom_rules:
        if not rule.applies_at(age, months) or not all(sign in present for sign in rule.all):
            continue
        companions = [sign for sign in rule.any if sign in present]
        if rule.any and not companions:
            continue
        level, zh, en, signs = rule.level, rule.zh, rule.en, [*rule.all, *companions]
        escalators = [s for s in rule.escalate.any if s in present] if rule.escalate else []
        if escalators:
            level, zh, en = rule.escalate.level, rule.escalate.zh, rule.escalate.en
            signs += escalators
        codes = _codes_for(present, signs)
        reasons.append(_reason(book, rule, level, zh, en, "evidence", codes))
    return reasons


def _vital_reasons(book: RuleBook, readings, present, age: int | None, months=None) -> list:
    # One reason per reading: SpO2 85 % is "below 92 %", not also "94 % or below".
    by_field: dict[str, Reason] = {}
    for rule in book.vital_rules:
        if not rule.applies_at(age, months):
            continue
        if rule.with_any and not any(sign in present for sign in rule.with_any):
            continue
        hit = next((t for t in rule.when if t.holds(readings.get(t.field))), None)
        if hit is None:
            continue
        level, zh, en, source = rule.level, rule.zh, rule.en, rule.source
        if rule.escalate and any(sign in present for sign in rule.escalate.any):
            level, zh, en = rule.escalate.level, rule.escalate.zh, rule.escalate.en
        elif _excepted(rule.unless, readings, present):
            level, zh, en, source = (
                rule.unless.level,
                rule.unless.zh,
                rule.unless.en,
                rule.unless.source,
            )
        field = f"vitals.{hit.field}"
        reason = _reason(book, rule, level, zh, en, field, readings[hit.field], source)
        kept = by_field.get(field)
        if kept is None or SEVERITY[reason.level] > SEVERITY[kept.level]:
            by_field[field] = reason
    return list(by_field.values())


# --- early-warning scores ---------------------------------------------------------------------

PARAMETER_NAMES = {
    "respiratory_rate": ("呼吸", "RR"),
    "spo2": ("血氧", "SpO2"),
    "supplemental_oxygen": ("吸氧", "O2"),
    "sbp": ("收缩压", "SBP"),
    "heart_rate": ("心率", "HR"),
    "consciousness": ("意识", "ACVPU"),
    "temperature_c": ("体温", "T"),
    "behaviour": ("行为", "behaviour"),
    "cardiovascular": ("循环", "cardiovascular"),
    "respiratory": ("呼吸", "respiratory"),
}
SCORE_TITLES = {"news2": ("NEWS2评分", "NEWS2"), "pews": ("儿童早期预警评分(PEWS)", "PEWS")}
BAND_NAMES = {
    "low": ("低危", "low risk"),
    "low-medium": ("单项3分", "a single parameter scoring 3"),
    "medium": ("中危", "medium risk"),
    "high": ("高危", "high risk"),
}
LEVEL_ADVICE = {
    "treat_here": (
        "可在本诊所处理，离开前复测生命体征",
        "treat here; recheck the vitals before the patient leaves",
    ),
    "refer": ("当日转诊上级医院", "refer today"),
    "emergency": ("立即呼叫120", "call 120"),
}


def _scores(book: ScoreBook | None, readings, present, age: int | None) -> list[Score]:
    """NEWS2 from 16 years, PEWS under 16; both for an unknown age."""
    book = book or triage_scores.load_scores()
    out = []
    if age is None or age >= book.news2.min_age:
        out.append(triage_scores.news2(readings, book))
    if age is None or age <= book.pews.max_age:
        out.append(triage_scores.pews(readings, present, age, book))
    return [score for score in out if score is not None]


def _name(parameter: str, language: int) -> str:
    return PARAMETER_NAMES[parameter][language]


def _score_reason(score: Score) -> Reason:
    """The score as a reason: total, band, advice, each parameter's points and what is missing."""
    title_zh, title_en = SCORE_TITLES[score.name]
    band_zh, band_en = BAND_NAMES[score.band]
    advice_zh, advice_en = LEVEL_ADVICE[score.level]
    parts_zh = "，".join(f"{_name(i.parameter, 0)}{i.value}→{i.points}" for i in score.items)
    parts_en = ", ".join(f"{_name(i.parameter, 1)} {i.value}→{i.points}" for i in score.items)
    zh = f"{title_zh} {score.total}分（{band_zh}：{parts_zh}），{advice_zh}"
    en = f"{title_en} {score.total} ({band_en}: {parts_en}); {advice_en}"
    if score.missing:
        zh += "；未测：" + "、".join(_name(m, 0) for m in score.missing)
        en += "; not measured: " + ", ".join(_name(m, 1) for m in score.missing)
    return Reason(
        code=score.name,
        level=Level(score.level),
        zh=zh,
        en=en,
        field=f"score.{score.name}",
        value=score.total,
        source=score.source,
        source_zh=score.source_zh,
        source_en=score.source_en,
        missing=score.missing,
    )


# --- the model's ranking ----------------------------------------------------------------------


def _condition_reasons(book: RuleBook, ranked: Sequence[RankedUrgency]) -> list[Reason]:
    """A ranked condition's urgency sets the level only when probable enough (see the rules);
    the improbable ones are listed as considered, at treat_here. The most severe rule that
    counts a condition claims it, so a counted emergency is not also 'considered' for refer."""
    reasons, claimed = [], set()
    for rule in sorted(book.condition_rules, key=lambda r: -r.rank):
        candidates = [c for c in ranked[: rule.top] if rule.counts(c) and c.code not in claimed]
        counted = [c for c in candidates if c.probability >= rule.min_each]
        if counted and sum(c.probability for c in counted) >= rule.min_probability:
            reason = _condition_reason(book, rule, counted, rule.level, rule.code, rule.zh, rule.en)
            reasons.append(reason)
            claimed |= {c.code for c in counted}
            continue
        considered = [c for c in candidates if rule.names(c)]
        if considered:
            reasons.append(
                _condition_reason(
                    book,
                    rule,
                    considered,
                    Level.treat_here,
                    rule.considered_code,
                    rule.considered_zh,
                    rule.considered_en,
                )
            )
    return reasons


def _condition_reason(book, rule, conditions, level, code, zh, en) -> Reason:
    names_zh = "、".join(f"{c.zh} {c.probability:.0%}" for c in conditions)
    names_en = ", ".join(f"{c.en} {c.probability:.0%}" for c in conditions)
    source = book.sources[rule.source]
    return Reason(
        code=code,
        level=Level(level),
        zh=zh.format(names=names_zh, limit=f"{rule.min_probability:.0%}"),
        en=en.format(names=names_en, limit=f"{rule.min_probability:.0%}"),
        field="differential",
        value=tuple(c.code for c in conditions),
        source=rule.source,
        source_zh=source.zh,
        source_en=source.en,
    )
