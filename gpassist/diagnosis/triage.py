"""Triage (分诊): rules kept apart from the model. Pure functions, no database, no Flask.

The rules live in ``triage_rules.yaml``: red-flag symptoms (by their code in every vocabulary the
service knows), vital-sign thresholds, and the urgency of the conditions the model ranks in its
top three. Any rule that fires forces ``refer`` or ``emergency``; with none, ``treat_here``. The
red-flag and vital rules read only the evidence and the vitals, never the model's ranking, so a
wrong model cannot hide a red flag.
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

RULES_FILE = Path(__file__).resolve().parent / "triage_rules.yaml"


class Level(enum.StrEnum):
    treat_here = "treat_here"
    refer = "refer"
    emergency = "emergency"


SEVERITY = {Level.treat_here: 0, Level.refer: 1, Level.emergency: 2}
VITAL_FIELDS = (
    "sbp",
    "dbp",
    "heart_rate",
    "temperature_c",
    "spo2",
    "glucose_mmol_l",
    "respiratory_rate",
    "consciousness",
)
CONSCIOUSNESS = ("alert", "confused", "voice", "pain", "unresponsive")  # ACVPU


# --- the rule book, validated when loaded ----------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    zh: str
    en: str


class Sign(_Strict):
    zh: str
    en: str
    codes: tuple[str, ...] = Field(min_length=1)


class _AgeLimited(_Strict):
    min_age: int | None = Field(default=None, ge=0)
    max_age: int | None = Field(default=None, ge=0)

    def applies_at(self, age: int | None) -> bool:
        # An unknown age applies every age-limited rule: over-triage is the safe side.
        if age is None:
            return True
        if self.min_age is not None and age < self.min_age:
            return False
        return self.max_age is None or age <= self.max_age


class SymptomRule(_AgeLimited):
    code: str
    level: Literal["refer", "emergency"]
    all: tuple[str, ...] = Field(min_length=1)
    any: tuple[str, ...] = ()
    zh: str
    en: str
    source: str


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


class Escalation(_Strict):
    level: Literal["emergency"]
    any: tuple[str, ...] = Field(min_length=1)
    zh: str
    en: str


class VitalRule(_AgeLimited):
    code: str
    level: Literal["refer", "emergency"]
    when: tuple[Threshold, ...] = Field(min_length=1)
    zh: str
    en: str
    source: str
    escalate: Escalation | None = None


class ConditionRule(_Strict):
    code: str
    level: Literal["refer", "emergency"]
    urgency: Literal["emergency", "urgent"]
    top: int = Field(ge=1, le=10)
    zh: str
    en: str
    source: str


class RuleBook(_Strict):
    sources: dict[str, Source]
    signs: dict[str, Sign]
    symptom_rules: tuple[SymptomRule, ...]
    vital_rules: tuple[VitalRule, ...]
    condition_rules: tuple[ConditionRule, ...]

    @model_validator(mode="after")
    def _references_resolve(self) -> RuleBook:
        rules = (*self.symptom_rules, *self.vital_rules, *self.condition_rules)
        codes = [rule.code for rule in rules]
        if len(codes) != len(set(codes)):
            raise ValueError("rule codes must be unique")
        for rule in rules:
            if rule.source not in self.sources:
                raise ValueError(f"{rule.code}: unknown source {rule.source}")
        named = [s for r in self.symptom_rules for s in (*r.all, *r.any)]
        named += [s for r in self.vital_rules if r.escalate for s in r.escalate.any]
        unknown = sorted(set(named) - set(self.signs))
        if unknown:
            raise ValueError(f"unknown signs: {unknown}")
        return self

    @functools.cached_property
    def sign_of_code(self) -> dict[str, tuple[str, ...]]:
        """Symptom code → the red-flag signs it stands for."""
        out: dict[str, list[str]] = {}
        for name, sign in self.signs.items():
            for code in sign.codes:
                out.setdefault(code, []).append(name)
        return {code: tuple(names) for code, names in out.items()}

    def red_flag_codes(self) -> frozenset[str]:
        return frozenset(self.sign_of_code)


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
    probability: float = 1.0  # the model's posterior (unknown: counts fully, the safe side)


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


@dataclass(frozen=True)
class Decision:
    level: Level
    reasons: tuple[Reason, ...]  # most severe first


def triage(
    evidence: Mapping[str, str],
    vitals: Mapping[str, Any] | None,
    age: int | None,
    top_conditions: Sequence[RankedUrgency] = (),
    rules: RuleBook | None = None,
) -> Decision:
    """The triage level and every reason for it.

    ``evidence`` maps symptom codes (of any vocabulary) to present / absent / unknown; only
    present ones count. ``vitals`` holds any of ``VITAL_FIELDS`` (None or missing: not measured).
    ``top_conditions`` are the model's ranked conditions, best first.
    """
    book = rules or load_rules()
    present = present_signs(book, evidence)
    readings = dict(vitals or {})
    reasons = [
        *_symptom_reasons(book, present, age),
        *_vital_reasons(book, readings, present, age),
        *_condition_reasons(book, top_conditions),
    ]
    reasons.sort(key=lambda r: -SEVERITY[r.level])
    level = reasons[0].level if reasons else Level.treat_here
    return Decision(level=level, reasons=tuple(reasons))


def present_signs(book: RuleBook, evidence: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Red-flag sign → the present evidence codes that show it."""
    out: dict[str, list[str]] = {}
    for code, value in evidence.items():
        if value != "present":
            continue
        for sign in book.sign_of_code.get(code, ()):
            out.setdefault(sign, []).append(code)
    return {sign: tuple(codes) for sign, codes in out.items()}


def _reason(book: RuleBook, rule, level: str, zh: str, en: str, field: str, value) -> Reason:
    source = book.sources[rule.source]
    return Reason(
        code=rule.code,
        level=Level(level),
        zh=zh,
        en=en,
        field=field,
        value=value,
        source=rule.source,
        source_zh=source.zh,
        source_en=source.en,
    )


def _codes_for(present: Mapping[str, tuple[str, ...]], signs: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(code for sign in signs for code in present.get(sign, ())))


def _symptom_reasons(book: RuleBook, present, age: int | None) -> list[Reason]:
    reasons = []
    for rule in book.symptom_rules:
        if not rule.applies_at(age) or not all(sign in present for sign in rule.all):
            continue
        companions = [sign for sign in rule.any if sign in present]
        if rule.any and not companions:
            continue
        codes = _codes_for(present, [*rule.all, *companions])
        reasons.append(_reason(book, rule, rule.level, rule.zh, rule.en, "evidence", codes))
    return reasons


def _vital_reasons(book: RuleBook, readings, present, age: int | None) -> list[Reason]:
    # One reason per reading: SpO2 85 % is "below 90 %", not also "below 92 %".
    by_field: dict[str, Reason] = {}
    for rule in book.vital_rules:
        if not rule.applies_at(age):
            continue
        hit = next((t for t in rule.when if t.holds(readings.get(t.field))), None)
        if hit is None:
            continue
        level, zh, en = rule.level, rule.zh, rule.en
        if rule.escalate and any(sign in present for sign in rule.escalate.any):
            level, zh, en = rule.escalate.level, rule.escalate.zh, rule.escalate.en
        field = f"vitals.{hit.field}"
        reason = _reason(book, rule, level, zh, en, field, readings[hit.field])
        kept = by_field.get(field)
        if kept is None or SEVERITY[reason.level] > SEVERITY[kept.level]:
            by_field[field] = reason
    return list(by_field.values())


def _condition_reasons(book: RuleBook, ranked: Sequence[RankedUrgency]) -> list[Reason]:
    reasons = []
    for rule in book.condition_rules:
        hits = [c for c in ranked[: rule.top] if c.urgency == rule.urgency]
        if not hits:
            continue
        zh = rule.zh.format(names="、".join(c.zh for c in hits))
        en = rule.en.format(names=", ".join(c.en for c in hits))
        codes = tuple(c.code for c in hits)
        reasons.append(_reason(book, rule, rule.level, zh, en, "differential", codes))
    return reasons
