"""Pydantic models for the county registry files under ``clinics/<county>/``, and the API's.

The files are the source of truth for towns, facilities, the drug catalog, service items and
village-clinic formularies; ``gpassist load-clinics`` validates them with these models before it
writes anything. The API's query and response models follow at the end (``present.py`` builds
the responses); ``Text`` here is the files' strict text, ``ApiText`` the API's.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gpassist.labels import LabelledEnum
from gpassist.schemas import ApiModel, OutModel, Page, Str
from gpassist.schemas import Text as ApiText

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A name or message in Chinese first, English too."""

    zh: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)


class FacilityLevel(LabelledEnum):
    village = "village", "村级", "Village"
    township = "township", "乡镇级", "Township"
    county = "county", "县级", "County"
    city = "city", "市级", "City"
    province = "province", "省级", "Province"


class FacilityKind(LabelledEnum):
    village_clinic = "village_clinic", "村卫生室", "Village clinic"
    township_health_centre = "township_health_centre", "乡镇卫生院", "Township health centre"
    hospital = "hospital", "医院", "Hospital"
    central_pharmacy = "central_pharmacy", "县中心药房", "County central pharmacy"


class InsuranceCategory(enum.StrEnum):
    """A: fully eligible; B: eligible after a self-pay share; C: not covered."""

    A = "A"
    B = "B"
    C = "C"


class DrugKind(enum.StrEnum):
    western = "western"
    chinese_patent = "chinese_patent"


class PregnancySafety(enum.StrEnum):
    ok = "ok"
    caution = "caution"
    contraindicated = "contraindicated"
    # not recorded in the catalog: the prescribing rules refuse it for a pregnant patient
    unknown = "unknown"


class ListPart(enum.StrEnum):
    """The two parts of the national essential medicines list."""

    chemical = "化学药品和生物制品"
    patent = "中成药"


class TownFile(Strict):
    code: str = Field(pattern=CODE_PATTERN)
    name: Text


class DepartmentFile(Strict):
    code: str = Field(pattern=CODE_PATTERN)
    name: Text


_KIND_LEVELS = {
    FacilityKind.village_clinic: {FacilityLevel.village},
    FacilityKind.township_health_centre: {FacilityLevel.township},
    FacilityKind.hospital: {FacilityLevel.county, FacilityLevel.city, FacilityLevel.province},
    FacilityKind.central_pharmacy: {FacilityLevel.county},
}


class FacilityFile(Strict):
    code: str = Field(pattern=CODE_PATTERN)
    name: Text
    kind: FacilityKind
    level: FacilityLevel
    town: str | None = Field(default=None, description="town code; required below city level")
    village: Text | None = Field(default=None, description="the village a village clinic serves")
    departments: list[DepartmentFile] = Field(default_factory=list)

    @model_validator(mode="after")
    def _level_matches_kind(self) -> FacilityFile:
        if self.level not in _KIND_LEVELS[self.kind]:
            raise ValueError(f"a {self.kind.value} cannot have level {self.level.value}")
        if self.level in (FacilityLevel.village, FacilityLevel.township) and not self.town:
            raise ValueError(f"a {self.level.value} facility needs a town")
        if self.kind == FacilityKind.village_clinic and self.village is None:
            raise ValueError("a village clinic needs the village it serves")
        codes = [d.code for d in self.departments]
        if len(codes) != len(set(codes)):
            raise ValueError("department codes must be unique within a facility")
        return self


class CountyInfo(Strict):
    code: str = Field(pattern=CODE_PATTERN)
    name: Text
    province: Text
    synthetic: bool = Field(description="true for demo data that describes no real place")


class CountyFile(Strict):
    """``county.yaml``: the county, its towns and every facility."""

    county: CountyInfo
    towns: list[TownFile] = Field(min_length=1)
    facilities: list[FacilityFile] = Field(min_length=1)

    @model_validator(mode="after")
    def _references_resolve(self) -> CountyFile:
        _require_unique("towns", [t.code for t in self.towns])
        _require_unique("facilities", [f.code for f in self.facilities])
        towns = {t.code for t in self.towns}
        for facility in self.facilities:
            if facility.town is not None and facility.town not in towns:
                raise ValueError(f"facility {facility.code}: unknown town {facility.town!r}")
        return self


class DoseFormFile(Strict):
    """How a dose of a product is counted, where the derivation from form and strength is
    wrong or impossible: 1 片 (½ allowed) of 0.5 g; 10 ml of a syrup; 1 揿 of 100 μg."""

    unit: Text = Field(description="e.g. 片 / tablet, ml / ml, 揿 / puff")
    amount: float = Field(gt=0, description="active ingredient in one such unit, in dose_unit")
    smallest: float = Field(gt=0, le=1000, description="smallest part that may be given: 0.5 …")


class DoseSourceStatus(enum.StrEnum):
    """Who set a drug's dose limits and pregnancy note."""

    machine = "machine"  # drafted by machine from the pharmacopoeia's text; not yet reviewed
    reviewed = "reviewed"  # checked by a pharmacist against the label


class DoseSourceFile(Strict):
    """Where a drug's dose limits and pregnancy note come from, when they were not entered by
    hand: ``tools/neml-2018-label-doses.yaml`` writes ``status: machine`` on the generated
    essential-list patent medicines. The limits are the label's adult doses: the prescribing
    rules refuse such a drug for a child (no child dose is recorded)."""

    reference: str = Field(min_length=1, max_length=200, description="e.g. 《中华人民共和国药典》")
    status: DoseSourceStatus
    label: str | None = Field(
        default=None, max_length=100, description="the label's line: 一次1-2袋，一日2-3次"
    )
    children: str | None = Field(
        default=None, max_length=100, description="the label's note on children: 酌减, 遵医嘱"
    )


class DrugFile(Strict):
    code: str = Field(pattern=CODE_PATTERN)
    generic_name: Text
    kind: DrugKind
    form: Text = Field(description="dosage form, e.g. 片 / tablet")
    strength: str = Field(min_length=1, max_length=60, description="as printed, e.g. '5 mg'")
    strength_value: float = Field(gt=0, description="amount of drug per unit, in dose_unit")
    dose_unit: str = Field(min_length=1, max_length=10, description="mg, g, ml, IU, …")
    unit: Text = Field(description="the dispensing unit, e.g. 片 / tablet")
    pack_size: int = Field(gt=0, description="units per pack")
    pack_unit: Text = Field(description="e.g. 盒 / box")
    unit_price_fen: int = Field(gt=0, description="price of one dispensing unit, integer fen")
    insurance_category: InsuranceCategory
    generic_group: str = Field(
        pattern=CODE_PATTERN, description="drugs in one group may substitute for each other"
    )
    # Dose limits and pregnancy safety are left unset where no reviewed reference was at hand:
    # the prescribing rules then refuse the line (an unknown maximum is never "unlimited").
    usual_daily_dose: float | None = Field(default=None, gt=0, description="adult, in dose_unit")
    max_daily_dose: float | None = Field(default=None, gt=0, description="adult, in dose_unit")
    max_daily_dose_per_kg: float | None = Field(
        default=None, gt=0, description="children, in dose_unit per kg body weight"
    )
    max_single_dose: float | None = Field(
        default=None, gt=0, description="adult, in dose_unit; unset: the daily maximum only"
    )
    dose_form: DoseFormFile | None = Field(
        default=None,
        description="the unit a dose is counted in; unset: derived from form, unit and strength",
    )
    brand_names: list[Text] = Field(
        default_factory=list,
        max_length=10,
        description="common brand names of this generic (search aliases; the product dispensed "
        "may be another maker's)",
    )
    pregnancy: PregnancySafety = PregnancySafety.unknown
    tcm_syndromes: list[Text] = Field(default_factory=list)
    dose_source: DoseSourceFile | None = Field(
        default=None, description="unset: entered by hand; else where the limits come from"
    )

    @model_validator(mode="after")
    def _doses_consistent(self) -> DrugFile:
        usual, most = self.usual_daily_dose, self.max_daily_dose
        if usual is not None and most is not None and usual > most:
            raise ValueError("usual_daily_dose exceeds max_daily_dose")
        if self.kind == DrugKind.western and self.tcm_syndromes:
            raise ValueError("tcm_syndromes are only for Chinese patent medicines")
        return self


class DrugCatalogFile(Strict):
    """``drugs.yaml`` and each ``drugs/*.yaml``: the drug catalog, in one or more files.

    Whether a drug is on the essential medicines list is not written here: the list files
    (``essential-medicines/*.yaml``) say which catalog codes each list product covers.
    """

    source: str = Field(min_length=1, description="where the list and prices come from")
    prices_synthetic: bool = Field(description="true when the prices are made-up demo prices")
    insurance_estimated: bool = Field(
        description="true when the A/B/C categories are best-effort, not read from the NRDL"
    )
    drugs: list[DrugFile] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> DrugCatalogFile:
        _require_unique("drugs", [d.code for d in self.drugs])
        return self


class ListProductFile(Strict):
    """One product (品种) of an essential medicines list, and the catalog drugs that realise it."""

    id: str = Field(pattern=CODE_PATTERN, description="stable within the edition")
    serial: int | None = Field(default=None, gt=0, description="the list's 序号 where known")
    name: str = Field(min_length=1, max_length=200, description="品种名称 as the list prints it")
    name_en: str | None = Field(default=None, max_length=200)
    part: ListPart
    therapeutic_class: str = Field(min_length=1, max_length=200, description="二级目录")
    subclass: str | None = Field(default=None, max_length=200, description="三级目录")
    forms_specs: list[str] = Field(default_factory=list, description="剂型、规格 as printed")
    specialist_only: bool = Field(default=False, description="△: by or under a specialist")
    remark: str | None = Field(default=None, max_length=200)
    drugs: list[str] = Field(default_factory=list, description="catalog codes, one a form+strength")


class EssentialMedicinesFile(Strict):
    """``essential-medicines/<edition>.yaml``: one edition of the national essential medicines
    list. The edition that no other loaded file supersedes is the current list.
    """

    edition: str = Field(pattern=CODE_PATTERN, description='e.g. "2018"')
    title: Text
    document: str | None = Field(default=None, max_length=200, description="e.g. 国卫药政发…")
    effective_from: dt.date | None = None
    supersedes: list[str] = Field(default_factory=list, description="editions this one replaces")
    source: str = Field(min_length=1)
    products: list[ListProductFile] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> EssentialMedicinesFile:
        _require_unique("products", [p.id for p in self.products])
        if self.edition in self.supersedes:
            raise ValueError("an edition cannot supersede itself")
        return self


class ServiceItemFile(Strict):
    code: str = Field(pattern=CODE_PATTERN)
    name: Text
    unit: Text
    unit_price_fen: int = Field(gt=0)
    insurance_category: InsuranceCategory


class ServiceCatalogFile(Strict):
    """``services.yaml``: consultation, injection, dressing, basic tests, …"""

    source: str = Field(min_length=1)
    service_items: list[ServiceItemFile] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ServiceCatalogFile:
        _require_unique("service_items", [s.code for s in self.service_items])
        return self


class FormularyOverride(Strict):
    add: list[str] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)


class FormularyFile(Strict):
    """``formularies.yaml``: what each village clinic stocks.

    ``default`` is the list every village clinic stocks; ``clinics`` adds to or removes from it
    per clinic code. Drugs outside a clinic's formulary come from the central pharmacy.
    """

    default: list[str] = Field(min_length=1)
    clinics: dict[str, FormularyOverride] = Field(default_factory=dict)

    @field_validator("default")
    @classmethod
    def _default_unique(cls, codes: list[str]) -> list[str]:
        _require_unique("default", codes)
        return codes


def _require_unique(what: str, codes: list[str]) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ValueError(f"duplicate code {code!r} in {what}")
        seen.add(code)


def is_code(value: str) -> bool:
    return re.fullmatch(CODE_PATTERN, value) is not None


# --- the API's models (``api.py``) -------------------------------------------------------------


# --- epidemiology.yaml: the county's season and region for the diagnosis prior -------------

CONDITION_CODE = r"^[a-z0-9][a-z0-9-]{0,99}$"
ConditionCode = Annotated[str, Field(pattern=CONDITION_CODE)]
Multiplier = Annotated[float, Field(ge=0.0, le=50.0)]


class EpiSource(Strict):
    """Where a figure comes from: a citation (journal, year) and the page it was read from."""

    citation: str = Field(min_length=1, max_length=300)
    url: str | None = Field(default=None, max_length=500)


class SeasonEntry(Strict):
    """A condition's month-of-year multipliers on its base rate (January first; a mean near 1
    keeps the annual base rate), optionally only for an age range (e.g. HFMD in small children:
    other ages keep 1)."""

    condition: ConditionCode
    months: tuple[Multiplier, ...] = Field(min_length=12, max_length=12)
    min_age: int | None = Field(default=None, ge=0, le=120)
    max_age: int | None = Field(default=None, ge=0, le=120)
    source: str
    note: str | None = None


class EndemicEntry(Strict):
    """A condition more common here than the KB's base rate says (whole year)."""

    condition: ConditionCode
    multiplier: Multiplier
    source: str
    note: str | None = None


class AbsentConditions(Strict):
    """Conditions that do not occur in the region: their base rate × ``multiplier`` unless one of
    ``unless_present`` findings (travel) is present. ``kb_regional`` names KB ``regional`` tags
    (conditions.csv) whose conditions are all absent here."""

    multiplier: float = Field(default=1e-4, gt=0.0, le=1.0)
    unless_present: tuple[ConditionCode, ...] = ("exposure-travel",)
    kb_regional: tuple[Literal["absent-cn"], ...] = ()
    conditions: tuple[ConditionCode, ...] = ()
    source: str


class ImportedEntry(Strict):
    """A condition that reaches the county only with travellers: when one of ``when_present``
    findings is present its base rate is multiplied by ``multiplier`` (on top of lifting the
    absence), since among febrile travellers back from an endemic area it is common, not rare."""

    condition: ConditionCode
    # from the county's tier up to the share among febrile travellers: up to ×10,000
    multiplier: float = Field(gt=0.0, le=10_000.0)
    when_present: tuple[ConditionCode, ...] = Field(default=("exposure-travel",), min_length=1)
    source: str
    note: str | None = None


class EpidemiologyFile(Strict):
    """``clinics/<county>/epidemiology.yaml`` (optional): season and region of the county,
    applied by the diagnosis service on top of the model's posterior."""

    region: Text
    sources: dict[str, EpiSource] = Field(min_length=1)
    season: tuple[SeasonEntry, ...] = ()
    endemic: tuple[EndemicEntry, ...] = ()
    absent: AbsentConditions | None = None
    imported: tuple[ImportedEntry, ...] = ()

    @model_validator(mode="after")
    def _references(self) -> EpidemiologyFile:
        named = [e.source for e in (*self.season, *self.endemic, *self.imported)]
        if self.absent is not None:
            named.append(self.absent.source)
        unknown = sorted(set(named) - set(self.sources))
        if unknown:
            raise ValueError(f"unknown source(s): {', '.join(unknown)}")
        seen: set[tuple[str, int | None, int | None]] = set()
        for entry in self.season:
            key = (entry.condition, entry.min_age, entry.max_age)
            if key in seen:
                raise ValueError(f"season: {entry.condition} is listed twice for the same ages")
            seen.add(key)
            ages = (entry.min_age, entry.max_age)
            if None not in ages and ages[0] > ages[1]:  # type: ignore[operator]
                raise ValueError(f"season: {entry.condition}: min_age > max_age")
        return self


class TownOut(OutModel):
    code: str
    name: ApiText


class DepartmentOut(OutModel):
    code: str
    name: ApiText


class FacilityOut(OutModel):
    code: str
    name: ApiText
    kind: FacilityKind
    level: FacilityLevel
    town: TownOut | None
    village: ApiText | None
    departments: list[DepartmentOut]


class ListingOut(OutModel):
    """A drug's place on one edition of the essential medicines list."""

    edition: str
    current: bool
    product: str
    serial: int | None
    part: ListPart
    therapeutic_class: str
    subclass: str | None
    specialist_only: bool


class DoseFormOut(OutModel):
    unit: ApiText = Field(description="the unit a dose is counted in: 片, 粒, 袋, ml, 揿 …")
    amount: float = Field(description="active ingredient in one such unit, in dose_unit")
    smallest: float = Field(description="the smallest part that may be given (0.5: ½ 片)")


class DoseSourceOut(OutModel):
    reference: str
    status: DoseSourceStatus
    label: str | None = None
    children: str | None = None


class DrugOut(OutModel):
    code: str
    generic_name: ApiText
    kind: DrugKind
    form: ApiText
    strength: str
    strength_value: float
    dose_unit: str
    unit: ApiText
    pack_size: int
    pack_unit: ApiText
    unit_price_fen: int
    insurance_category: InsuranceCategory
    essential: bool = Field(description="on the current edition of the essential medicines list")
    essential_listings: list[ListingOut]
    price_synthetic: bool
    insurance_estimated: bool
    generic_group: str
    usual_daily_dose: float | None
    max_daily_dose: float | None
    max_daily_dose_per_kg: float | None
    max_single_dose: float | None
    dose_form: DoseFormOut = Field(description="how a dose is counted: 1 片 of 0.5 g, ½ allowed")
    dose_hint: ApiText = Field(description="1 片（0.5 g）；最小 ½ 片；每日最多 4 片（2 g）")
    brand_names: list[ApiText] = Field(
        description="common brand names of this generic (search aliases, not the maker)"
    )
    in_formulary: bool | None = Field(
        default=None, description="in the calling village doctor's clinic formulary"
    )
    pregnancy: PregnancySafety
    tcm_syndromes: list[ApiText]
    dose_source: DoseSourceOut | None = Field(
        default=None,
        description="where the dose limits come from when not entered by hand (status machine: "
        "machine-drafted from the label, not reviewed by a pharmacist)",
    )


class ServiceItemOut(OutModel):
    code: str
    name: ApiText
    unit: ApiText
    unit_price_fen: int
    insurance_category: InsuranceCategory


class TownList(OutModel):
    items: list[TownOut]


class FacilityList(OutModel):
    items: list[FacilityOut]


class DrugList(OutModel):
    items: list[DrugOut]


class ServiceItemList(OutModel):
    items: list[ServiceItemOut]


class FacilityQuery(ApiModel):
    kind: FacilityKind | None = None
    town: Annotated[Str, Field(max_length=64)] | None = None


class DrugQuery(Page):
    q: Annotated[Str, Field(max_length=100)] | None = None
    clinic: (
        Annotated[Str, Field(max_length=64, description="only drugs this village clinic stocks")]
        | None
    ) = None
