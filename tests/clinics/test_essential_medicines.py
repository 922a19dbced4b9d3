"""The county catalog on the national essential medicines list: every product of the 2018 list
loaded and marked, the central pharmacy's range, editions that supersede one another, search."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from gpassist.clinics import service
from gpassist.clinics.loader import RegistryFileError, apply_registry, read_registry
from gpassist.clinics.present import drug_out
from gpassist.clinics.schemas import ListPart
from gpassist.clinics.tables import Drug, EssentialMedicine, FormularyEntry
from tests.conftest import DEMO_COUNTY, MINI_COUNTY, ROOT

EDITIONS = ROOT / "tests" / "data" / "essential-medicines"
# the list's scope entries point to a footnote (注释1 …) and name no form of their own
SCOPE_ENTRIES = {
    "耐多药肺结核用药",
    "艾滋病用药",
    "青蒿素类药物",
    "国家免疫规划用疫苗",
    "避孕药",
    "血友病用药",
}


@pytest.fixture
def demo_county(db_session):
    apply_registry(db_session, read_registry(DEMO_COUNTY))
    db_session.flush()
    return db_session


def test_every_product_of_the_2018_list_is_loaded_and_marked(demo_county):
    products = demo_county.scalars(select(EssentialMedicine)).all()
    assert len(products) == 685
    assert {p.edition for p in products} == {"2018"} and all(p.current for p in products)
    parts = [p.part for p in products]
    assert parts.count(ListPart.chemical) == 417 and parts.count(ListPart.patent) == 268
    drugs = demo_county.scalars(select(Drug).where(Drug.active.is_(True))).all()
    listed = {d.id: d for d in drugs if d.listings}
    for product in products:
        linked = [d for d in listed.values() if product in d.listings]
        assert linked or product.name in SCOPE_ENTRIES, product.name
    assert all(d.essential for d in listed.values())
    assert not any(d.essential for d in drugs if not d.listings)
    assert len(listed) > 685, "one catalog drug per form and strength"

    amoxicillin = drug_out(next(d for d in drugs if d.code == "amoxicillin-0.25g-cap"))
    (mark,) = amoxicillin.essential_listings
    assert (mark.edition, mark.product, mark.part) == ("2018", "阿莫西林", ListPart.chemical)
    assert (mark.therapeutic_class, mark.subclass, mark.current) == ("抗微生物药", "青霉素类", True)
    # a strength the list lacks stays in the catalog, off the list
    assert not drug_out(next(d for d in drugs if d.code == "amoxicillin-0.5g-cap")).essential


def test_the_central_pharmacy_supplies_598_products_no_village_clinic_stocks(demo_county):
    active = set(demo_county.scalars(select(Drug.id).where(Drug.active.is_(True))))
    stocked = set(demo_county.scalars(select(FormularyEntry.drug_id).distinct()))
    assert len(active - stocked) >= 598


def test_unreviewed_list_products_carry_no_dose_limit_and_an_unknown_pregnancy_safety(
    demo_county,
):
    new = demo_county.scalars(select(Drug).where(Drug.code.like("lisinopril-%"))).all()
    assert new and all(d.essential and d.price_synthetic and d.insurance_estimated for d in new)
    assert all(d.max_daily_dose is None and d.pregnancy.value == "unknown" for d in new)


def test_search_by_chinese_name_finds_a_new_list_product(demo_county):
    found = service.search_drugs(demo_county, "乳块消", limit=20, offset=0)
    assert found and all("乳块消" in d.name_zh for d in found)
    out = drug_out(found[0])
    assert out.kind.value == "chinese_patent" and out.essential
    assert out.essential_listings[0].therapeutic_class == "妇科用药"


def county_with_editions(tmp_path, *names: str):
    folder = tmp_path / "county"
    shutil.copytree(MINI_COUNTY, folder)
    (folder / "essential-medicines").mkdir()
    for name in names:
        shutil.copy(EDITIONS / f"{name}.yaml", folder / "essential-medicines")
    return folder


def essential_codes(session) -> set[str]:
    return set(session.scalars(select(Drug.code).where(Drug.essential.is_(True))))


def test_a_newer_edition_dropped_in_supersedes_the_older(db_session, tmp_path):
    apply_registry(db_session, read_registry(county_with_editions(tmp_path, "tiny-edition-1")))
    assert essential_codes(db_session) == {"amlodipine-5mg-tab", "metformin-500mg-tab"}

    folder = tmp_path / "county"
    shutil.copy(EDITIONS / "tiny-edition-2.yaml", folder / "essential-medicines")
    report = apply_registry(db_session, read_registry(folder))
    db_session.flush()
    assert report.counts["essential medicines created"] == 2
    assert essential_codes(db_session) == {"amlodipine-5mg-tab", "banlangen-granules"}
    metformin = db_session.scalar(select(Drug).where(Drug.code == "metformin-500mg-tab"))
    db_session.refresh(metformin)
    # off the current list, still in the catalog, and its old listing kept (not current)
    assert metformin.active and not metformin.essential
    assert [(e.edition, e.current) for e in metformin.listings] == [("t1", False)]
    current = db_session.scalars(
        select(EssentialMedicine.edition).where(EssentialMedicine.current.is_(True))
    ).all()
    assert set(current) == {"t2"}
    assert db_session.scalar(select(func.count()).select_from(EssentialMedicine)) == 4


def test_two_editions_neither_superseding_the_other_are_refused(tmp_path):
    folder = county_with_editions(tmp_path, "tiny-edition-1")
    text = (EDITIONS / "tiny-edition-2.yaml").read_text(encoding="utf-8")
    (folder / "essential-medicines" / "other.yaml").write_text(
        text.replace('supersedes: ["t1"]', "supersedes: []"), encoding="utf-8"
    )
    with pytest.raises(RegistryFileError, match="one current edition"):
        read_registry(folder)


def test_a_list_product_naming_an_unknown_drug_is_refused(tmp_path):
    folder = county_with_editions(tmp_path, "tiny-edition-1")
    path = folder / "essential-medicines" / "tiny-edition-1.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("[metformin-500mg-tab]", "[no-such-drug]"),
        encoding="utf-8",
    )
    with pytest.raises(RegistryFileError, match="no-such-drug"):
        read_registry(folder)
