"""口语 → 术语 is a rewriting to a fixed form: reading a note twice reads it as once, so a lay
word and its textbook term always meet (嘴角歪 and 口角歪斜; 尿床 and 遗尿)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gpassist.config import PACKAGED_MODELS
from gpassist.tcm import knowledge
from gpassist.tcm.differentiation import Observed, match
from gpassist.tcm.lexicon import _passes, canonical

PACKAGED = PACKAGED_MODELS / "tcm" / "primary-care"


def _terms() -> list[str]:
    out = {t for _, table in _passes() for pair in table.items() for t in pair}
    if (PACKAGED / "kb.yaml").exists():
        for disease in knowledge.load(PACKAGED).diseases.values():
            out |= {*disease.cardinal, *disease.red_flags, *disease.names()}
            for s in disease.syndromes:
                for kind in ("main", "secondary", "tongue", "coating", "pulse", "against"):
                    out |= set(getattr(s, kind))
    return sorted(out)


TERMS = _terms()


def test_every_term_is_already_in_its_fixed_form_once_read():
    unstable = [t for t in TERMS if canonical(canonical(t)) != canonical(t)]
    assert unstable == []


@given(st.lists(st.sampled_from(TERMS), min_size=1, max_size=6), st.sampled_from("，、。"))
def test_reading_a_note_twice_reads_it_as_once(words, joiner):
    text = joiner.join(words)
    assert canonical(canonical(text)) == canonical(text)


def test_a_lay_word_meets_the_textbook_term_it_stands_for():
    for lay, term in [("嘴角歪", "口角歪斜"), ("尿床", "遗尿"), ("大便干", "大便干结")]:
        assert match(term, Observed.of({"症状": lay})) == ("stated", 1.0), (lay, term)
