"""An infant's age in completed months (the triage rules for under 3 and 3-6 months use it)."""

from __future__ import annotations

import datetime as dt

import pytest

from gpassist.patients.schemas import months_on

D = dt.date


@pytest.mark.parametrize(
    ("born", "day", "months"),
    [
        (D(2026, 10, 6), D(2026, 12, 6), 2),  # the day it turns 2 months
        (D(2026, 10, 6), D(2026, 12, 5), 1),
        (D(2026, 1, 31), D(2026, 2, 28), 0),  # no 31 February: not yet a month
        (D(2026, 1, 31), D(2026, 3, 1), 1),
        (D(2025, 12, 15), D(2026, 1, 14), 0),  # across a new year
        (D(2025, 12, 15), D(2026, 1, 15), 1),
        (D(2024, 12, 6), D(2026, 12, 5), 23),
        (D(2026, 12, 6), D(2026, 12, 6), 0),
        (D(2026, 12, 7), D(2026, 12, 6), 0),  # a date before birth is not negative
    ],
)
def test_months_on(born, day, months):
    assert months_on(born, day) == months
