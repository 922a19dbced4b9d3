"""Doses in the product's own units: pure functions, no database, no Flask.

A village doctor writes "每次 1 片" (one tablet), not "500 mg". Each catalog product has a
*dose form*: the unit a dose is counted in (片, 粒, 袋, 丸, 支, ml, 揿, 单位), how much of the
active ingredient one such unit holds (in the product's ``dose_unit``, the unit the dose limits
are written in), and the smallest part a unit may be divided into (½ 片 for a plain tablet,
1 for a capsule, a sachet or a modified-release tablet, which must not be split).

The dose form is derived from the catalog's form, dispensing unit and strength
(:func:`derive_dose_form`); ``drugs.yaml`` may override it per product (``dose_form:``). The
prescribing rules still check limits on the ingredient amount: ``count × amount``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

_TOLERANCE = 1e-6  # relative slack when a count is compared with a step

# dose units that are the product's own unit: one dose-form unit is one dose unit
_OWN_UNITS = {
    "tab": ("片", "tablet"),
    "cap": ("粒", "capsule"),
    "pill": ("丸", "pill"),
    "puff": ("吸", "puff"),
    "plaster": ("贴", "plaster"),
    "sachet": ("袋", "sachet"),
    "bottle": ("瓶", "bottle"),
    "amp": ("支", "ampoule"),
    "tube": ("支", "tube"),
    "can": ("瓶", "can"),
    "vial": ("瓶", "vial"),
    "enema": ("支", "enema"),
}
_SOLID_UNITS = {"片", "粒", "丸", "袋", "贴"}
_CONTAINERS = {"瓶", "支"}
# tablets that must be swallowed whole or are not meant to be split
_WHOLE_TABLET_WORDS = ("缓释", "控释", "肠溶", "咀嚼", "泡腾", "阴道", "口腔崩解", "含片", "舌下")
_DROPS_WORDS = ("滴眼", "滴鼻", "滴耳", "滴剂")
_VOLUME = re.compile(r"(\d+(?:\.\d+)?)\s*ml", re.IGNORECASE)
_PER_PUFF = re.compile(r"(\d+(?:\.\d+)?)\s*(μg|ug|mcg|mg)\s*/\s*(揿|吸|喷)")
_FIRST_MASS = re.compile(r"\d(?:\.\d+)?\s*(mg|μg|mcg|ug|g)(?![a-zA-Z])")
_MASS_IN_MG = {"mcg": 0.001, "μg": 0.001, "ug": 0.001, "mg": 1.0, "g": 1000.0}


@dataclass(frozen=True)
class DoseForm:
    """The unit a dose of a product is counted in, the ingredient amount one unit holds (in
    the product's dose unit) and the smallest part of a unit that may be given."""

    unit_zh: str
    unit_en: str
    amount: float  # of the active ingredient per unit, in the product's dose_unit
    step: float  # the smallest divisible part: 0.5 (½ 片), 1 (whole capsules), 0.1 (0.1 ml)
    # "g" when the box prints the strength in grams (0.5 g): amounts are shown the same way
    display_unit: str | None = field(default=None, compare=False)

    def to_amount(self, count: float) -> float:
        """The ingredient amount of ``count`` units (in the product's dose unit)."""
        return count * self.amount

    def to_count(self, amount: float) -> float:
        """How many units hold ``amount`` of the ingredient."""
        return amount / self.amount

    def divisible(self, count: float) -> bool:
        """Whether ``count`` units can be given: at least the smallest part and a whole number
        of smallest parts (1½ 片 yes; 0.1 片 or 0.3 片 no)."""
        if count < self.step * (1 - _TOLERANCE):
            return False
        parts = count / self.step
        return abs(parts - round(parts)) <= _TOLERANCE * max(1.0, parts)


def derive_dose_form(
    *,
    kind: str,
    form_zh: str,
    unit_zh: str,
    unit_en: str,
    dose_unit: str,
    strength: str,
    strength_value: float,
    generic_group: str = "",
) -> DoseForm:
    """The dose form a catalog product's form, dispensing unit and strength imply.

    - a dose unit that is the product's own unit (tab, cap, pill, puff …): that unit, whole;
    - tablets, capsules, pills, sachets, plasters: the dispensing unit; plain Western tablets
      may be halved, modified-release, enteric, chewable and Chinese patent tablets may not;
    - an inhaler with a per-puff strength ("100 μg/揿"): puffs;
    - insulin: units (IU), whole;
    - an oral liquid in single-dose vials (口服液 10 ml/支): vials, halves allowed;
    - a bottle or tube of liquid, cream or ointment: ml or g of the preparation, with the
      ingredient per ml taken from the strength ("100 ml:2 g" → 20 mg/ml);
    - an injection: the ampoule or vial, in tenths (drawn with a syringe);
    - anything else: the dispensing unit, whole.
    """
    form = _derive(
        kind, form_zh, unit_zh, unit_en, dose_unit, strength, strength_value, generic_group
    )
    return DoseForm(
        form.unit_zh, form.unit_en, form.amount, form.step, display_unit(strength, dose_unit)
    )


def _derive(
    kind: str,
    form_zh: str,
    unit_zh: str,
    unit_en: str,
    dose_unit: str,
    strength: str,
    strength_value: float,
    generic_group: str,
) -> DoseForm:
    if dose_unit in _OWN_UNITS:
        zh, en = _OWN_UNITS[dose_unit]
        return DoseForm(zh, en, 1.0, 1.0)
    if unit_zh in _SOLID_UNITS:
        step = 1.0
        if unit_zh == "片" and kind == "western":
            step = 1.0 if any(w in form_zh for w in _WHOLE_TABLET_WORDS) else 0.5
        return DoseForm(unit_zh, unit_en, strength_value, step)
    puff = _PER_PUFF.search(strength)
    if puff and dose_unit in _MASS_IN_MG:
        per_puff = float(puff.group(1)) * _MASS_IN_MG[puff.group(2)] / _MASS_IN_MG[dose_unit]
        return DoseForm("揿", "puff", per_puff, 1.0)
    if dose_unit == "IU" and "insulin" in generic_group:
        return DoseForm("单位", "IU", 1.0, 1.0)
    if unit_zh in _CONTAINERS:
        return _container_form(form_zh, unit_zh, unit_en, dose_unit, strength, strength_value)
    return DoseForm(unit_zh, unit_en, strength_value, 1.0)


def _container_form(
    form_zh: str, unit_zh: str, unit_en: str, dose_unit: str, strength: str, value: float
) -> DoseForm:
    injection = "注射" in form_zh or "粉针" in form_zh
    if injection:
        return DoseForm(unit_zh, unit_en, value, 0.1)
    drops = any(w in form_zh for w in _DROPS_WORDS)
    if dose_unit == "ml":
        if unit_zh == "支" and ("口服" in form_zh or "合剂" in form_zh):
            return DoseForm(unit_zh, unit_en, value, 0.5)  # 10 ml vials of oral liquid
        return DoseForm("ml", "ml", 1.0, 0.05 if drops else 0.5)
    if dose_unit == "g":
        return DoseForm("g", "g", 1.0, 0.1)  # creams, ointments: grams of the preparation
    volume = _VOLUME.search(strength)
    if volume and float(volume.group(1)) > 0:
        per_ml = value / float(volume.group(1))
        return DoseForm("ml", "ml", per_ml, 0.05 if drops else 0.1)
    return DoseForm(unit_zh, unit_en, value, 1.0)


def format_count(count: float) -> str:
    """A count as a doctor writes it: 1, ½, 1½, 0.25, 2.5 (ml)."""
    whole, part = divmod(round(count * 100) / 100, 1)
    fraction = {0.5: "½", 0.25: "¼", 0.75: "¾"}.get(round(part, 2))
    if fraction:
        return (f"{int(whole)}" if whole else "") + fraction
    return f"{count:.4g}"


def display_unit(strength: str, dose_unit: str) -> str | None:
    """ "g" when a product dosed in mg prints its strength in grams ("0.5 g", "0.25 g/袋")."""
    first = _FIRST_MASS.search(strength)
    return "g" if dose_unit == "mg" and first and first.group(1) == "g" else None


def format_amount(amount: float, dose_unit: str, display: str | None = None) -> str:
    """An ingredient amount as the box prints it (500 mg of a "0.5 g" tablet → "0.5 g"), else
    in the largest sensible unit: 2000 mg → "2 g", 2000 mcg → "2 mg"."""
    if dose_unit == "mg" and (amount >= 1000 or display == "g"):
        return f"{amount / 1000:.4g} g"
    if dose_unit in ("mcg", "μg") and amount >= 1000:
        return f"{amount / 1000:.4g} mg"
    return f"{amount:.4g} {dose_unit}"


def dose_text(form: DoseForm, count: float, dose_unit: str, lang: str = "zh") -> str:
    """ "1 片（0.5 g）": the count in the product's unit with the ingredient amount beside it
    (only the count when the unit already is the ingredient's, e.g. 10 ml of a syrup)."""
    unit = form.unit_en if lang.startswith("en") else form.unit_zh
    counted = f"{format_count(count)} {unit}"
    if form.amount == 1.0 and _same_unit(unit, dose_unit):
        return counted
    if dose_unit in _OWN_UNITS:
        return counted
    amount = format_amount(form.to_amount(count), dose_unit, form.display_unit)
    return f"{counted}（{amount}）" if not lang.startswith("en") else f"{counted} ({amount})"


def _same_unit(unit: str, dose_unit: str) -> bool:
    return unit.lower() == dose_unit.lower() or (unit == "单位" and dose_unit == "IU")


def whole_steps(count: float, step: float) -> float:
    """``count`` rounded up to a whole number of steps (for a suggested dose)."""
    return math.ceil(count / step - _TOLERANCE) * step
