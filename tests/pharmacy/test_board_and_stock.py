"""The dispatch board, pick lists, short fills and substitutes, cancellation, stock keeping,
near-expiry and the reorder hint, and who may do what."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from gpassist.clinics.tables import Drug
from gpassist.patients.tables import Household, Patient
from gpassist.pharmacy.tables import StockMovement
from tests.prescriptions.helpers import line, new_patient, new_visit, prescribe, receive


def order_for(api, drug: str, dose: float, as_="doctor_a", days=7, **extra) -> int:
    visit = new_visit(api, new_patient(api, as_=as_), as_=as_)
    response = prescribe(api, visit, [line(drug, dose, days=days)], as_=as_, **extra)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["pharmacy_order_id"]


def test_board_groups_by_town_urgent_first_free_delivery_marked(api, database, users, more_drugs):
    plain_a = order_for(api, "rosuvastatin-10mg-tab", 10)
    plain_b = order_for(api, "rosuvastatin-10mg-tab", 10, as_="doctor_b")
    urgent_a = order_for(api, "simvastatin-20mg-tab", 20, urgent=True)
    # Free delivery is decided from the household's poverty registration at order time.
    visit = new_visit(api, new_patient(api, name="贫困户甲"))
    with database.transaction(actor="test") as session:
        patient = session.scalar(select(Patient).where(Patient.name == "贫困户甲"))
        household = Household(
            clinic_id=patient.clinic_id,
            code="POOR-1",
            head_name="贫困户甲",
            poverty_registered=True,
        )
        session.add(household)
        session.flush()
        patient.household_id = household.id
    free = prescribe(api, visit, [line("rosuvastatin-10mg-tab", 10)]).get_json()[
        "pharmacy_order_id"
    ]

    board = api.get("/api/v1/pharmacy/board", as_="pharmacist").get_json()
    assert [t["town"] for t in board["towns"]] == ["T1", "T2"]
    t1, t2 = board["towns"]
    assert [o["id"] for o in t1["pending"]] == [urgent_a, plain_a, free]
    assert [o["urgent"] for o in t1["pending"]] == [True, False, False]
    assert [o["free_delivery"] for o in t1["pending"]] == [False, False, True]
    assert t1["free_delivery_count"] == 1 and t1["town_name"]["zh"] == "东镇"
    assert [o["id"] for o in t2["pending"]] == [plain_b]
    assert board["pending_count"] == 4
    only_t2 = api.get("/api/v1/pharmacy/board?town=T2", as_="pharmacist").get_json()
    assert [t["town"] for t in only_t2["towns"]] == ["T2"] and only_t2["pending_count"] == 1
    assert api.get("/api/v1/pharmacy/board", as_="doctor_a").status_code == 403
    assert api.get("/api/v1/pharmacy/board", as_="admin").status_code == 200


def test_pick_list_for_a_town(api, users, more_drugs):
    receive(api, "rosuvastatin-10mg-tab", 10, "SOON", 30)
    receive(api, "rosuvastatin-10mg-tab", 100, "LATE", 300)
    order_for(api, "rosuvastatin-10mg-tab", 10)
    order_for(api, "rosuvastatin-10mg-tab", 10)
    order_for(api, "simvastatin-20mg-tab", 20)
    order_for(api, "rosuvastatin-10mg-tab", 10, as_="doctor_b")  # another town
    picks = api.get("/api/v1/pharmacy/towns/T1/pick-list", as_="pharmacist").get_json()["items"]
    assert [(p["drug"], p["quantity"], p["available"], p["short_by"]) for p in picks] == [
        ("rosuvastatin-10mg-tab", 14, 110, 0),
        ("simvastatin-20mg-tab", 7, 0, 7),
    ]
    assert [(lot["lot_no"], lot["take"]) for lot in picks[0]["lots"]] == [("SOON", 10), ("LATE", 4)]
    assert api.get("/api/v1/pharmacy/towns/NOPE/pick-list", as_="pharmacist").status_code == 404


def test_short_fill_needs_a_reason_and_substitutes_must_be_equivalent_and_covered(
    api, database, users, more_drugs
):
    receive(api, "rosuvastatin-10mg-tab", 3, "R-1", 100)
    receive(api, "metformin-0.5g-tab", 50, "M-1", 100)
    order_id = order_for(api, "rosuvastatin-10mg-tab", 10)
    url = f"/api/v1/pharmacy/orders/{order_id}/pick"
    whole = api.post(url, as_="pharmacist", json={})
    assert whole.status_code == 409 and whole.get_json()["available"] == 3
    no_reason = api.post(url, as_="pharmacist", json={"lines": [{"line_no": 1, "quantity": 3}]})
    assert no_reason.status_code == 422
    assert no_reason.get_json()["errors"][0]["field"] == "body.lines.0.reason"
    short = api.post(
        url,
        as_="pharmacist",
        json={"lines": [{"line_no": 1, "quantity": 3, "reason": "out_of_stock"}]},
    )
    assert short.status_code == 200, short.get_json()
    filled = short.get_json()["lines"][0]
    assert (filled["filled_quantity"], filled["short_reason"]) == (3, "out_of_stock")
    assert short.get_json()["history"][-1]["note"] == "short fill"

    # Metformin 500 mg ordered; the central pharmacy has another maker's 0.5 g tablet.
    with database.transaction(actor="test") as session:
        session.add(
            Drug(
                code="metformin-500mg-brand-c",
                name_zh="盐酸二甲双胍片（自费品牌）",
                name_en="Metformin (self-pay brand)",
                kind="western",
                form_zh="片剂",
                form_en="tablet",
                strength="500 mg",
                strength_value=500,
                dose_unit="mg",
                unit_zh="片",
                unit_en="tablet",
                pack_size=30,
                pack_unit_zh="盒",
                pack_unit_en="box",
                unit_price_fen=90,
                insurance_category="C",
                essential=False,
                generic_group="metformin",
                usual_daily_dose=1500,
                max_daily_dose=2000,
                pregnancy="caution",
                tcm_syndromes=[],
                active=True,
            )
        )
    met_order = order_for(api, "metformin-500mg-tab", 500, as_="doctor_b")  # VB does not stock it
    met_url = f"/api/v1/pharmacy/orders/{met_order}/pick"
    for bad, why in (
        ("amlodipine-5mg-tab", "not an equivalent"),
        ("metformin-500mg-brand-c", "not covered"),
    ):
        refused = api.post(
            met_url, as_="pharmacist", json={"lines": [{"line_no": 1, "substitute": bad}]}
        )
        assert refused.status_code == 422 and why in refused.get_json()["detail"]
    swapped = api.post(
        met_url,
        as_="pharmacist",
        json={"lines": [{"line_no": 1, "substitute": "metformin-0.5g-tab"}]},
    )
    assert swapped.status_code == 200, swapped.get_json()
    line_out = swapped.get_json()["lines"][0]
    assert (line_out["drug"], line_out["filled_drug"], line_out["short_reason"]) == (
        "metformin-500mg-tab",
        "metformin-0.5g-tab",
        "substituted",
    )
    assert line_out["allocations"][0]["lot_no"] == "M-1"


def test_cancel_before_dispatch_releases_reserved_stock(api, database, users, more_drugs):
    lot = receive(api, "rosuvastatin-10mg-tab", 20, "R-1", 100)
    order_id = order_for(api, "rosuvastatin-10mg-tab", 10)
    assert (
        api.post(f"/api/v1/pharmacy/orders/{order_id}/pick", as_="pharmacist", json={}).status_code
        == 200
    )
    cancel_url = f"/api/v1/pharmacy/orders/{order_id}/cancel"
    assert api.post(cancel_url, as_="pharmacist", json={}).status_code == 422  # a reason is needed
    assert api.post(cancel_url, as_="doctor_b", json={"reason": "不要了"}).status_code == 404
    cancelled = api.post(cancel_url, as_="doctor_a", json={"reason": "患者已住院 / admitted"})
    assert cancelled.status_code == 200
    assert cancelled.get_json()["cancel_reason"] == "患者已住院 / admitted"
    stock = api.get("/api/v1/pharmacy/stock", as_="pharmacist").get_json()["items"]
    assert [(x["id"], x["on_hand"], x["reserved"]) for x in stock] == [(lot["id"], 20, 0)]
    again = api.post(cancel_url, as_="pharmacist", json={"reason": "再取消"})
    assert again.status_code == 409 and again.get_json()["status_now"] == "cancelled"
    assert again.get_json()["detail_zh"] == "这张订单已取消，不能再取消。"

    dispatched = order_for(api, "rosuvastatin-10mg-tab", 10)
    api.post(f"/api/v1/pharmacy/orders/{dispatched}/pick", as_="pharmacist", json={})
    assert (
        api.post(
            "/api/v1/pharmacy/delivery-runs", as_="pharmacist", json={"town": "T1"}
        ).status_code
        == 201
    )
    late = api.post(
        f"/api/v1/pharmacy/orders/{dispatched}/cancel", as_="pharmacist", json={"reason": "太晚"}
    )
    assert late.status_code == 409
    assert late.get_json()["detail_zh"].startswith("这张订单配送中，现在不能取消。")
    nothing_left = api.post("/api/v1/pharmacy/delivery-runs", as_="pharmacist", json={"town": "T1"})
    assert nothing_left.status_code == 409
    assert "暂无已配药的订单" in nothing_left.get_json()["detail_zh"]


def test_orders_are_scoped_by_clinic_and_role(api, users, more_drugs):
    mine = order_for(api, "rosuvastatin-10mg-tab", 10)
    theirs = order_for(api, "rosuvastatin-10mg-tab", 10, as_="doctor_b")
    listed = api.get("/api/v1/pharmacy/orders", as_="doctor_a").get_json()["items"]
    assert [o["id"] for o in listed] == [mine]
    everything = api.get("/api/v1/pharmacy/orders", as_="pharmacist").get_json()["items"]
    assert [o["id"] for o in everything] == [theirs, mine]
    only_vb = api.get("/api/v1/pharmacy/orders?clinic=VB", as_="admin").get_json()["items"]
    assert [o["id"] for o in only_vb] == [theirs]
    assert api.get(f"/api/v1/pharmacy/orders/{theirs}", as_="doctor_a").status_code == 404
    assert api.get(f"/api/v1/pharmacy/orders/{mine}", as_="specialist").status_code == 403
    seen = api.get(f"/api/v1/pharmacy/orders/{mine}", as_="pharmacist").get_json()
    assert {"notes", "diagnoses", "chief_complaint"}.isdisjoint(seen)
    assert seen["lines"][0]["frequency"] == "qd" and seen["lines"][0]["days"] == 7
    pick = f"/api/v1/pharmacy/orders/{mine}/pick"
    assert api.post(pick, as_="doctor_a", json={}).status_code == 403
    assert api.post(pick, as_="admin", json={}).status_code == 403
    assert api.post(f"/api/v1/pharmacy/orders/{mine}/delivery", as_="pharmacist").status_code == 403
    early = api.post(f"/api/v1/pharmacy/orders/{mine}/delivery", as_="doctor_a")
    assert early.status_code == 409  # not dispatched yet
    assert early.get_json()["detail_zh"] == "这张订单待配药，药还没有发出，送到后才能确认收货。"


def test_stock_receipts_adjustments_and_who_keeps_what(api, database, users, more_drugs):
    lot = receive(api, "rosuvastatin-10mg-tab", 10, "R-1", 100)
    more = receive(api, "rosuvastatin-10mg-tab", 5, "R-1", 100)
    assert more["id"] == lot["id"] and more["on_hand"] == 15
    clash = api.post(
        "/api/v1/pharmacy/stock/receipts",
        as_="pharmacist",
        json={
            "drug": "rosuvastatin-10mg-tab",
            "lot_no": "R-1",
            "quantity": 1,
            "expires_on": "2099-01-01",
        },
    )
    assert clash.status_code == 422 and clash.get_json()["errors"][0]["field"] == "body.expires_on"
    expired = api.post(
        "/api/v1/pharmacy/stock/receipts",
        as_="pharmacist",
        json={
            "drug": "rosuvastatin-10mg-tab",
            "lot_no": "OLD",
            "quantity": 1,
            "expires_on": "2020-01-01",
        },
    )
    assert expired.status_code == 422
    into_clinic = api.post(
        "/api/v1/pharmacy/stock/receipts",
        as_="pharmacist",
        json={
            "facility": "VA",
            "drug": "rosuvastatin-10mg-tab",
            "lot_no": "X",
            "quantity": 1,
            "expires_on": "2099-01-01",
        },
    )
    assert into_clinic.status_code == 403
    assert api.get("/api/v1/pharmacy/stock?facility=VB", as_="doctor_a").status_code == 404

    adjust = "/api/v1/pharmacy/stock/adjustments"
    broken = api.post(
        adjust,
        as_="pharmacist",
        json={"lot_id": lot["id"], "delta": -2, "reason": "damaged", "note": "破损"},
    )
    assert broken.status_code == 200 and broken.get_json()["on_hand"] == 13
    order_id = order_for(api, "rosuvastatin-10mg-tab", 10)
    api.post(f"/api/v1/pharmacy/orders/{order_id}/pick", as_="pharmacist", json={})
    below_reserved = api.post(
        adjust,
        as_="pharmacist",
        json={"lot_id": lot["id"], "delta": -7, "reason": "count_correction"},
    )
    assert below_reserved.status_code == 409
    assert (
        api.post(
            adjust,
            as_="pharmacist",
            json={"lot_id": lot["id"], "delta": -6, "reason": "count_correction"},
        ).status_code
        == 200
    )
    assert (
        api.post(
            adjust, as_="doctor_a", json={"lot_id": lot["id"], "delta": 1, "reason": "other"}
        ).status_code
        == 404
    )
    assert (
        api.post(
            adjust, as_="pharmacist", json={"lot_id": lot["id"], "delta": 0, "reason": "other"}
        ).status_code
        == 422
    )
    with database.sessionmaker() as session:
        kinds = [
            (m.kind.value, m.on_hand_delta, m.reserved_delta, m.by_id is not None)
            for m in session.scalars(
                select(StockMovement)
                .where(StockMovement.lot_id == lot["id"])
                .order_by(StockMovement.id)
            )
        ]
    assert kinds == [
        ("received", 10, 0, True),
        ("received", 5, 0, True),
        ("adjusted", -2, 0, True),
        ("reserved", 0, 7, True),
        ("adjusted", -6, 0, True),
    ]


def test_near_expiry_list(api, users, more_drugs):
    receive(api, "rosuvastatin-10mg-tab", 5, "SOON", 20)
    receive(api, "rosuvastatin-10mg-tab", 5, "EDGE", 90)
    receive(api, "rosuvastatin-10mg-tab", 5, "LATER", 91)
    receive(api, "amlodipine-5mg-tab", 5, "CLINIC", 10, as_="doctor_a")
    found = api.get("/api/v1/pharmacy/near-expiry?days=90", as_="pharmacist").get_json()["items"]
    assert [x["lot_no"] for x in found] == ["CLINIC", "SOON", "EDGE"]
    central = api.get(
        "/api/v1/pharmacy/near-expiry?days=30&facility=CP", as_="pharmacist"
    ).get_json()
    assert [x["lot_no"] for x in central["items"]] == ["SOON"]
    mine = api.get("/api/v1/pharmacy/near-expiry?days=365", as_="doctor_a").get_json()["items"]
    assert [x["lot_no"] for x in mine] == ["CLINIC"]


def test_replenishment_hint_from_the_last_30_days(api, database, users, more_drugs):
    receive(api, "rosuvastatin-10mg-tab", 100, "R-1", 300)
    receive(api, "simvastatin-20mg-tab", 500, "S-1", 300)
    for _ in range(3):
        order_id = order_for(api, "rosuvastatin-10mg-tab", 10)  # 7 tablets each
        api.post(f"/api/v1/pharmacy/orders/{order_id}/pick", as_="pharmacist", json={})
    assert (
        api.post(
            "/api/v1/pharmacy/delivery-runs", as_="pharmacist", json={"town": "T1"}
        ).status_code
        == 201
    )
    # An older dispatch falls outside the 30-day window.
    with database.transaction(actor="test") as session:
        first = session.scalar(
            select(StockMovement.id)
            .where(StockMovement.kind == "dispatched")
            .order_by(StockMovement.id)
        )
        session.execute(
            update(StockMovement)
            .where(StockMovement.id == first)
            .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=31))
        )
    hint = api.get("/api/v1/pharmacy/replenishment", as_="pharmacist").get_json()
    assert hint["facility"] == "CP" and hint["reorder_below_days"] == 14
    rows = {r["drug"]: r for r in hint["items"]}
    rosu = rows["rosuvastatin-10mg-tab"]
    # 14 tablets in 30 days; 79 left → 79 / (14/30) ≈ 169 days: no reorder at 14 days.
    assert (rosu["used_30d"], rosu["available"], rosu["days_left"], rosu["reorder"]) == (
        14,
        79,
        169.3,
        False,
    )
    assert (
        rows["simvastatin-20mg-tab"]["days_left"] is None
        and not rows["simvastatin-20mg-tab"]["reorder"]
    )
    assert (
        api.get("/api/v1/pharmacy/replenishment?reorder_only=true", as_="pharmacist").get_json()[
            "items"
        ]
        == []
    )


def test_reorder_threshold_is_configurable(app, api, users, more_drugs):
    app.config["PHARMACY_REORDER_DAYS"] = 200
    receive(api, "rosuvastatin-10mg-tab", 100, "R-1", 300)
    order_id = order_for(api, "rosuvastatin-10mg-tab", 10)
    api.post(f"/api/v1/pharmacy/orders/{order_id}/pick", as_="pharmacist", json={})
    api.post("/api/v1/pharmacy/delivery-runs", as_="pharmacist", json={"town": "T1"})
    hint = api.get("/api/v1/pharmacy/replenishment?reorder_only=true", as_="pharmacist").get_json()
    # 7 used in 30 days, 93 left: 398.6 days, under 200? no. Under 400? Set 400 to see it listed.
    assert hint["items"] == []
    app.config["PHARMACY_REORDER_DAYS"] = 400
    hint = api.get("/api/v1/pharmacy/replenishment?reorder_only=true", as_="pharmacist").get_json()
    assert [(r["drug"], r["days_left"]) for r in hint["items"]] == [
        ("rosuvastatin-10mg-tab", 398.6)
    ]
