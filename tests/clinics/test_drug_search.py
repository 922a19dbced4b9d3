"""Drug search by pinyin initials, full pinyin, Chinese, English and brand names, best first."""

from __future__ import annotations

from sqlalchemy import select

from gpassist.clinics import service
from gpassist.clinics.loader import apply_registry, read_registry
from gpassist.clinics.search import chinese_keys, core_name, match_rank, search_keys
from gpassist.clinics.tables import Facility
from tests.conftest import DEMO_COUNTY


def test_a_generic_name_without_salt_and_form():
    assert core_name("苯磺酸氨氯地平片") == "氨氯地平"
    assert core_name("硝苯地平缓释片（Ⅰ）") == "硝苯地平"
    assert core_name("二甲双胍") == "二甲双胍"


def test_characters_pinyin_and_initials():
    assert chinese_keys("氨氯地平") == ["氨氯地平", "anlvdiping", "aldp", "anludiping"]


def test_whole_keys_rank_before_starts_before_insides():
    keys = search_keys(
        name_zh="苯磺酸氨氯地平片",
        name_en="Amlodipine besylate tablets",
        code="amlodipine-5mg-tab",
        generic_group="amlodipine",
    )
    assert match_rank(keys, "aldp") == 0  # the generic's initials
    assert match_rank(keys, "anlv") == 1
    assert match_rank(keys, "dipin") == 2
    assert match_rank(keys, "Amlodipine") == 0
    assert match_rank(keys, "xyz") is None


def test_every_catalog_name_is_found_by_its_initials_and_pinyin():
    for drug in read_registry(DEMO_COUNTY).drugs.drugs:
        keys = search_keys(
            name_zh=drug.generic_name.zh,
            name_en=drug.generic_name.en,
            code=drug.code,
            generic_group=drug.generic_group,
        )
        initials, pinyin = (
            chinese_keys(drug.generic_name.zh)[2],
            chinese_keys(drug.generic_name.zh)[1],
        )
        assert match_rank(keys, initials) == 0, drug.code
        assert match_rank(keys, pinyin) == 0, drug.code


def first(session, q, clinic_code=None):
    prefer = None
    if clinic_code:
        prefer = session.scalar(select(Facility.id).where(Facility.code == clinic_code))
    found = service.search_drugs(session, q, limit=10, offset=0, prefer_clinic_id=prefer)
    assert found, q
    return found


def test_the_issue_s_searches_and_brand_names(db_session):
    session = db_session
    apply_registry(session, read_registry(DEMO_COUNTY))
    session.flush()
    found = first(session, "aldp", "V01-01")
    # the clinic's own amlodipine first (exact initials of 氨氯地平, in its formulary)
    assert found[0].code == "amlodipine-5mg-tab"
    assert all("氨氯地平" in d.name_zh for d in found[:3])
    assert first(session, "ebst")[0].generic_group == "irbesartan"  # 厄贝沙坦
    assert first(session, "ejsg", "V01-01")[0].generic_group == "metformin"
    assert first(session, "anlvdiping")[0].generic_group.endswith("amlodipine")
    assert first(session, "amlodipine", "V01-01")[0].code == "amlodipine-5mg-tab"
    assert first(session, "二甲双胍", "V01-01")[0].generic_group == "metformin"

    norvasc = first(session, "络活喜")[0]
    assert norvasc.code == "amlodipine-5mg-tab"
    assert {"zh": "络活喜", "en": "Norvasc"} in norvasc.brand_names
    assert first(session, "lhx")[0].code == "amlodipine-5mg-tab"
    assert first(session, "拜新同")[0].code == "nifedipine-cr-30mg-tab"
    assert first(session, "格华止")[0].generic_group == "metformin"
