"""Program definitions: one YAML file per program in ``programs/``, validated here.

Adding a program is adding a file; the rule engine (``rules.py``) reads nothing else.
"""

from __future__ import annotations

import enum
import functools
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

PROGRAM_FOLDER = Path(__file__).resolve().parent / "programs"

# The readings a follow-up can carry, and their units.
READINGS = {
    "sbp": "mmHg",
    "dbp": "mmHg",
    "fasting_glucose": "mmol/L",
    "heart_rate": "beats/min",
    "temperature": "°C",
}
# Physiologically possible values; anything outside is a typo, refused with the field named.
READING_RANGES = {
    "sbp": (40, 300),
    "dbp": (20, 200),
    "fasting_glucose": (0.5, 50.0),
    "heart_rate": (20, 250),
    "temperature": (30.0, 45.0),
}
PREGNANCY_FLAGS = ("pregnancy", "lactation")

Reading = Literal["sbp", "dbp", "fasting_glucose", "heart_rate", "temperature"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """A comparison of one reading with a threshold; an absent reading never matches."""

    field: Reading
    op: Literal["<", "<=", ">", ">="]
    value: float

    def holds(self, readings: dict[str, float | None]) -> bool:
        actual = readings.get(self.field)
        if actual is None:
            return False
        return {
            "<": actual < self.value,
            "<=": actual <= self.value,
            ">": actual > self.value,
            ">=": actual >= self.value,
        }[self.op]

    @property
    def code(self) -> str:
        return f"{self.field}{self.op}{self.value:g}"


class ControlBand(_Strict):
    min_age: int = Field(ge=0)
    all: list[Condition] = Field(min_length=1)


class Urgent(_Strict):
    any: list[Condition] = Field(default_factory=list)
    symptoms: list[str] = Field(default_factory=list)
    pregnancy_or_lactation_with: list[Condition] = Field(default_factory=list)


class Eligibility(_Strict):
    min_age: int = Field(ge=0)
    icd10: list[str] = Field(min_length=1)


class Text(_Strict):
    zh: str
    en: str


class Program(_Strict):
    code: str
    name: Text
    eligibility: Eligibility
    follow_ups_per_year: int = Field(ge=1, le=52)
    referral_department: str = Field(description="county-hospital department code")
    required_readings: list[Reading] = Field(min_length=1)
    control_bands: list[ControlBand] = Field(min_length=1)
    urgent: Urgent

    @model_validator(mode="after")
    def _bands_cover_every_age(self) -> Program:
        ages = [band.min_age for band in self.control_bands]
        if ages != sorted(ages, reverse=True) or ages[-1] != 0:
            raise ValueError("control_bands must run from the oldest min_age down to 0")
        return self

    def control_band(self, age: int) -> ControlBand:
        return next(band for band in self.control_bands if age >= band.min_age)


@functools.cache
def load_programs(folder: Path = PROGRAM_FOLDER) -> dict[str, Program]:
    """Every program definition in ``folder``, by code."""
    programs = {}
    for path in sorted(folder.glob("*.yaml")):
        program = Program.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        programs[program.code] = program
    return programs


def known_symptoms() -> frozenset[str]:
    """Every symptom code any program names, plus the pregnancy and lactation flags."""
    codes = {s for p in load_programs().values() for s in p.urgent.symptoms}
    return frozenset(codes | set(PREGNANCY_FLAGS))


ProgramCode = enum.StrEnum("ProgramCode", {code: code for code in load_programs()})
