"""A catalog drug's dose form (the unit a dose is counted in) and search keys, as the loader
stores them and as the prescribing rules read them."""

from __future__ import annotations

from typing import Any

from gpassist.clinics.search import search_keys
from gpassist.prescriptions.units import DoseForm, derive_dose_form, display_unit


def derived_dose_form(d: Any) -> DoseForm:
    """The dose form a drug's form, unit and strength imply (a catalog row or a ``DrugFile``)."""
    if hasattr(d, "generic_name"):  # a DrugFile
        return derive_dose_form(
            kind=str(d.kind.value),
            form_zh=d.form.zh,
            unit_zh=d.unit.zh,
            unit_en=d.unit.en,
            dose_unit=d.dose_unit,
            strength=d.strength,
            strength_value=d.strength_value,
            generic_group=d.generic_group,
        )
    return derive_dose_form(
        kind=str(d.kind.value),
        form_zh=d.form_zh,
        unit_zh=d.unit_zh,
        unit_en=d.unit_en,
        dose_unit=d.dose_unit,
        strength=d.strength,
        strength_value=d.strength_value,
        generic_group=d.generic_group,
    )


def dose_form_of(drug: Any) -> DoseForm:
    """The stored dose form of a catalog drug; derived when the row predates the columns (a
    database migrated but not reloaded since)."""
    if drug.dose_form_amount and drug.dose_form_step and drug.dose_form_zh:
        return DoseForm(
            drug.dose_form_zh,
            drug.dose_form_en or drug.dose_form_zh,
            drug.dose_form_amount,
            drug.dose_form_step,
            display_unit(drug.strength, drug.dose_unit),
        )
    return derived_dose_form(drug)


def dose_form_columns(d: Any) -> dict[str, Any]:
    """The ``drugs`` columns of a ``DrugFile``'s dose form: the file's ``dose_form`` if given,
    else the derived one."""
    if d.dose_form is not None:
        form = DoseForm(
            d.dose_form.unit.zh, d.dose_form.unit.en, d.dose_form.amount, d.dose_form.smallest
        )
    else:
        form = derived_dose_form(d)
    return {
        "dose_form_zh": form.unit_zh,
        "dose_form_en": form.unit_en,
        "dose_form_amount": form.amount,
        "dose_form_step": form.step,
    }


def drug_search_keys(d: Any, list_names: list[tuple[str, str | None]]) -> str:
    """The search keys of a ``DrugFile``: its names, the essential-list product names that cover
    it (氨氯地平 for 苯磺酸氨氯地平片) and its brand names."""
    return search_keys(
        name_zh=d.generic_name.zh,
        name_en=d.generic_name.en,
        code=d.code,
        generic_group=d.generic_group,
        other_names_zh=[zh for zh, _ in list_names] + [b.zh for b in d.brand_names],
        other_names_en=[en for _, en in list_names if en] + [b.en for b in d.brand_names],
    )
