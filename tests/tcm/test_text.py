"""Negation-aware tokens: a denied finding never yields the token of a present one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gpassist.tcm.text import NEGATED, spans, tokens

FINDINGS = ["胸闷", "胸痛", "心慌", "头晕", "口苦", "气短", "乏力", "水肿"]


def plain(toks):
    return {t for t in toks if not t.startswith(NEGATED)}


def test_negation_reaches_every_finding_to_the_end_of_the_clause():
    got = spans("阵发性眩晕，无胸闷胸痛、心慌，纳眠可。")
    assert [(s.text, s.negated) for s in got] == [
        ("阵发性眩晕", False),
        ("胸闷胸痛、心慌", True),
        ("纳眠可", False),
    ]
    toks = tokens("阵发性眩晕，无胸闷胸痛、心慌，纳眠可。")
    assert "NEG:W:胸闷" in toks and "NEG:W:胸痛" in toks
    assert not {"W:胸闷", "W:胸痛", "C:胸", "C:胸痛"} & set(toks)
    assert "W:眩晕" in toks


def test_cue_words_that_state_a_finding_are_not_negations():
    assert [(s.text, s.negated) for s in spans("四肢无力，心悸不宁")] == [
        ("四肢无力", False),
        ("心悸不宁", False),
    ]
    assert [(s.text, s.negated) for s in spans("否认高血压病史")] == [("高血压病史", True)]
    assert [(s.text, s.negated) for s in spans("口干不苦")] == [("口干", False), ("苦", True)]


@given(
    st.lists(st.sampled_from(FINDINGS), min_size=1, max_size=4, unique=True),
    st.sampled_from(["无", "否认", "未见", "没有"]),
)
def test_a_denied_list_yields_no_plain_token_of_its_findings(findings, cue):
    toks = tokens(f"头部外伤后，{cue}{'、'.join(findings)}。")
    for finding in findings:
        assert f"W:{finding}" not in plain(toks)
        assert f"C:{finding}" not in plain(toks)


def test_item_scoped_reading_keeps_a_cue_inside_an_item_to_that_item():
    text = "口不渴、喜热饮，无胸闷、胸痛"
    scoped = [(s.text, s.negated) for s in spans(text, item_scoped=True)]
    assert scoped == [("口", False), ("渴", True), ("喜热饮", False), ("胸闷、胸痛", True)]
    # the learned model's reading (its vocabularies were fitted with it) is unchanged
    assert ("渴、喜热饮", True) in [(s.text, s.negated) for s in spans(text)]
