"""HTTP: read the county registry (any signed-in user)."""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint
from pydantic import Field

from gpassist.clinics import service
from gpassist.clinics.schemas import (
    DrugKind,
    FacilityKind,
    FacilityLevel,
    InsuranceCategory,
    PregnancySafety,
)
from gpassist.clinics.tables import Department, Drug, Facility, ServiceItem, Town
from gpassist.endpoints import endpoint, request_session
from gpassist.schemas import ApiModel, OutModel, Page, Str, Text, text_of

bp = Blueprint("clinics", __name__, url_prefix="/api/v1")
TAG = "registry"


class TownOut(OutModel):
    code: str
    name: Text

    @classmethod
    def of(cls, town: Town) -> TownOut:
        return cls(code=town.code, name=text_of(town, "name"))


class DepartmentOut(OutModel):
    code: str
    name: Text

    @classmethod
    def of(cls, d: Department) -> DepartmentOut:
        return cls(code=d.code, name=text_of(d, "name"))


class FacilityOut(OutModel):
    code: str
    name: Text
    kind: FacilityKind
    level: FacilityLevel
    town: TownOut | None
    village: Text | None
    departments: list[DepartmentOut]

    @classmethod
    def of(cls, f: Facility) -> FacilityOut:
        return cls(
            code=f.code,
            name=text_of(f, "name"),
            kind=f.kind,
            level=f.level,
            town=TownOut.of(f.town) if f.town else None,
            village=text_of(f, "village") if f.village_zh else None,
            departments=[DepartmentOut.of(d) for d in f.departments if d.active],
        )


class DrugOut(OutModel):
    code: str
    generic_name: Text
    kind: DrugKind
    form: Text
    strength: str
    strength_value: float
    dose_unit: str
    unit: Text
    pack_size: int
    pack_unit: Text
    unit_price_fen: int
    insurance_category: InsuranceCategory
    essential: bool
    generic_group: str
    usual_daily_dose: float
    max_daily_dose: float
    max_daily_dose_per_kg: float | None
    pregnancy: PregnancySafety
    tcm_syndromes: list[Text]

    @classmethod
    def of(cls, d: Drug) -> DrugOut:
        return cls(
            code=d.code,
            generic_name=text_of(d, "name"),
            kind=d.kind,
            form=text_of(d, "form"),
            strength=d.strength,
            strength_value=d.strength_value,
            dose_unit=d.dose_unit,
            unit=text_of(d, "unit"),
            pack_size=d.pack_size,
            pack_unit=text_of(d, "pack_unit"),
            unit_price_fen=d.unit_price_fen,
            insurance_category=d.insurance_category,
            essential=d.essential,
            generic_group=d.generic_group,
            usual_daily_dose=d.usual_daily_dose,
            max_daily_dose=d.max_daily_dose,
            max_daily_dose_per_kg=d.max_daily_dose_per_kg,
            pregnancy=d.pregnancy,
            tcm_syndromes=[Text(**s) for s in d.tcm_syndromes],
        )


class ServiceItemOut(OutModel):
    code: str
    name: Text
    unit: Text
    unit_price_fen: int
    insurance_category: InsuranceCategory

    @classmethod
    def of(cls, s: ServiceItem) -> ServiceItemOut:
        return cls(
            code=s.code,
            name=text_of(s, "name"),
            unit=text_of(s, "unit"),
            unit_price_fen=s.unit_price_fen,
            insurance_category=s.insurance_category,
        )


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


@endpoint(bp, "/towns", "GET", summary="Towns of the county", tag=TAG, response=TownList)
def list_towns(user):
    return TownList(items=[TownOut.of(t) for t in service.list_towns(request_session())])


@endpoint(
    bp,
    "/facilities",
    "GET",
    summary="Facilities: village clinics, health centres, hospitals, the central pharmacy",
    tag=TAG,
    query=FacilityQuery,
    response=FacilityList,
)
def list_facilities(user, query: FacilityQuery):
    found = service.list_facilities(request_session(), query.kind, query.town)
    return FacilityList(items=[FacilityOut.of(f) for f in found])


@endpoint(
    bp, "/facilities/<code:code>", "GET", summary="One facility", tag=TAG, response=FacilityOut
)
def get_facility(user, code: str):
    return FacilityOut.of(service.get_facility(request_session(), code))


@endpoint(
    bp,
    "/drugs",
    "GET",
    summary="Search the drug catalog (optionally one clinic's formulary)",
    tag=TAG,
    query=DrugQuery,
    response=DrugList,
    errors=(404,),
)
def list_drugs(user, query: DrugQuery):
    session = request_session()
    clinic_id = service.get_facility(session, query.clinic).id if query.clinic else None
    found = service.search_drugs(session, query.q, query.limit, query.offset, clinic_id)
    return DrugList(items=[DrugOut.of(d) for d in found])


@endpoint(bp, "/drugs/<code:code>", "GET", summary="One catalog drug", tag=TAG, response=DrugOut)
def get_drug(user, code: str):
    return DrugOut.of(service.get_drug(request_session(), code))


@endpoint(
    bp,
    "/service-items",
    "GET",
    summary="Billable service items",
    tag=TAG,
    response=ServiceItemList,
)
def list_service_items(user):
    items = service.list_service_items(request_session())
    return ServiceItemList(items=[ServiceItemOut.of(s) for s in items])
