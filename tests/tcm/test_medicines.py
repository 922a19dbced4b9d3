"""The usual line of a suggested patent medicine: the catalog's daily dose in whole or half units,
three, two or one times a day."""

from __future__ import annotations

import pytest

from gpassist.clinics.loader import _drug_row
from gpassist.clinics.tables import Drug
from gpassist.prescriptions.rules import Frequency
from gpassist.tcm.medicines import DEFAULT_DAYS, usual_line
from tests.prescriptions.helpers import demo_catalog


def drug(code: str) -> Drug:
    return Drug(**_drug_row(demo_catalog()[code]), active=True)


@pytest.mark.parametrize(
    ("code", "dose", "frequency", "quantity"),
    [
        ("ganmao-qingre-gran-12g", 12, Frequency.bid, 6),  # 24 g a day, 12 g sachets
        ("fufang-danshen-dripping-pill", 10, Frequency.tid, 90),  # 30 pills a day
        ("lianhua-qingwen-cap", 4, Frequency.tid, 36),  # 12 capsules a day
        ("niuhuang-jiedu-tab", 2, Frequency.bid, 12),  # 4 tablets: not 1⅓ three times
        ("angong-niuhuang-pill", 1, Frequency.qd, 3),  # one pill a day
        ("neml18-484-1.85g-pill", 1.85, Frequency.tid, 9),  # 保济丸: one 1.85 g bottle, not 1.9 g
    ],
)
def test_the_usual_daily_dose_is_split_into_whole_or_half_units(code, dose, frequency, quantity):
    line = usual_line(drug(code))
    assert (line.dose, line.frequency, line.days, line.quantity) == (
        dose,
        frequency,
        DEFAULT_DAYS,
        quantity,
    )


def test_no_usual_dose_in_the_catalog_gives_no_line():
    product = drug("ganmao-qingre-gran-12g")
    product.usual_daily_dose = None
    assert usual_line(product) is None


def test_a_label_dosed_medicine_is_offered_at_the_labels_times_a_day():
    """感冒清热胶囊's label says 一次3粒，一日2次: the one-tap line is 3 粒 twice a day (the same 6
    粒 as 2 粒 three times, but what the box tells the patient)."""
    line = usual_line(drug("neml18-461-0.45g-cap"))
    assert (round(line.dose, 2), line.frequency, line.quantity) == (1.35, Frequency.bid, 18)
