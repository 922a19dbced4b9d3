"""The consultation HTTP API: open from an encounter, lists, the log, attachments, availability."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from gpassist.consult.api import configured_ice_servers
from gpassist.extensions import socketio

REQUEST = {"reason": "心电图ST段改变，请会诊", "urgency": "urgent", "department": "cardiology"}


@pytest.fixture
def encounter_id(api) -> int:
    patient = api.post(
        "/api/v1/patients",
        as_="doctor_a",
        json={"name": "李阿婆", "sex": "female", "birth_date": "1950-02-03"},
    ).get_json()["id"]
    visit = api.post(
        f"/api/v1/patients/{patient}/encounters",
        as_="doctor_a",
        json={"chief_complaint": "心悸", "vitals": {"sbp": 150, "dbp": 90}},
    )
    return visit.get_json()["id"]


@pytest.fixture
def consultation(api, encounter_id) -> dict:
    response = api.post(
        f"/api/v1/encounters/{encounter_id}/consultations", as_="doctor_a", json=REQUEST
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def png_bytes(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(api, consultation_id, data: bytes, as_="doctor_a", content_type="image/png"):
    return api.post(
        f"/api/v1/consultations/{consultation_id}/attachments?filename=ecg%201.png",
        as_=as_,
        data=data,
        headers={"Content-Type": content_type},
    )


def test_open_list_and_read_a_consultation(api, users, consultation):
    assert consultation["state"] == "requested" and consultation["urgency"] == "urgent"
    assert consultation["summary"]["chief_complaint"] == "心悸"
    mine = api.get("/api/v1/consultations", as_="doctor_a").get_json()["items"]
    assert [c["id"] for c in mine] == [consultation["id"]]
    assert api.get("/api/v1/consultations", as_="doctor_b").get_json()["items"] == []
    waiting = api.get("/api/v1/consultations/queue", as_="specialist").get_json()["items"]
    assert [c["id"] for c in waiting] == [consultation["id"]]
    # The cardiologist may look before accepting; another clinic's doctor may not.
    one = api.get(f"/api/v1/consultations/{consultation['id']}", as_="specialist")
    assert one.status_code == 200 and one.get_json()["messages"] == []
    assert api.get(f"/api/v1/consultations/{consultation['id']}", as_="doctor_b").status_code == 404
    assert api.get("/api/v1/consultations", as_="pharmacist").status_code == 403


def test_opening_checks_the_encounter_and_the_department(api, users, encounter_id):
    other = api.post(
        f"/api/v1/encounters/{encounter_id}/consultations", as_="doctor_b", json=REQUEST
    )
    assert other.status_code == 404
    unknown = api.post(
        f"/api/v1/encounters/{encounter_id}/consultations",
        as_="doctor_a",
        json={**REQUEST, "department": "dermatology"},
    )
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"][0]["field"] == "body.department"
    by_specialist = api.post(
        f"/api/v1/encounters/{encounter_id}/consultations", as_="specialist", json=REQUEST
    )
    assert by_specialist.status_code == 403


def test_an_image_is_stored_served_back_and_cited_in_chat(app, api, users, consultation):
    image = png_bytes()
    stored = upload(api, consultation["id"], image)
    assert stored.status_code == 201, stored.get_json()
    attachment = stored.get_json()
    assert attachment["media_type"] == "image/png" and attachment["size"] == len(image)
    assert (attachment["width"], attachment["height"]) == (40, 30)
    assert attachment["filename"] == "ecg_1.png"

    url = f"/api/v1/consultations/{consultation['id']}/attachments/{attachment['id']}"
    download = api.get(url, as_="doctor_a")
    assert download.status_code == 200 and download.data == image
    assert download.headers["Content-Type"] == "image/png"
    assert api.get(url, as_="doctor_b").status_code == 404

    app.config["CONSULT_SCHEDULER_INTERVAL_SECONDS"] = 0
    doctor = socketio.test_client(
        app, namespace="/consult", auth={"token": users["doctor_a"].token}
    )
    ack = doctor.emit(
        "message",
        {
            "consultation_id": consultation["id"],
            "client_msg_id": "img-1",
            "attachment_id": attachment["id"],
        },
        namespace="/consult",
        callback=True,
    )
    assert ack["ok"] is True and ack["message"]["kind"] == "attachment"
    log = api.get(f"/api/v1/consultations/{consultation['id']}", as_="doctor_a").get_json()
    assert [(m["seq"], m["attachment_id"]) for m in log["messages"]] == [(1, attachment["id"])]
    doctor.disconnect(namespace="/consult")


def test_a_file_that_is_not_an_image_is_refused_whatever_it_claims(api, users, consultation):
    fake = upload(api, consultation["id"], b"%PDF-1.4 not an ECG", content_type="image/png")
    assert fake.status_code == 422
    assert fake.get_json()["errors"][0]["field"] == "body"
    truncated = upload(api, consultation["id"], png_bytes()[:60])
    assert truncated.status_code == 422
    tiff = io.BytesIO()
    Image.new("RGB", (4, 4)).save(tiff, format="TIFF")
    assert upload(api, consultation["id"], tiff.getvalue()).status_code == 422
    assert upload(api, consultation["id"], b"").status_code == 422
    log = api.get(f"/api/v1/consultations/{consultation['id']}", as_="doctor_a").get_json()
    assert log["messages"] == []


def test_an_oversize_image_is_refused(app, api, users, consultation):
    app.config["CONSULT_ATTACHMENT_MAX_BYTES"] = 10_000
    big = upload(api, consultation["id"], png_bytes((800, 800)) + b"\0" * 10_000)
    assert big.status_code == 413
    assert big.content_type == "application/problem+json"
    assert upload(api, consultation["id"], png_bytes()).status_code == 201


def test_outsiders_cannot_upload(api, users, consultation):
    assert upload(api, consultation["id"], png_bytes(), as_="doctor_b").status_code == 404
    assert upload(api, consultation["id"], png_bytes(), as_="pharmacist").status_code == 403


def test_availability_switch(api, users):
    assert api.get("/api/v1/consultations/availability", as_="specialist").get_json() == {
        "department": "CH/cardiology",
        "available": False,
    }
    on = api._call(
        "PUT", "/api/v1/consultations/availability", "specialist", json={"available": True}
    )
    assert on.status_code == 200 and on.get_json()["available"] is True
    assert api.get("/api/v1/consultations/availability", as_="specialist").get_json()["available"]
    refused = api._call(
        "PUT", "/api/v1/consultations/availability", "doctor_a", json={"available": True}
    )
    assert refused.status_code == 403


def test_ice_servers_come_from_configuration(app, api, users):
    app.config["CONSULT_ICE_SERVERS"] = (
        '[{"urls": "stun:turn.county.example:3478"},'
        ' {"urls": ["turn:turn.county.example:3478?transport=udp"],'
        ' "username": "gpassist", "credential": "s3cret"}]'
    )
    got = api.get("/api/v1/consultations/ice-servers", as_="doctor_a").get_json()
    assert got["ice_servers"][0]["urls"] == ["stun:turn.county.example:3478"]
    assert got["ice_servers"][1]["credential"] == "s3cret"


def test_a_broken_ice_server_list_is_a_clear_error():
    with pytest.raises(ValueError, match="GPASSIST_CONSULT_ICE_SERVERS"):
        configured_ice_servers('[{"url": "stun:x"}]')
    with pytest.raises(ValueError):
        configured_ice_servers("not json")


def test_a_message_cannot_cite_another_consultations_image(app, api, users, encounter_id):
    def open_one():
        url = f"/api/v1/encounters/{encounter_id}/consultations"
        return api.post(url, as_="doctor_a", json=REQUEST).get_json()["id"]

    first, second = open_one(), open_one()
    attachment = upload(api, first, png_bytes()).get_json()["id"]
    app.config["CONSULT_SCHEDULER_INTERVAL_SECONDS"] = 0
    doctor = socketio.test_client(
        app, namespace="/consult", auth={"token": users["doctor_a"].token}
    )
    ack = doctor.emit(
        "message",
        {"consultation_id": second, "client_msg_id": "c", "attachment_id": attachment},
        namespace="/consult",
        callback=True,
    )
    assert ack["ok"] is False and ack["error"]["errors"][0]["field"] == "data.attachment_id"
    both = doctor.emit(
        "message",
        {"consultation_id": first, "client_msg_id": "d", "text": "x", "attachment_id": attachment},
        namespace="/consult",
        callback=True,
    )
    assert both["ok"] is False and both["error"]["status"] == 422
    doctor.disconnect(namespace="/consult")


def test_an_attachment_is_served_only_under_its_own_consultation(api, users, encounter_id):
    # A party of one consultation must not fetch another's image by pairing ids.
    opened = [
        api.post(
            f"/api/v1/encounters/{encounter_id}/consultations", as_="doctor_a", json=REQUEST
        ).get_json()["id"]
        for _ in range(2)
    ]
    image = upload(api, opened[0], png_bytes()).get_json()
    wrong = api.get(f"/api/v1/consultations/{opened[1]}/attachments/{image['id']}", as_="doctor_a")
    assert wrong.status_code == 404
    assert wrong.content_type == "application/problem+json"
    right = api.get(f"/api/v1/consultations/{opened[0]}/attachments/{image['id']}", as_="doctor_a")
    assert right.status_code == 200


def test_typing_is_refused_once_the_consultation_is_over(app, api, users, consultation):
    app.config["CONSULT_SCHEDULER_INTERVAL_SECONDS"] = 0
    doctor = socketio.test_client(
        app, namespace="/consult", auth={"token": users["doctor_a"].token}
    )
    ref = {"consultation_id": consultation["id"]}
    assert doctor.emit("typing", ref, namespace="/consult", callback=True)["ok"] is True
    cancelled = doctor.emit("cancel", ref, namespace="/consult", callback=True)
    assert cancelled["ok"] is True, cancelled
    late = doctor.emit("typing", ref, namespace="/consult", callback=True)
    assert late["ok"] is False and late["error"]["status"] == 409
    doctor.disconnect(namespace="/consult")


# --- served as documented; pixel bombs (audit, issue 15) ---

DOWNLOAD = "/api/v1/consultations/{consultation_id}/attachments/{attachment_id}"


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (10, 120, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes whose header declares ``width`` × ``height`` pixels."""
    real = png_bytes((1, 1))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return real[:8] + ihdr + real[8 + 25 :]


def documented_types(app) -> set[str]:
    document = app.test_client().get("/api/openapi.json").get_json()
    return set(document["paths"][DOWNLOAD]["get"]["responses"]["200"]["content"])


def test_each_attachment_is_served_as_a_type_the_document_lists(app, api, users, consultation):
    listed = documented_types(app)
    assert "application/octet-stream" not in listed
    for data, media_type in ((png_bytes(), "image/png"), (jpeg_bytes(), "image/jpeg")):
        stored = upload(api, consultation["id"], data)
        assert stored.status_code == 201, stored.get_json()
        url = DOWNLOAD.format(
            consultation_id=consultation["id"], attachment_id=stored.get_json()["id"]
        )
        served = api.get(url, as_="doctor_a")
        assert served.status_code == 200 and served.data == data
        assert served.mimetype == media_type
        assert served.mimetype in listed


def test_a_pixel_bomb_is_refused_as_too_large_not_as_not_an_image(api, users, consultation):
    for width, height in ((30_000, 30_000), (8_000, 8_000)):  # beyond Pillow's limit, and ours
        bomb = png_declaring(width, height)
        assert len(bomb) < 200
        response = upload(api, consultation["id"], bomb)
        assert response.status_code == 413, (width, response.get_json())
        problem = response.get_json()
        assert problem["type"] == "/problems/too-large"
        assert "pixels" in problem["detail"] and "not an image" not in problem["detail"]
        assert problem["detail_zh"] == "图片像素过多，请发送较小的照片。"
        assert "/" not in problem["detail"]  # English only: the Chinese is detail_zh
        assert problem["errors"][0] == {
            "field": "body",
            "message": problem["detail"],
            "message_zh": problem["detail_zh"],
            "code": "too_many_pixels",
        }
    log = api.get(f"/api/v1/consultations/{consultation['id']}", as_="doctor_a").get_json()
    assert log["messages"] == []
