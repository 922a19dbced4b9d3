"""Label doses for the generated essential-list patent medicines (read by build_neml_catalog.py).

``tools/neml-2018-label-doses.yaml`` gives, per medicine name, the label's single dose (a count
of the product's unit, or an amount of the preparation), times a day and pregnancy note. Each
catalog row of that name gets them in its own dose unit, consistent with its strength:

- usual daily dose: the smallest single dose in whole units of the row's dose form (½ 袋 is not
  given) not below the label's lower single dose, times the lower number of times a day;
- dose form: derived from form and strength as for any row, except where a row counted in grams
  or ml of its preparation cannot give the label's single doses in its steps (保济丸 一次1.85g in
  0.1 g steps): then the row's ``dose_form`` counts whole bottles (1 瓶 of 1.85 g), or finer
  steps of the preparation (``label_dose_form``);
- maximum daily dose: the label's upper single dose times the upper number of times a day.

A row whose strength does not state one dispensing unit (每10丸重1.5g, 每1g相当于饮片3g), whose
unit is not the one the label counts, or whose smallest unit is above the label's upper single
dose (a 9 g pill for a label dose of 6 g) gets no limits and stays refused: nothing is forced.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: the pure dose-form rules of the service
    sys.path.insert(0, str(REPO))

from gpassist.prescriptions.units import DoseForm, derive_dose_form, whole_steps  # noqa: E402

COUNT_UNITS = ("袋", "粒", "片", "丸", "支", "瓶")
AMOUNT_UNITS = ("g", "ml")
_DOSE = re.compile(r"^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?(袋|粒|片|丸|支|瓶|g|ml)$")
_TIMES = re.compile(r"^(\d)(?:-(\d))?$")
_TOLERANCE = 1e-9
# dose units that are the product's own unit (the strength is not stated): counted, not weighed
_OWN_UNITS = {"tab", "cap", "pill", "sachet", "bottle", "amp", "tube", "vial"}


@dataclass(frozen=True)
class LabelDose:
    """One medicine's label dose: single dose low–high in ``unit``, times a day low–high."""

    low: float
    high: float
    unit: str
    times_low: int
    times_high: int

    def words(self) -> str:
        """The label's line as a pharmacist reads it: 一次1-2袋，一日2-3次."""
        dose = _number(self.low) + ("" if self.high == self.low else f"-{_number(self.high)}")
        times = str(self.times_low)
        if self.times_high != self.times_low:
            times += f"-{self.times_high}"
        return f"一次{dose}{self.unit}，一日{times}次"


def _number(value: float) -> str:
    return f"{value:g}"


def parse_dose(text: str) -> tuple[float, float, str]:
    """ "1-2袋" -> (1, 2, 袋); "6-9g" -> (6, 9, g); "10ml" -> (10, 10, ml)."""
    m = _DOSE.match(str(text).replace("～", "-").replace(" ", ""))
    if not m:
        raise ValueError(f"unreadable label dose {text!r}")
    low = float(m.group(1))
    high = float(m.group(2) or low)
    if high < low:
        raise ValueError(f"label dose {text!r}: the upper end is below the lower")
    return low, high, m.group(3)


def parse_times(value: int | str) -> tuple[int, int]:
    m = _TIMES.match(str(value))
    if not m:
        raise ValueError(f"unreadable times a day {value!r}")
    low = int(m.group(1))
    return low, int(m.group(2) or low)


def load(path: Path) -> dict:
    """The label-dose file, checked: every entry's dose and times must read."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for name, entry in (doc.get("medicines") or {}).items():
        doses = entry.get("by_strength", {}).values() if "by_strength" in entry else []
        for text in [entry["dose"]] if "dose" in entry else doses:
            parse_dose(text)
        parse_times(entry["times"])
        if entry.get("pregnancy") not in (None, "caution", "contraindicated"):
            raise ValueError(f"{name}: pregnancy must be caution or contraindicated")
        if entry.get("ref", "ChP") not in doc["references"]:
            raise ValueError(f"{name}: unknown reference {entry.get('ref')!r}")
    return doc


def label_dose(drug: dict, entry: dict) -> LabelDose | None:
    """The entry's dose for this row (by its strength where the label's dose differs)."""
    if "by_strength" in entry:
        text = next(
            (
                dose
                for strength, dose in entry["by_strength"].items()
                if abs(float(strength) - drug["strength_value"]) < 1e-6
            ),
            None,
        )
        if text is None:
            return None
    else:
        text = entry["dose"]
    low, high, unit = parse_dose(text)
    times_low, times_high = parse_times(entry["times"])
    return LabelDose(low, high, unit, times_low, times_high)


def states_one_unit(drug: dict) -> bool:
    """Whether the row's strength is the content of one dispensing unit (每袋装3g, 每丸重9g,
    0.45g/粒, 片芯重0.3g), not of several (每10丸重1.5g) or of the herbs (每1g相当于饮片3g). A
    row that bundles several products (每丸重3g，每100丸重5g，每袋装4g; 每丸重3g、9g) carries
    none: its label doses differ by product (a water pill's dose is not a honey pill's)."""
    if drug["dose_unit"] in _OWN_UNITS:
        return True
    whole = re.sub(r"（[^）]*）|\([^)]*\)", "", drug["strength"])
    if re.search(r"每\d|相当于|、", whole):
        return False
    named = re.findall(r"每(袋|粒|片|丸|支|瓶)", whole)
    return all(unit == drug["unit"]["zh"] for unit in named)


def _single_doses(drug: dict, dose: LabelDose) -> tuple[float, float] | None:
    """The label's single dose low–high in the row's dose unit, or None when the row's strength
    cannot carry it."""
    if not states_one_unit(drug):
        return None
    if dose.unit in COUNT_UNITS:
        if dose.unit != drug["unit"]["zh"]:
            return None
        return dose.low * drug["strength_value"], dose.high * drug["strength_value"]
    if dose.unit == drug["dose_unit"]:
        return dose.low, dose.high
    return None


def _derived_form(drug: dict) -> DoseForm:
    return derive_dose_form(
        kind="chinese_patent",
        form_zh=drug["form"]["zh"],
        unit_zh=drug["unit"]["zh"],
        unit_en=drug["unit"]["en"],
        dose_unit=drug["dose_unit"],
        strength=drug["strength"],
        strength_value=drug["strength_value"],
        generic_group=drug["generic_group"],
    )


def _in_whole_steps(amount: float, form: DoseForm) -> bool:
    return form.divisible(form.to_count(amount))


def label_dose_form(drug: dict, dose: LabelDose) -> dict | None:
    """The row's ``dose_form`` where the derived one cannot give the label's single doses, else
    None. A row counted in an amount of its preparation (g, ml) steps by a fixed part (0.1 g),
    which a label's dose need not be a whole number of (保济丸 一次1.85-3.7g): such a row is
    counted in its own dispensing unit, whole, when a whole number of them is a label dose (a
    1.85 g bottle: 1 瓶), else in the largest part of that step that the label's doses are whole
    numbers of (0.05 g). Rows counted in their own units (袋, 粒) keep them: a sachet is not
    split to reach the label's lower dose."""
    doses = _single_doses(drug, dose)
    if doses is None:
        return None
    form = _derived_form(drug)
    if form.unit_zh != drug["dose_unit"] or all(_in_whole_steps(d, form) for d in doses):
        return None
    low, high = doses
    container = drug["strength_value"]
    if whole_steps(low / container, 1.0) * container <= high * (1 + _TOLERANCE):
        return {"unit": dict(drug["unit"]), "amount": container, "smallest": 1.0}
    for parts in (2, 5, 10):
        finer = DoseForm(form.unit_zh, form.unit_en, form.amount, form.step / parts)
        if all(_in_whole_steps(d, finer) for d in doses):
            return {
                "unit": {"zh": form.unit_zh, "en": form.unit_en},
                "amount": form.amount,
                "smallest": round(finer.step, 6),
            }
    return None


def _dose_form(drug: dict, dose: LabelDose) -> DoseForm:
    written = label_dose_form(drug, dose)
    if written is None:
        return _derived_form(drug)
    unit = written["unit"]
    return DoseForm(unit["zh"], unit["en"], written["amount"], written["smallest"])


def daily_limits(drug: dict, dose: LabelDose) -> tuple[float, float, float] | None:
    """(usual daily, maximum daily, maximum single) in the row's dose unit, or None when the
    row's strength cannot carry the label's dose. The usual single dose is the label's lower
    one in whole steps of the row's dose form (``label_dose_form``). The single maximum is the
    label's upper single dose: a day's dose taken at once (连花清瘟 3 袋 once a day) is
    refused."""
    doses = _single_doses(drug, dose)
    if doses is None:
        return None
    low, high = doses
    form = _dose_form(drug, dose)
    usual_single = form.to_amount(whole_steps(form.to_count(low), form.step))
    if usual_single > high * (1 + _TOLERANCE):
        return None
    return (
        round(usual_single * dose.times_low, 6),
        round(high * dose.times_high, 6),
        round(high, 6),
    )


def apply(drugs: list[dict], doc: dict) -> dict[str, list[str]]:
    """Write each named row's label doses, pregnancy and ``dose_source`` in place; a report of
    the names with limits, the rows left without, and the file's names that match no row."""
    medicines = doc.get("medicines") or {}
    report: dict[str, list[str]] = {
        "rows with label doses": [],
        "rows counted in a unit for the label's doses": [],
        "rows left without limits": [],
    }
    seen = set()
    for drug in drugs:
        name = drug["generic_name"]["zh"]
        entry = medicines.get(name)
        if entry is None or drug["kind"] != "chinese_patent":
            continue
        seen.add(name)
        dose = label_dose(drug, entry)
        limits = daily_limits(drug, dose) if dose else None
        if limits:
            drug["usual_daily_dose"], drug["max_daily_dose"], drug["max_single_dose"] = limits
            report["rows with label doses"].append(f"{drug['code']} ({name})")
            written = label_dose_form(drug, dose)
            if written is not None:
                drug["dose_form"] = written
                report["rows counted in a unit for the label's doses"].append(
                    f"{drug['code']} ({name} {drug['strength']}: in {written['unit']['zh']}, "
                    f"smallest {written['smallest']:g})"
                )
        else:
            report["rows left without limits"].append(f"{drug['code']} ({name} {drug['strength']})")
        if entry.get("pregnancy"):
            drug["pregnancy"] = entry["pregnancy"]
        drug["dose_source"] = _source(doc, entry, dose if limits else None)
    report["names matching no row"] = sorted(set(medicines) - seen)
    return report


def _source(doc: dict, entry: dict, dose: LabelDose | None) -> dict:
    source = {"reference": doc["references"][entry.get("ref", "ChP")], "status": doc["status"]}
    if dose is not None:
        source["label"] = dose.words()
    if entry.get("children"):
        source["children"] = entry["children"]
    return source
