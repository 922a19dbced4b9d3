"""Reading the registry: facilities, departments, catalog, formularies."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from gpassist.clinics.search import match_rank, normalize
from gpassist.clinics.tables import (
    Drug,
    Facility,
    FacilityKind,
    FormularyEntry,
    ServiceItem,
    Town,
)
from gpassist.errors import NotFound


def list_facilities(
    session: Session, kind: FacilityKind | None, town: str | None
) -> list[Facility]:
    """Active facilities in code order, of one kind and in one town when given."""
    query = select(Facility).where(Facility.active.is_(True)).order_by(Facility.code)
    if kind is not None:
        query = query.where(Facility.kind == kind)
    if town is not None:
        query = query.join(Town, Facility.town_id == Town.id).where(Town.code == town)
    return list(session.scalars(query))


def get_facility(session: Session, code: str) -> Facility:
    """The facility with this code; raises ``NotFound``."""
    facility = session.scalar(select(Facility).where(Facility.code == code))
    if facility is None:
        raise NotFound(
            f"No facility {code!r}.", detail_zh=f"没有编码为“{code}”的医疗机构，请检查编码。"
        )
    return facility


def list_towns(session: Session) -> list[Town]:
    """The county's towns in code order."""
    return list(session.scalars(select(Town).order_by(Town.code)))


def search_drugs(
    session: Session,
    q: str | None,
    limit: int,
    offset: int,
    clinic_id: int | None = None,
    prefer_clinic_id: int | None = None,
) -> list[Drug]:
    """Catalog drugs by name (characters, pinyin, pinyin initials, English, brand name) or
    code; with ``clinic_id``, only what that clinic stocks.

    With a query, the best matches come first: a whole name, then a name's start, then a name's
    inside; among equals what ``prefer_clinic_id`` stocks, then drugs whose dose limits are
    recorded (those without cannot be prescribed yet), then shorter names."""
    query = (
        select(Drug)
        .where(Drug.active.is_(True))
        .order_by(Drug.code)
        .options(selectinload(Drug.listings))  # the page's list marks in one more query
    )
    if clinic_id is not None:
        query = query.join(FormularyEntry, FormularyEntry.drug_id == Drug.id).where(
            FormularyEntry.facility_id == clinic_id
        )
    if not q:
        return list(session.scalars(query.limit(limit).offset(offset)))
    pattern = f"%{escape_like(q)}%"
    matches = [
        Drug.name_zh.like(pattern, escape="\\"),
        Drug.name_en.ilike(pattern, escape="\\"),
        Drug.code.ilike(pattern, escape="\\"),
        Drug.generic_group.ilike(pattern, escape="\\"),
    ]
    key = normalize(q)
    if key:  # "_" or "-" alone normalize to nothing, which must not match every key
        matches.append(Drug.search_keys.like(f"%{escape_like(key)}%", escape="\\"))
    query = query.where(or_(*matches))
    hits = list(session.scalars(query))
    preferred = formulary_ids(session, prefer_clinic_id) if prefer_clinic_id else set()

    def order(drug: Drug) -> tuple:
        rank = match_rank(drug.search_keys, q)
        return (
            3 if rank is None else rank,
            drug.id not in preferred,
            drug.max_daily_dose is None,
            len(drug.name_zh),
            drug.code,
        )

    return sorted(hits, key=order)[offset : offset + limit]


def formulary_ids(session: Session, clinic_id: int) -> set[int]:
    """The ids of the drugs a village clinic stocks."""
    return set(
        session.scalars(
            select(FormularyEntry.drug_id).where(FormularyEntry.facility_id == clinic_id)
        )
    )


def get_drug(session: Session, code: str) -> Drug:
    """The catalog drug with this code (active or not); raises ``NotFound``."""
    drug = session.scalar(select(Drug).where(Drug.code == code))
    if drug is None:
        raise NotFound(
            f"No drug {code!r} in the catalog.",
            detail_zh=f"药品目录中没有“{code}”，请从目录中选择药品。",
        )
    return drug


def list_service_items(session: Session) -> list[ServiceItem]:
    """Active billable service items (consultation, injection, ...) in code order."""
    return list(
        session.scalars(
            select(ServiceItem).where(ServiceItem.active.is_(True)).order_by(ServiceItem.code)
        )
    )


def escape_like(text: str) -> str:
    """``text`` with LIKE wildcards escaped (backslash as the escape character)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
