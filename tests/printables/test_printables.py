"""The printables' shared pieces: the ``yuan`` filter and rendering without an application."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpassist.printables import render, yuan
from gpassist.settlement.policy import Level, Payer, VisitType
from gpassist.settlement.schemas import LineOut, ReceiptOut, ShareOut

YUAN = re.compile(r"^-?\d{1,3}(,\d{3})*\.\d{2}$")


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_yuan_prints_every_fen_with_two_decimals(fen):
    printed = yuan(fen)
    assert YUAN.match(printed), printed
    assert Decimal(printed.replace(",", "")) * 100 == fen  # nothing rounded away


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_a_whole_decimal_of_fen_prints_as_the_integer(fen):
    assert yuan(Decimal(fen)) == yuan(fen)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_float_is_refused_not_rounded(amount):
    with pytest.raises(TypeError):
        yuan(amount)


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=3).filter(lambda d: d % 1 != 0))
def test_a_fraction_of_a_fen_is_refused(amount):
    with pytest.raises(ValueError):
        yuan(amount)


def test_yuan_examples():
    assert yuan(1234) == "12.34"
    assert yuan(5) == "0.05"
    assert yuan(-250) == "-2.50"
    assert yuan(123456789) == "1,234,567.89"
    with pytest.raises(TypeError):
        yuan(True)


def receipt_out(patient_name: str, status: str = "settled") -> ReceiptOut:
    return ReceiptOut(
        settlement_id=7,
        status=status,
        patient_id=1,
        patient_name=patient_name,
        facility_code="VA",
        facility_name={"zh": "甲村卫生室", "en": "Village A clinic"},
        bill_date=dt.date(2026, 3, 2),
        visit_type=VisitType.outpatient,
        level=Level.village,
        policy_code="demo-2019",
        lines=[
            LineOut(
                line_no=1,
                item_code=None,
                description="袖带 <i>&",
                category="C",
                quantity=3,
                unit_price_fen=123456,
                amount_fen=370368,
                eligible_fen=0,
                self_pay_fen=370368,
                patient_fen=370368,
                insurers_fen=0,
            )
        ],
        total_fen=370368,
        eligible_fen=0,
        shares=[
            ShareOut(payer=Payer.basic_insurance, name={"zh": "基本医保", "en": "x"}, amount_fen=0)
        ],
        insurers_fen=0,
        patient_fen=370368,
        created_at=dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC),
        reversed_at=None,
    )


def test_a_receipt_renders_without_an_app_and_escapes_what_it_prints():
    page = render(
        "receipt.html",
        issuer="甲村卫生室",
        document="门诊结算单",
        r=receipt_out('<script>alert("x")</script>'),
    )
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "袖带 &lt;i&gt;&amp;" in page
    assert "<h1>甲村卫生室 门诊结算单</h1>" in page
    assert "结算时间 2026-03-02 09:30" in page  # Shanghai time
    assert "1,234.56" in page and "3,703.68" in page
    assert "已退费" not in page
    assert "已退费（冲正）" in render(
        "receipt.html", issuer="甲村卫生室", document="门诊结算单", r=receipt_out("刘", "reversed")
    )


def test_every_printable_shares_the_base_and_its_print_button():
    from gpassist.printables import environment

    names = [n for n in environment().list_templates() if n != "base.html"]
    assert sorted(names) == [
        "delivery_note.html",
        "followup_record.html",
        "receipt.html",
        "referral_letter.html",
        "slip.html",
    ]
    for name in names:
        source = environment().loader.get_source(environment(), name)[0]
        assert source.startswith('{% extends "base.html" %}'), name
