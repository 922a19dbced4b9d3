"""The curated interaction table and the allergy classes, validated when loaded.

``clinics/<county>/interactions.yaml`` holds the dangerous pairs of common primary-care drugs, each
with the public source it comes from (``gpassist load-clinics`` stores it in the database and the
service reads it from there, see ``service.county_interactions``). ``allergy_classes.yaml``
(beside this module) maps the names allergies are recorded under (青霉素, 头孢) to the generic
groups they cover. Both name generic groups of the drug catalog (``generic_group`` in drugs.yaml).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gpassist.clinics.schemas import CODE_PATTERN
from gpassist.clinics.schemas import Text as FileText
from gpassist.prescriptions.rules import AllergyClass, Caution, Interaction

ALLERGY_CLASSES_FILE = Path(__file__).with_name("allergy_classes.yaml")

Group = str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InteractionEntry(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    a: list[Group] = Field(min_length=1, description="generic groups on one side")
    b: list[Group] = Field(min_length=1, description="generic groups on the other side")
    effect: FileText
    source: str = Field(min_length=5, max_length=300, description="the public source")


class InteractionFile(_Strict):
    """``interactions.yaml``: dangerous pairs; a prescription holding one is refused."""

    about: str = Field(min_length=1)
    interactions: list[InteractionEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> InteractionFile:
        codes = [i.code for i in self.interactions]
        if len(codes) != len(set(codes)):
            raise ValueError("interaction codes must be unique")
        return self

    def groups(self) -> set[str]:
        return {g for i in self.interactions for g in (*i.a, *i.b)}


class AllergyClassEntry(_Strict):
    names: list[str] = Field(min_length=1)
    groups: list[Group] = Field(min_length=1)


class AllergyClassFile(_Strict):
    source: str = Field(min_length=1)
    classes: list[AllergyClassEntry] = Field(min_length=1)


def read_interactions(path: Path) -> InteractionFile:
    """A county's ``interactions.yaml``, validated."""
    return InteractionFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def read_allergy_classes(path: Path = ALLERGY_CLASSES_FILE) -> AllergyClassFile:
    return AllergyClassFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def interaction_table(file: InteractionFile) -> tuple[Interaction, ...]:
    """The pairs of an interactions file as the rules take them."""
    return tuple(
        Interaction(
            code=e.code,
            groups_a=frozenset(e.a),
            groups_b=frozenset(e.b),
            effect_zh=e.effect.zh,
            effect_en=e.effect.en,
            source=e.source,
        )
        for e in file.interactions
    )


@functools.cache
def allergy_classes() -> tuple[AllergyClass, ...]:
    return tuple(
        AllergyClass(
            names=frozenset(n.strip().lower() for n in e.names), groups=frozenset(e.groups)
        )
        for e in read_allergy_classes().classes
    )


# --- ingredient cautions (cautions.yaml) ---------------------------------------------------------

CAUTIONS_FILE = Path(__file__).with_name("cautions.yaml")


class IngredientEntry(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    name: FileText
    groups: list[Group] = Field(description="generic groups of the products that contain it")
    herbs: list[str] = Field(default_factory=list, description="crude drugs that carry it")
    source: str = Field(min_length=5, max_length=300)


class CautionEntry(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    ingredients: list[Group] = Field(min_length=1, description="ingredient codes or generic groups")
    level: Literal["refuse", "warn"]
    icd10: list[str] = Field(default_factory=list, description="ICD-10 prefixes of diagnoses")
    pregnancy: bool = False
    max_days: int | None = Field(default=None, gt=0)
    everyone: bool = False
    text: FileText
    source: str = Field(min_length=5, max_length=300)

    @model_validator(mode="after")
    def _has_a_trigger(self) -> CautionEntry:
        if not (self.icd10 or self.pregnancy or self.max_days or self.everyone):
            raise ValueError(f"caution {self.code}: say for whom (icd10, pregnancy, max_days…)")
        return self


class CautionFile(_Strict):
    """``cautions.yaml``: ingredient groups of compound products and the cautions about them."""

    source: str = Field(min_length=1)
    ingredients: list[IngredientEntry] = Field(min_length=1)
    cautions: list[CautionEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> CautionFile:
        codes = [i.code for i in self.ingredients]
        if len(codes) != len(set(codes)):
            raise ValueError("ingredient codes must be unique")
        caution_codes = [c.code for c in self.cautions]
        if len(caution_codes) != len(set(caution_codes)):
            raise ValueError("caution codes must be unique")
        return self


def read_cautions(path: Path = CAUTIONS_FILE) -> CautionFile:
    return CautionFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@functools.cache
def cautions() -> tuple[Caution, ...]:
    """The cautions as the rules take them."""
    return tuple(
        Caution(
            code=e.code,
            ingredients=frozenset(e.ingredients),
            level=e.level,
            zh=e.text.zh,
            en=e.text.en,
            source=e.source,
            icd10_prefixes=tuple(p.upper() for p in e.icd10),
            in_pregnancy=e.pregnancy,
            max_days=e.max_days,
            everyone=e.everyone,
        )
        for e in read_cautions().cautions
    )


@functools.cache
def _ingredients_by_group() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for entry in read_cautions().ingredients:
        for group in entry.groups:
            out.setdefault(group, []).append(entry.code)
    return {group: tuple(codes) for group, codes in out.items()}


def ingredients_of(generic_group: str) -> tuple[str, ...]:
    """The ingredient groups cautions.yaml records for the products of ``generic_group``."""
    return _ingredients_by_group().get(generic_group, ())
