"""Resident ID checks and masking (pure functions, property-based)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from gpassist.demo.population import synthetic_national_id
from gpassist.patients.identity import (
    birth_date_in_id,
    id_problem,
    mask_id,
    name_initials,
    sex_in_id,
)
from gpassist.patients.tables import Sex

births = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 11, 1))


@given(birth=births, sex=st.sampled_from(list(Sex)), serial=st.integers(0, 10_000))
def test_generated_ids_are_valid_and_carry_birth_and_sex(birth, sex, serial):
    national_id = synthetic_national_id(birth, sex, serial)
    assert id_problem(national_id) is None
    assert birth_date_in_id(national_id) == birth
    assert sex_in_id(national_id) == sex.value


@given(
    birth=births,
    serial=st.integers(0, 499),
    position=st.integers(0, 16),
    delta=st.integers(1, 9),
)
def test_any_single_digit_typo_is_caught(birth, serial, position, delta):
    national_id = synthetic_national_id(birth, Sex.female, serial)
    digit = (int(national_id[position]) + delta) % 10
    typo = national_id[:position] + str(digit) + national_id[position + 1 :]
    assert id_problem(typo) is not None


@given(birth=births, serial=st.integers(0, 499))
def test_mask_keeps_region_and_tail_only(birth, serial):
    national_id = synthetic_national_id(birth, Sex.male, serial)
    masked = mask_id(national_id)
    assert masked[:6] == national_id[:6] and masked[-4:] == national_id[-4:]
    assert set(masked[6:-4]) == {"*"}
    assert len(masked) == 18


def test_pinyin_initials():
    assert name_initials("张三丰") == "zsf"
    assert name_initials("吕布") == "lb"
    assert name_initials("Tom") == "tom"  # Latin names are kept whole
