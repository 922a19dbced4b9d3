"""A prescription line's dose and frequency in words, as the page and the slip show them:
"每次 1 片（0.5 g），每日 3 次，共 3 天"."""

from __future__ import annotations

from gpassist.clinics.dosing import dose_form_of
from gpassist.clinics.schemas import DoseFormOut
from gpassist.clinics.tables import Drug
from gpassist.prescriptions.rules import Frequency
from gpassist.prescriptions.units import dose_text
from gpassist.schemas import Text


def dose_count(drug: Drug, dose: float) -> float:
    """A dose in the drug's dose unit as a count of its dose form (500 mg → 1 片)."""
    return round(dose_form_of(drug).to_count(dose), 6)


def dose_words(drug: Drug, dose: float) -> Text:
    """ "1 片（0.5 g）" / "1 tablet (0.5 g)"."""
    form = dose_form_of(drug)
    count = form.to_count(dose)
    return Text(
        zh=dose_text(form, count, drug.dose_unit, "zh"),
        en=dose_text(form, count, drug.dose_unit, "en"),
    )


def usage(drug: Drug, dose: float, frequency: Frequency, days: int) -> Text:
    """The line's use in words, Chinese and English."""
    words = dose_words(drug, dose)
    return Text(
        zh=f"每次 {words.zh}，{frequency.zh}，共 {days} 天",
        en=f"{words.en} a dose, {frequency.en.lower()}, for {days} days",
    )


def dose_form_out(drug: Drug) -> DoseFormOut:
    """The unit a dose of the drug is counted in, its ingredient amount and smallest part."""
    form = dose_form_of(drug)
    return DoseFormOut(
        unit=Text(zh=form.unit_zh, en=form.unit_en), amount=form.amount, smallest=form.step
    )


def frequency_label(frequency: Frequency) -> Text:
    """每日 3 次 / Three times a day."""
    return Text(zh=frequency.zh, en=frequency.en)
