"""Event payloads are bounded and checked before anything is stored or relayed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gpassist.consult.schemas import SIGNAL_MAX_BYTES, SignalEvent
from gpassist.errors import validation_problem
from tests.consult.conftest import open_and_accept


def signal(data) -> dict:
    return {"consultation_id": 1, "kind": "offer", "data": data}


def test_a_real_sized_offer_passes_byte_for_byte():
    sdp = "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\n" * 100  # ~4 KB, a typical offer
    parsed = SignalEvent.model_validate(signal({"type": "offer", "sdp": sdp}))
    assert parsed.data == {"type": "offer", "sdp": sdp}


@pytest.mark.parametrize(
    "data",
    [
        "x" * (SIGNAL_MAX_BYTES + 1),
        {"sdp": "x" * SIGNAL_MAX_BYTES},
        [["a"] * 1000] * 100,  # many small values add up too
    ],
)
def test_an_oversize_signal_is_refused_naming_the_field(data):
    # Without a bound any party could make the server relay megabytes per event to the room.
    with pytest.raises(ValidationError) as caught:
        SignalEvent.model_validate(signal(data))
    problem = validation_problem(caught.value, "data").to_dict()
    assert problem["status"] == 422
    assert any(error["field"].startswith("data.data") for error in problem["errors"]), problem


@pytest.mark.parametrize("bad_id", [True, "1", 1.0])
def test_event_numbers_are_strict_like_json_bodies(cast, sockets, bad_id):
    # A boolean or a string is not an id: the same rule as the HTTP API's JSON bodies.
    doctor = sockets(cast.tokens["doctor_a"])
    specialist = sockets(cast.tokens["specialist"])
    consultation_id = open_and_accept(doctor, specialist, cast.encounters["doctor_a"])
    refused = doctor.call("join", {"consultation_id": bad_id, "after_seq": 0})
    assert refused["ok"] is False and refused["error"]["status"] == 422, refused
    assert any(e["field"] == "data.consultation_id" for e in refused["error"]["errors"]), refused
    joined = doctor.ok("join", {"consultation_id": consultation_id, "after_seq": 0})
    assert joined["ok"] is True
