"""Chinese clinical text → negation-aware tokens (pure Python; no database, no Flask).

A record is split into clauses at ，。；！？ and line breaks (but not at 、, which lists items that
share one negation: 无胸闷、胸痛). Inside a clause, everything after a negation cue (无, 否认, 未见,
未, 不, …) up to the end of the clause is negated, so ``无胸闷胸痛`` yields ``NEG:胸闷`` and
``NEG:胸痛`` and never the plain ``胸闷`` a present complaint yields. Words that merely contain a
cue character (无力, 不适, 不宁, 未愈…) are not cues; the cue lists are shared with the
diagnosis complaint parser (``gpassist/zh_text.py``).

Tokens come in two kinds: jieba words and character n-grams (1-3), both prefixed ``NEG:`` when
negated. The vectoriser that counts them is scikit-learn's (see features.py); it stays in Python
because text features do not convert to ONNX on these machines (../shared/TOOLCHAIN.md).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from gpassist.zh_text import cue_at, not_cue_at

NEGATED = "NEG:"
# 2型糖尿病10年 / 高血压病史5年 / 冠心病3月余: a chronic disease with how long the patient has had
# it, written as a clause of its own. It dates the disease, not today's complaint: the model's
# scope passes over it to the complaint after it, and the stroke check does not read it as the
# age of a new deficit.
_LONG_DURATION = (
    r"(?:[0-9０-９]+(?:\.[0-9]+)?|[一二两三四五六七八九十半]+|多|数)余?\s*个?(?:月|年)余?"
)
HISTORY_ITEM = re.compile(
    r"(?:既往|有)?(?:[0-9０-９]|[ⅠⅡI]{1,2})?型?"
    r"(?:高血压|糖尿病|[\u4e00-\u9fff]{1,10}?(?:病|症|炎))史?" + _LONG_DURATION
)
CLAUSE_BREAK = re.compile(r"[，,。；;！!？?\n\r：:]+")
ITEM_BREAK = "、"


@dataclass(frozen=True)
class Span:
    """A stretch of clause text and whether a negation cue governs it."""

    text: str
    negated: bool


def clauses(text: str) -> list[str]:
    return [c.strip() for c in CLAUSE_BREAK.split(text or "") if c.strip()]


def spans(text: str, item_scoped: bool = False) -> list[Span]:
    """Split ``text`` into spans, each either plainly stated or negated to the end of its clause.

    With ``item_scoped``, a cue *inside* a 、-listed item (``口不渴、喜热饮``: 不 after 口)
    denies that item only, and the items after it are stated again; a cue that opens an item
    (``无胸闷、胸痛``) still governs the rest of the clause. The learned model's features use
    the default (its vocabularies were fitted with it); the 辨证 scorer reads item-scoped.

    >>> spans("阵发性眩晕，无胸闷胸痛")
    [Span(text='阵发性眩晕', negated=False), Span(text='胸闷胸痛', negated=True)]
    >>> [(s.text, s.negated) for s in spans("手足不灵活、口舌歪斜", item_scoped=True)]
    [('手足', False), ('灵活', True), ('口舌歪斜', False)]
    """
    out: list[Span] = []
    for clause in clauses(text):
        out.extend(_clause_spans(clause, item_scoped))
    return out


def _clause_spans(clause: str, item_scoped: bool) -> list[Span]:
    out: list[Span] = []
    i = start = 0
    while i < len(clause):
        cue = cue_at(clause, i)
        if cue is None:
            i += max(len(not_cue_at(clause, i)), 1)
            continue
        if clause[start:i]:
            out.append(Span(clause[start:i], False))
        inside_item = item_scoped and clause[start:i] and clause[i - 1] != ITEM_BREAK
        end = clause.find(ITEM_BREAK, i) if inside_item else -1
        negated = clause[i + len(cue) : end] if end >= 0 else clause[i + len(cue) :]
        if negated:
            out.append(Span(negated, True))
        if end < 0:
            return out
        i = start = end + 1
    if clause[start:]:
        out.append(Span(clause[start:], False))
    return out


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # its first load logs the cache build to stderr
    jieba.initialize()
    return jieba


def words(text: str) -> list[str]:
    """jieba words of the text (punctuation and digits dropped)."""
    return [w for w in _jieba().lcut(text) if w.strip() and not _is_noise(w)]


def has_han(text: str) -> bool:
    """Whether ``text`` holds any Chinese character."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _is_noise(word: str) -> bool:
    return all(not ("\u4e00" <= ch <= "\u9fff") and not ch.isalpha() for ch in word)


def char_ngrams(text: str, low: int = 1, high: int = 3) -> list[str]:
    han = "".join(ch for ch in text if "\u4e00" <= ch <= "\u9fff")
    return [han[i : i + n] for n in range(low, high + 1) for i in range(len(han) - n + 1)]


def tokens(text: str, use_words: bool = True, use_chars: bool = True) -> list[str]:
    """Negation-aware tokens of ``text``: ``W:`` jieba words and ``C:`` character n-grams."""
    out: list[str] = []
    for span in spans(text):
        prefix = NEGATED if span.negated else ""
        if use_words:
            out.extend(f"{prefix}W:{w}" for w in words(span.text))
        if use_chars:
            out.extend(f"{prefix}C:{g}" for g in char_ngrams(span.text))
    return out


def present_findings(text: str) -> list[str]:
    """jieba words stated as present (for explanations)."""
    return [w for span in spans(text) if not span.negated for w in words(span.text)]
