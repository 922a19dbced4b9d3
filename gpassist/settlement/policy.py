"""Settlement policies: versioned YAML files with an effective date, validated here.

The parameters of every payer are data, so another county's rules are another file. The engine
(``chain.py``) reads only what is defined here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gpassist.labels import LabelledEnum


class VisitType(LabelledEnum):
    outpatient = "outpatient", "普通门诊", "Outpatient"
    chronic_outpatient = "chronic_outpatient", "门诊慢特病", "Chronic-disease outpatient"
    inpatient = "inpatient", "住院", "Inpatient"


class Level(LabelledEnum):
    village = "village", "村级", "Village"
    township = "township", "乡镇级", "Township"
    county = "county", "县级", "County"
    city = "city", "市级", "City"
    province = "province", "省级", "Province"


class Payer(LabelledEnum):
    """The payers in the order they take their share."""

    basic_insurance = "basic_insurance", "城乡居民基本医保", "Basic medical insurance"
    serious_illness = "serious_illness", "大病保险", "Serious-illness insurance"
    medical_assistance = "medical_assistance", "医疗救助", "Medical assistance"
    safety_net_180 = "safety_net_180", "“180”兜底保障", "Safety net 180"
    safety_net_351 = "safety_net_351", "“351”兜底保障", "Safety net 351"


Ratio = Annotated[Decimal, Field(ge=0, le=1)]
Fen = Annotated[int, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VisitTypeRule(_Strict):
    levels: list[Level] = Field(min_length=1)
    requires_certified_chronic_disease: bool = False


class Category(_Strict):
    eligible: bool
    self_pay_ratio: Ratio = Decimal(0)


class Deductible(_Strict):
    kind: Literal["none", "per_year", "per_admission"]
    fen: Fen | None = None
    fen_by_level: dict[Level, Fen] | None = None

    @model_validator(mode="after")
    def _amount_given(self) -> Deductible:
        if self.kind == "per_year" and self.fen is None:
            raise ValueError("a per_year deductible needs fen")
        if self.kind == "per_admission" and self.fen is None and not self.fen_by_level:
            raise ValueError("a per_admission deductible needs fen or fen_by_level")
        return self

    def amount(self, level: Level) -> int:
        if self.fen_by_level is not None:
            return self.fen_by_level[level]
        return self.fen or 0


class BasicRule(_Strict):
    deductible: Deductible
    ratio: Ratio | None = None
    ratio_by_level: dict[Level, Ratio] | None = None
    annual_cap_fen: Fen

    @model_validator(mode="after")
    def _one_ratio(self) -> BasicRule:
        if (self.ratio is None) == (self.ratio_by_level is None):
            raise ValueError("give ratio or ratio_by_level, not both")
        return self

    def ratio_at(self, level: Level) -> Decimal:
        if self.ratio_by_level is not None:
            return self.ratio_by_level[level]
        assert self.ratio is not None
        return self.ratio


class SeriousIllness(_Strict):
    visit_types: list[VisitType]
    ratio: Ratio
    threshold_fen: dict[Literal["poor", "other"], Fen]


class MedicalAssistance(_Strict):
    ratio_by_visit_type: dict[VisitType, Ratio]
    annual_cap_fen: Fen


class SafetyNet180(_Strict):
    visit_types: list[VisitType]
    ratio: Ratio


class SafetyNet351(_Strict):
    visit_types: list[VisitType]
    cap_fen_by_level: dict[Level, Fen]


class Policy(_Strict):
    code: str
    effective_from: dt.date
    visit_types: dict[VisitType, VisitTypeRule]
    categories: dict[str, Category]
    basic_insurance: dict[VisitType, BasicRule]
    serious_illness: SeriousIllness
    medical_assistance: MedicalAssistance
    safety_net_180: SafetyNet180
    safety_net_351: SafetyNet351

    @model_validator(mode="after")
    def _complete(self) -> Policy:
        for visit_type, rule in self.visit_types.items():
            if visit_type not in self.basic_insurance:
                raise ValueError(f"basic_insurance has no rule for {visit_type.value}")
            per_level = self.basic_insurance[visit_type]
            for level in rule.levels:
                if per_level.ratio_by_level is not None and level not in per_level.ratio_by_level:
                    raise ValueError(
                        f"basic_insurance.{visit_type.value}: no ratio for {level.value}"
                    )
                deductible = per_level.deductible
                if deductible.fen_by_level is not None and level not in deductible.fen_by_level:
                    raise ValueError(
                        f"basic_insurance.{visit_type.value}: no deductible for {level.value}"
                    )
            if visit_type in self.safety_net_351.visit_types:
                missing = set(rule.levels) - set(self.safety_net_351.cap_fen_by_level)
                if missing:
                    raise ValueError(f"safety_net_351: no cap for {sorted(missing)}")
        return self


def load_policy(path: Path) -> Policy:
    return Policy.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def load_policies(folder: Path) -> list[Policy]:
    """Every policy file in ``folder``, oldest first."""
    policies = [load_policy(p) for p in sorted(Path(folder).glob("*.yaml"))]
    return sorted(policies, key=lambda p: p.effective_from)


def policy_in_force(policies: list[Policy], day: dt.date) -> Policy | None:
    """The policy with the latest effective date on or before ``day``."""
    in_force = [p for p in policies if p.effective_from <= day]
    return max(in_force, key=lambda p: p.effective_from) if in_force else None
