"""Loading the county registry: complete, idempotent, and precise about bad files."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from gpassist.audit.tables import AuditEvent
from gpassist.clinics.loader import RegistryFileError, apply_registry, read_registry
from gpassist.clinics.schemas import FacilityKind, FacilityLevel
from gpassist.clinics.tables import Drug, Facility, FormularyEntry, ServiceItem, Town
from tests.conftest import DEMO_COUNTY, MINI_COUNTY


def count(session, what) -> int:
    return session.scalar(select(func.count()).select_from(what))


def test_demo_county_is_shaped_like_the_real_one(db_session):
    apply_registry(db_session, read_registry(DEMO_COUNTY))
    facilities = db_session.scalars(select(Facility).where(Facility.code.not_like("V_"))).all()
    by_kind = {kind: [f for f in facilities if f.kind == kind] for kind in FacilityKind}
    demo_towns = db_session.scalars(select(Town).where(Town.code.not_in(["T1", "T2"]))).all()
    assert len(demo_towns) == 10
    demo_clinics = [
        f for f in by_kind[FacilityKind.village_clinic] if f.code not in ("VA", "VB", "VC")
    ]
    assert len(demo_clinics) == 68
    assert {f.level for f in facilities} == set(FacilityLevel)
    assert len([f for f in by_kind[FacilityKind.township_health_centre] if f.code != "THC1"]) == 10
    county_hospital = db_session.scalar(select(Facility).where(Facility.code == "CH"))
    assert county_hospital.level == FacilityLevel.county
    departments = {d.code for d in county_hospital.departments if d.active}
    assert {"internal_medicine", "paediatrics", "cardiology", "endocrinology", "tcm"} <= departments
    drugs = db_session.scalars(select(Drug).where(Drug.active.is_(True))).all()
    assert len(drugs) >= 150
    assert all(d.name_zh and d.name_en and d.unit_price_fen > 0 for d in drugs)
    stocked = set(db_session.scalars(select(FormularyEntry.drug_id).distinct()))
    assert len({d.id for d in drugs} - stocked) >= 60, "central pharmacy must supply the rest"
    assert count(db_session, ServiceItem) >= 20


def test_second_load_changes_nothing(db_session):
    files = read_registry(DEMO_COUNTY)
    apply_registry(db_session, files)
    db_session.flush()
    audit_before = count(db_session, AuditEvent)
    report = apply_registry(db_session, files)
    assert not report.changed, report.summary()
    assert count(db_session, AuditEvent) == audit_before


def edited_copy(tmp_path, file: str, old: str, new: str):
    folder = tmp_path / "county"
    shutil.copytree(MINI_COUNTY, folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "file, old, new, line, key, reason",
    [
        (
            "drugs.yaml",
            "unit_price_fen: 30",
            "unit_price_fen: -30",
            15,
            "drugs[0].unit_price_fen",
            "greater than 0",
        ),
        (
            "drugs.yaml",
            "insurance_category: B",
            "insurance_category: D",
            48,
            "drugs[2].insurance_category",
            "'A', 'B' or 'C'",
        ),
        (
            "county.yaml",
            "    level: township\n",
            "    level: village\n",
            13,
            "facilities[0]",
            "cannot have level",
        ),
        (
            "county.yaml",
            "    town: T2\n    village: {zh: 乙村",
            "    town: T9\n    village: {zh: 乙村",
            None,
            "",
            "unknown town",
        ),
        (
            "formularies.yaml",
            "add: [banlangen-granules]",
            "add: [no-such-drug]",
            4,
            "clinics.VB.add[0]",
            "unknown drug",
        ),
        ("formularies.yaml", "  VB:", "  CH:", 3, "clinics.CH", "not a village clinic"),
        ("services.yaml", "unit_price_fen: 1000", "unit_price_fen: [1000", 7, "", "flow sequence"),
    ],
)
def test_bad_file_is_refused_with_file_line_key_and_reason(
    tmp_path, file, old, new, line, key, reason
):
    folder = edited_copy(tmp_path, file, old, new)
    with pytest.raises(RegistryFileError) as caught:
        read_registry(folder)
    error = caught.value
    assert error.file.name == file
    if line is not None:
        assert error.line == line
    assert error.key == key
    assert reason in str(error)


def test_missing_file_is_named(tmp_path):
    folder = tmp_path / "county"
    shutil.copytree(MINI_COUNTY, folder)
    (folder / "services.yaml").unlink()
    with pytest.raises(RegistryFileError, match=r"services\.yaml.*missing"):
        read_registry(folder)


def test_changes_update_and_removed_records_are_deactivated(db_session, tmp_path):
    folder = edited_copy(tmp_path, "drugs.yaml", "unit_price_fen: 30", "unit_price_fen: 35")
    drugs_file = folder / "drugs.yaml"
    text = drugs_file.read_text(encoding="utf-8")
    drugs_file.write_text(text[: text.index("  - code: banlangen-granules")], encoding="utf-8")
    formulary = folder / "formularies.yaml"
    formulary.write_text(
        "default: [amlodipine-5mg-tab, metformin-500mg-tab]\nclinics: {}\n", encoding="utf-8"
    )
    report = apply_registry(db_session, read_registry(folder))
    assert report.counts["drugs updated"] == 1
    assert report.counts["drugs deactivated"] == 1
    amlodipine = db_session.scalar(select(Drug).where(Drug.code == "amlodipine-5mg-tab"))
    banlangen = db_session.scalar(select(Drug).where(Drug.code == "banlangen-granules"))
    assert amlodipine.unit_price_fen == 35
    assert banlangen.active is False
    vb = db_session.scalar(select(Facility).where(Facility.code == "VB"))
    stocked = set(
        db_session.scalars(
            select(FormularyEntry.drug_id).where(FormularyEntry.facility_id == vb.id)
        )
    )
    assert banlangen.id not in stocked and amlodipine.id in stocked


# --- the county's payer policy -----------------------------------------------------------------


def test_the_payer_policy_is_stored_with_the_county(db_session):
    from gpassist.settlement.service import county_policies

    apply_registry(db_session, read_registry(MINI_COUNTY))
    (policy,) = county_policies(db_session)
    assert policy.code == "mini-2019"
    assert str(policy.effective_from) == "2019-01-01"
    assert str(policy.basic_insurance["outpatient"].ratio) == "0.55"


def test_a_county_without_a_payer_policy_is_refused(tmp_path):
    folder = tmp_path / "county"
    shutil.copytree(MINI_COUNTY, folder)
    shutil.rmtree(folder / "policies")
    with pytest.raises(RegistryFileError, match=r"policies.*no payer policy file"):
        read_registry(folder)


def test_a_bad_policy_is_refused_with_file_line_and_key(tmp_path):
    folder = edited_copy(
        tmp_path, "policies/settlement-2019.yaml", 'ratio: "0.55"', 'ratio: "1.55"'
    )
    with pytest.raises(RegistryFileError) as caught:
        read_registry(folder)
    assert caught.value.file.name == "settlement-2019.yaml"
    assert caught.value.key == "basic_insurance.outpatient.ratio"
    assert caught.value.line == 21
    assert "less than or equal to 1" in str(caught.value)


def test_two_policy_versions_on_one_date_are_refused(tmp_path):
    folder = tmp_path / "county"
    shutil.copytree(MINI_COUNTY, folder)
    text = (folder / "policies" / "settlement-2019.yaml").read_text(encoding="utf-8")
    (folder / "policies" / "settlement-2019b.yaml").write_text(
        text.replace("code: mini-2019", "code: mini-2019b"), encoding="utf-8"
    )
    with pytest.raises(RegistryFileError, match=r"2019-01-01 is also in settlement-2019\.yaml"):
        read_registry(folder)


def test_a_new_policy_version_is_added_and_a_removed_one_deactivated(db_session, tmp_path):
    import datetime as dt

    from gpassist.settlement.service import county_policies

    folder = tmp_path / "county"
    shutil.copytree(MINI_COUNTY, folder)
    apply_registry(db_session, read_registry(folder))
    text = (folder / "policies" / "settlement-2019.yaml").read_text(encoding="utf-8")
    (folder / "policies" / "settlement-2027.yaml").write_text(
        text.replace("code: mini-2019", "code: mini-2027")
        .replace("effective_from: 2019-01-01", "effective_from: 2027-01-01")
        .replace('ratio: "0.55"', 'ratio: "0.65"'),
        encoding="utf-8",
    )
    report = apply_registry(db_session, read_registry(folder))
    assert report.counts == {"payer policies created": 1}
    assert [p.code for p in county_policies(db_session)] == ["mini-2019", "mini-2027"]
    assert county_policies(db_session)[1].effective_from == dt.date(2027, 1, 1)

    (folder / "policies" / "settlement-2019.yaml").unlink()
    report = apply_registry(db_session, read_registry(folder))
    assert report.counts == {"payer policies deactivated": 1}
    assert [p.code for p in county_policies(db_session)] == ["mini-2027"]


def test_the_countys_drug_interactions_are_stored_and_follow_the_file(db_session, tmp_path):
    from gpassist.prescriptions.service import county_interactions

    folder = tmp_path / "county"
    shutil.copytree(MINI_COUNTY, folder)
    apply_registry(db_session, read_registry(folder))
    pairs = {i.code: i for i in county_interactions(db_session)}
    assert "simvastatin" in pairs["simvastatin-clarithromycin"].groups_a
    assert "clarithromycin" in pairs["simvastatin-clarithromycin"].groups_b

    path = folder / "interactions.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - code: simvastatin-clarithromycin")
    end = text.index("  - code:", start + 1)
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    report = apply_registry(db_session, read_registry(folder))
    assert report.counts == {"drug interactions deactivated": 1}
    assert "simvastatin-clarithromycin" not in {i.code for i in county_interactions(db_session)}
    assert len(county_interactions(db_session)) == len(pairs) - 1
