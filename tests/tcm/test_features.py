"""The chief complaint's lead block: which presenting finding the complaint names first."""

from __future__ import annotations

import pytest

from gpassist.tcm.features import block_tokens, lead_tokens


@pytest.mark.parametrize(
    ("complaint", "expected"),
    [
        # 心慌 before 头晕: the complaint leads with palpitations
        ("发作性心慌6年，加重伴头晕4天", ["LEAD:palpitation", "HAS:palpitation", "HAS:dizzy"]),
        ("阵发性头晕10余年，伴心慌1周", ["LEAD:dizzy", "HAS:dizzy", "HAS:palpitation"]),
        (
            "胸闷气短10余年，伴双下肢水肿1年",
            ["LEAD:chest_tight", "HAS:chest_tight", "HAS:breathless", "HAS:oedema"],
        ),
        # a denied finding is not a complaint
        ("咳嗽咳痰3天，无胸闷心慌", []),
        ("头痛2天，否认心悸", ["LEAD:dizzy", "HAS:dizzy"]),
        ("", []),
    ],
)
def test_the_lead_is_the_first_presenting_finding_the_complaint_states(complaint, expected):
    assert lead_tokens(complaint) == expected


def test_only_the_chief_complaint_feeds_the_lead_block():
    tokenised = block_tokens({"主诉": "心慌3天", "症状": "头晕，胸闷"})
    assert tokenised["lead"] == ["LEAD:palpitation", "HAS:palpitation"]
