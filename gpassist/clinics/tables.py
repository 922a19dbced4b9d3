"""Registry tables, loaded from ``clinics/<county>/*.yaml`` by ``gpassist load-clinics``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpassist.clinics.schemas import (
    DrugKind,
    FacilityKind,
    FacilityLevel,
    InsuranceCategory,
    ListPart,
    PregnancySafety,
)
from gpassist.db import Base, BigId, JsonDoc, str_enum

__all__ = [
    "County",
    "CountyEpidemiology",
    "Department",
    "Drug",
    "EssentialMedicine",
    "EssentialMedicineDrug",
    "Facility",
    "FacilityKind",
    "FacilityLevel",
    "FormularyEntry",
    "ServiceItem",
    "Town",
]


class County(Base):
    __tablename__ = "counties"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    province_zh: Mapped[str] = mapped_column(String(200))
    province_en: Mapped[str] = mapped_column(String(200))
    synthetic: Mapped[bool] = mapped_column(Boolean)
    # A synthetic county's demo data is dated for this day (seed-demo moves it to today).
    demo_as_of: Mapped[dt.date | None] = mapped_column(Date)


class Town(Base):
    __tablename__ = "towns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))


class Facility(Base):
    """A village clinic, township health centre, hospital or the central pharmacy."""

    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[FacilityKind] = mapped_column(str_enum(FacilityKind))
    level: Mapped[FacilityLevel] = mapped_column(str_enum(FacilityLevel))
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"))
    village_zh: Mapped[str | None] = mapped_column(String(200))
    village_en: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    town: Mapped[Town | None] = relationship(lazy="joined")
    departments: Mapped[list[Department]] = relationship(
        back_populates="facility", order_by="Department.code"
    )


class Department(Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("facility_id", "code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    code: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    facility: Mapped[Facility] = relationship(back_populates="departments", lazy="joined")


class Drug(Base):
    """A catalog drug. Prices are integer fen per dispensing unit."""

    __tablename__ = "drugs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[DrugKind] = mapped_column(str_enum(DrugKind))
    form_zh: Mapped[str] = mapped_column(String(60))
    form_en: Mapped[str] = mapped_column(String(60))
    strength: Mapped[str] = mapped_column(String(60))
    strength_value: Mapped[float] = mapped_column(Float)
    dose_unit: Mapped[str] = mapped_column(String(10))
    unit_zh: Mapped[str] = mapped_column(String(20))
    unit_en: Mapped[str] = mapped_column(String(40))
    pack_size: Mapped[int] = mapped_column(Integer)
    pack_unit_zh: Mapped[str] = mapped_column(String(20))
    pack_unit_en: Mapped[str] = mapped_column(String(40))
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    insurance_category: Mapped[InsuranceCategory] = mapped_column(str_enum(InsuranceCategory))
    # on the current edition of the essential medicines list (set by the loader from the list
    # files, never written in drugs.yaml)
    essential: Mapped[bool] = mapped_column(Boolean)
    price_synthetic: Mapped[bool] = mapped_column(Boolean, default=True)
    insurance_estimated: Mapped[bool] = mapped_column(Boolean, default=True)
    generic_group: Mapped[str] = mapped_column(String(64), index=True)
    # unset: no reviewed limit; the prescribing rules refuse rather than treat it as unlimited
    usual_daily_dose: Mapped[float | None] = mapped_column(Float)
    max_daily_dose: Mapped[float | None] = mapped_column(Float)
    max_daily_dose_per_kg: Mapped[float | None] = mapped_column(Float)
    max_single_dose: Mapped[float | None] = mapped_column(Float)
    # the unit a dose is counted in (片, 粒, ml …), the ingredient per unit (in dose_unit) and the
    # smallest divisible part; set by the loader (derived from form and strength, or the file's
    # dose_form). Unset on a database not reloaded since: gpassist.clinics.dosing derives them.
    dose_form_zh: Mapped[str | None] = mapped_column(String(20))
    dose_form_en: Mapped[str | None] = mapped_column(String(40))
    dose_form_amount: Mapped[float | None] = mapped_column(Float)
    dose_form_step: Mapped[float | None] = mapped_column(Float)
    # common brand names of the generic (search aliases, shown as such): [{"zh": …, "en": …}]
    brand_names: Mapped[list[dict[str, str]]] = mapped_column(JsonDoc, default=list)
    # what the drug search matches, computed once by the loader: names in characters, pinyin
    # and pinyin initials, English, code, brand names; "|"-separated, lower case
    search_keys: Mapped[str | None] = mapped_column(Text)
    pregnancy: Mapped[PregnancySafety] = mapped_column(str_enum(PregnancySafety))
    tcm_syndromes: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    # where the dose limits come from when not entered by hand ({reference, status: machine …});
    # machine-drafted label doses are adult doses: refused for children
    dose_source: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    listings: Mapped[list[EssentialMedicine]] = relationship(
        secondary="essential_medicine_drugs", viewonly=True
    )


class EssentialMedicine(Base):
    """A product (品种) of one edition of the national essential medicines list.

    ``current`` marks the edition no other loaded edition supersedes; a superseded edition's
    products stay, so a drug keeps the history of the lists it was on.
    """

    __tablename__ = "essential_medicines"
    __table_args__ = (UniqueConstraint("edition", "product_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    edition: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[str] = mapped_column(String(64))
    serial: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    part: Mapped[ListPart] = mapped_column(str_enum(ListPart))
    therapeutic_class: Mapped[str] = mapped_column(String(200))
    subclass: Mapped[str | None] = mapped_column(String(200))
    forms_specs: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    specialist_only: Mapped[bool] = mapped_column(Boolean)
    remark: Mapped[str | None] = mapped_column(String(200))
    current: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class EssentialMedicineDrug(Base):
    """A catalog drug (one form and strength) that realises a list product."""

    __tablename__ = "essential_medicine_drugs"

    product_id: Mapped[int] = mapped_column(ForeignKey("essential_medicines.id"), primary_key=True)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"), primary_key=True)


class ServiceItem(Base):
    """A billable service: consultation, injection, dressing, a basic test, …"""

    __tablename__ = "service_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    unit_zh: Mapped[str] = mapped_column(String(20))
    unit_en: Mapped[str] = mapped_column(String(40))
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    insurance_category: Mapped[InsuranceCategory] = mapped_column(str_enum(InsuranceCategory))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FormularyEntry(Base):
    """A drug a village clinic stocks."""

    __tablename__ = "formulary_entries"

    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"), primary_key=True)


class CountyEpidemiology(Base):
    """The county's ``epidemiology.yaml`` (season and region of the diagnosis prior), as validated
    (``EpidemiologyFile.model_dump(mode="json")``). One per county; a county folder without the
    file leaves its row deactivated, and the diagnosis service then uses neutral multipliers."""

    __tablename__ = "county_epidemiology"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
