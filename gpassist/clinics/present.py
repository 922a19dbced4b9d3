"""Towns, facilities, drugs and service items of the registry as response models."""

from __future__ import annotations

from gpassist.clinics.dosing import dose_form_of
from gpassist.clinics.schemas import (
    DepartmentOut,
    DoseFormOut,
    DrugOut,
    FacilityOut,
    ListingOut,
    ServiceItemOut,
    TownOut,
)
from gpassist.clinics.tables import Department, Drug, Facility, ServiceItem, Town
from gpassist.prescriptions.units import dose_text, format_count
from gpassist.schemas import Text, text_of


def town_out(town: Town) -> TownOut:
    """A town: code and name."""
    return TownOut(code=town.code, name=text_of(town, "name"))


def department_out(department: Department) -> DepartmentOut:
    """A hospital department: code and name."""
    return DepartmentOut(code=department.code, name=text_of(department, "name"))


def facility_out(f: Facility) -> FacilityOut:
    """A facility with its town, village and active departments."""
    return FacilityOut(
        code=f.code,
        name=text_of(f, "name"),
        kind=f.kind,
        level=f.level,
        town=town_out(f.town) if f.town else None,
        village=text_of(f, "village") if f.village_zh else None,
        departments=[department_out(d) for d in f.departments if d.active],
    )


def dose_hint(d: Drug) -> Text:
    """What the dose field needs to know, in words:
    "1 片（0.5 g）；最小 ½ 片；每日最多 4 片（2 g）"."""
    form = dose_form_of(d)
    parts_zh = [dose_text(form, 1, d.dose_unit), f"最小 {format_count(form.step)} {form.unit_zh}"]
    parts_en = [
        dose_text(form, 1, d.dose_unit, "en"),
        f"smallest {format_count(form.step)} {form.unit_en}",
    ]
    if d.max_single_dose is not None:
        count = form.to_count(d.max_single_dose)
        parts_zh.append(f"每次最多 {dose_text(form, count, d.dose_unit)}")
        parts_en.append(f"at most {dose_text(form, count, d.dose_unit, 'en')} a dose")
    if d.max_daily_dose is None:
        parts_zh.append("目录未录入最大日剂量，暂不能开具")
        parts_en.append("no maximum daily dose recorded: cannot be prescribed yet")
    else:
        count = form.to_count(d.max_daily_dose)
        parts_zh.append(f"每日最多 {dose_text(form, count, d.dose_unit)}")
        parts_en.append(f"at most {dose_text(form, count, d.dose_unit, 'en')} a day")
    return Text(zh="；".join(parts_zh), en="; ".join(parts_en))


def drug_out(d: Drug, formulary: set[int] | None = None) -> DrugOut:
    """A catalog drug with its strength, price, insurance category, dose limits and dose form;
    with ``formulary`` (drug ids a clinic stocks), whether it is in it."""
    form = dose_form_of(d)
    return DrugOut(
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
        essential_listings=[
            ListingOut(
                edition=e.edition,
                current=e.current,
                product=e.name,
                serial=e.serial,
                part=e.part,
                therapeutic_class=e.therapeutic_class,
                subclass=e.subclass,
                specialist_only=e.specialist_only,
            )
            for e in sorted(d.listings, key=lambda e: e.edition, reverse=True)
            if e.active
        ],
        price_synthetic=d.price_synthetic,
        insurance_estimated=d.insurance_estimated,
        generic_group=d.generic_group,
        usual_daily_dose=d.usual_daily_dose,
        max_daily_dose=d.max_daily_dose,
        max_daily_dose_per_kg=d.max_daily_dose_per_kg,
        max_single_dose=d.max_single_dose,
        dose_form=DoseFormOut(
            unit=Text(zh=form.unit_zh, en=form.unit_en), amount=form.amount, smallest=form.step
        ),
        dose_hint=dose_hint(d),
        brand_names=[Text(**b) for b in d.brand_names or []],
        in_formulary=None if formulary is None else d.id in formulary,
        pregnancy=d.pregnancy,
        tcm_syndromes=[Text(**s) for s in d.tcm_syndromes],
        dose_source=d.dose_source,
    )


def service_item_out(s: ServiceItem) -> ServiceItemOut:
    """A billable service item with its price and insurance category."""
    return ServiceItemOut(
        code=s.code,
        name=text_of(s, "name"),
        unit=text_of(s, "unit"),
        unit_price_fen=s.unit_price_fen,
        insurance_category=s.insurance_category,
    )
