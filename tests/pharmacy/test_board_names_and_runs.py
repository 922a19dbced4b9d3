"""What the pharmacist's pages need from the API: clinic and town names (not codes) and drug
strengths on the board, the orders and the delivery note; the stock of each line and of its
equivalent generics before a short fill or a substitute; past runs listed for a reprint."""

from __future__ import annotations

from tests.pharmacy.test_board_and_stock import order_for
from tests.prescriptions.helpers import receive


def test_board_and_order_list_name_the_clinic_and_town_and_give_strengths(api, users, more_drugs):
    order_id = order_for(api, "rosuvastatin-10mg-tab", 10)
    board = api.get("/api/v1/pharmacy/board", as_="pharmacist").get_json()
    (card,) = board["towns"][0]["pending"]
    assert card["id"] == order_id
    assert card["clinic_name"]["zh"] and card["clinic_name"]["zh"] != card["clinic"]
    assert card["town_name"]["zh"] == "东镇"
    assert card["lines"][0]["strength"] == "10 mg"
    (listed,) = api.get("/api/v1/pharmacy/orders", as_="pharmacist").get_json()["items"]
    assert listed["clinic_name"] == card["clinic_name"] and listed["town_name"] == card["town_name"]
    assert listed["lines"][0]["strength"] == "10 mg" and listed["picked_up_at"] is None


def test_fill_options_list_the_stock_of_each_line_and_its_equivalent_generics(
    api, users, more_drugs
):
    receive(api, "metformin-0.5g-tab", 50, "M-1", 100)
    order_id = order_for(api, "metformin-500mg-tab", 500, as_="doctor_b")
    options = api.get(f"/api/v1/pharmacy/orders/{order_id}/fill-options", as_="pharmacist")
    assert options.status_code == 200, options.get_json()
    (line,) = options.get_json()["lines"]
    assert (line["drug"], line["strength"], line["available"]) == (
        "metformin-500mg-tab",
        "500 mg",
        0,
    )
    assert [(s["drug"], s["available"]) for s in line["substitutes"]] == [
        ("metformin-0.5g-tab", 50)
    ]
    assert (
        api.get(f"/api/v1/pharmacy/orders/{order_id}/fill-options", as_="doctor_a").status_code
        == 403
    )
    assert (
        api.get("/api/v1/pharmacy/orders/999999/fill-options", as_="pharmacist").status_code == 404
    )

    # The substitute as the page sends it; the list and the note then show what was sent.
    picked = api.post(
        f"/api/v1/pharmacy/orders/{order_id}/pick",
        as_="pharmacist",
        json={"lines": [{"line_no": 1, "substitute": "metformin-0.5g-tab"}]},
    )
    assert picked.status_code == 200, picked.get_json()
    run = api.post("/api/v1/pharmacy/delivery-runs", as_="pharmacist", json={"town": "T2"})
    assert run.status_code == 201, run.get_json()
    (sent,) = run.get_json()["orders"][0]["lines"]
    assert sent["drug"] == "metformin-0.5g-tab" and sent["substitute_for"]["en"]
    note = api.get(
        f"/api/v1/pharmacy/delivery-runs/{run.get_json()['id']}/note.html", as_="pharmacist"
    )
    text = note.get_data(as_text=True)
    assert "替代" in text and sent["strength"] in text


def test_past_runs_are_listed_newest_first_and_their_notes_print_again(api, users, more_drugs):
    receive(api, "rosuvastatin-10mg-tab", 100, "R-1", 300)
    runs = []
    for _ in range(2):
        order_id = order_for(api, "rosuvastatin-10mg-tab", 10)
        assert (
            api.post(
                f"/api/v1/pharmacy/orders/{order_id}/pick", as_="pharmacist", json={}
            ).status_code
            == 200
        )
        made = api.post("/api/v1/pharmacy/delivery-runs", as_="pharmacist", json={"town": "T1"})
        assert made.status_code == 201
        runs.append(made.get_json())
    listed = api.get("/api/v1/pharmacy/delivery-runs", as_="pharmacist").get_json()["items"]
    assert [r["id"] for r in listed] == [runs[1]["id"], runs[0]["id"]]
    first = listed[1]
    assert first["order_count"] == 1 and first["town_name"]["zh"] == "东镇"
    assert first["clinic_names"] == [runs[0]["orders"][0]["clinic_name"]]
    reprint = api.get(first["note_url"], as_="pharmacist")
    text = reprint.get_data(as_text=True)
    assert reprint.status_code == 200
    assert first["clinic_names"][0]["zh"] in text and "10 mg" in text
    assert (
        api.get("/api/v1/pharmacy/delivery-runs?town=T2", as_="pharmacist").get_json()["items"]
        == []
    )
    assert api.get("/api/v1/pharmacy/delivery-runs", as_="doctor_a").status_code == 403
