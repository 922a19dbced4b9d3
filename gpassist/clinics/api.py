"""HTTP: read the county registry (any signed-in user)."""

from __future__ import annotations

from flask import Blueprint

from gpassist.auth.tables import Role
from gpassist.clinics import service
from gpassist.clinics.present import drug_out, facility_out, service_item_out, town_out
from gpassist.clinics.schemas import (
    DrugList,
    DrugOut,
    DrugQuery,
    FacilityList,
    FacilityOut,
    FacilityQuery,
    ServiceItemList,
    TownList,
)
from gpassist.endpoints import endpoint, request_session

bp = Blueprint("clinics", __name__, url_prefix="/api/v1")
TAG = "registry"


@endpoint(bp, "/towns", "GET", summary="Towns of the county", tag=TAG, response=TownList)
def list_towns(user):
    return TownList(items=[town_out(t) for t in service.list_towns(request_session())])


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
    return FacilityList(items=[facility_out(f) for f in found])


@endpoint(
    bp, "/facilities/<code:code>", "GET", summary="One facility", tag=TAG, response=FacilityOut
)
def get_facility(user, code: str):
    return facility_out(service.get_facility(request_session(), code))


@endpoint(
    bp,
    "/drugs",
    "GET",
    summary="Search the drug catalog by name, pinyin, pinyin initials (aldp → 氨氯地平), English, "
    "brand name or code, best matches first (optionally one clinic's formulary only)",
    tag=TAG,
    query=DrugQuery,
    response=DrugList,
    errors=(404,),
)
def list_drugs(user, query: DrugQuery):
    session = request_session()
    clinic_id = service.get_facility(session, query.clinic).id if query.clinic else None
    # a village doctor's own clinic formulary ranks first and is marked on each drug
    own = user.clinic_id if user.role == Role.village_doctor else None
    found = service.search_drugs(
        session, query.q, query.limit, query.offset, clinic_id, prefer_clinic_id=own
    )
    formulary = service.formulary_ids(session, own) if own else None
    return DrugList(items=[drug_out(d, formulary) for d in found])


@endpoint(bp, "/drugs/<code:code>", "GET", summary="One catalog drug", tag=TAG, response=DrugOut)
def get_drug(user, code: str):
    return drug_out(service.get_drug(request_session(), code))


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
    return ServiceItemList(items=[service_item_out(s) for s in items])
