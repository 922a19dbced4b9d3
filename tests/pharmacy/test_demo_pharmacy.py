"""seed-demo's pharmacy: stock everywhere, a board with orders in every state, idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from gpassist.clinics.tables import Drug
from gpassist.demo.chronic import DEMO_TODAY
from gpassist.demo.seed import seed_demo
from gpassist.pharmacy import board, reports, stock
from gpassist.pharmacy.tables import PharmacyOrder, StockLot, StockMovement
from tests.conftest import DEMO_PATIENTS


def test_demo_stock_and_orders(seeded_demo):
    db_session, first = seeded_demo
    assert first.counts["stock lots"] > 300 and first.counts["pharmacy orders"] >= 6

    statuses = set(db_session.scalars(select(PharmacyOrder.status)))
    assert {s.value for s in statuses} >= {"pending", "picked", "delivered"}
    groups = board.dispatch_board(db_session)
    assert sum(len(g.pending) for g in groups) >= 1
    pharmacy = stock.central_pharmacy(db_session)
    assert reports.near_expiry(db_session, pharmacy.id, DEMO_TODAY, 90)
    # the central pharmacy stocks the whole catalog, the essential medicines list included
    in_stock = select(StockLot.drug_id).where(StockLot.facility_id == pharmacy.id)
    unstocked = select(func.count()).where(Drug.active.is_(True), Drug.id.not_in(in_stock))
    assert db_session.scalar(unstocked) == 0
    assert db_session.scalar(select(func.count()).where(Drug.essential.is_(True))) > 1000
    # Nothing is ever below zero or reserved beyond what is on the shelf.
    assert (
        db_session.scalar(
            select(func.count()).where(
                (StockLot.reserved > StockLot.on_hand) | (StockLot.on_hand < 0)
            )
        )
        == 0
    )

    tables = (StockLot, StockMovement, PharmacyOrder)
    before = [db_session.scalar(select(func.count()).select_from(t)) for t in tables]
    again = seed_demo(db_session, patients=DEMO_PATIENTS)
    db_session.flush()
    assert not again.counts
    assert [db_session.scalar(select(func.count()).select_from(t)) for t in tables] == before


def test_every_demo_village_clinic_has_the_wind_cold_patent_medicine_on_its_shelf(seeded_demo):
    """The TCM panel's one-tap medicine for 风寒感冒 (感冒清热颗粒) is stocked in every village."""
    from gpassist.clinics.schemas import FacilityKind
    from gpassist.clinics.tables import Facility

    db_session, _ = seeded_demo
    drug = db_session.scalar(select(Drug).where(Drug.code == "ganmao-qingre-gran-12g"))
    village = Facility.kind == FacilityKind.village_clinic
    villages = db_session.scalars(select(Facility).where(village)).all()
    assert villages
    stocked = set(
        db_session.scalars(
            select(StockLot.facility_id).where(StockLot.drug_id == drug.id, StockLot.on_hand > 0)
        )
    )
    # the demo stocks the clinics that have a doctor: each of them keeps it
    keeping = set(db_session.scalars(select(StockLot.facility_id)))
    staffed = {v.id for v in villages} & keeping
    assert staffed and staffed <= stocked
