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

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gpassist.clinics.schemas import CODE_PATTERN
from gpassist.clinics.schemas import Text as FileText
from gpassist.prescriptions.rules import AllergyClass, Interaction

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
