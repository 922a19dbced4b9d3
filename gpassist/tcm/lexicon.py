"""口语 → 术语: the record's lay words rewritten as the textbook terms the knowledge base uses.

``lay_terms.yaml`` lists body parts (肚子 → 腹), phrases (不想吃饭 → 纳差, 睡不着 → 失眠) and a few
patterns (a side, a limb and a weakness → 半身不遂). ``canonical`` applies the body parts, then
the phrases, each pass longest match first, then the patterns, and the
辨证 scorer applies it to *both* the record and the knowledge base's terms, so a term written in
either form matches the other (面红 / 面赤 are one finding). Phrases that contain a negation cue
(不想吃饭, 睡不着, 不出汗) are rewritten before the negation reader sees them: 不想吃饭 states
纳差, it does not deny an appetite. Pure Python; no database, no Flask.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

LAY_TERMS = Path(__file__).with_name("lay_terms.yaml")
PASSES = ("body", "phrase")


@lru_cache(maxsize=1)
def _passes() -> tuple[tuple[re.Pattern, dict[str, str]], ...]:
    data = yaml.safe_load(LAY_TERMS.read_text(encoding="utf-8"))
    out: list[tuple[re.Pattern, dict[str, str]]] = []
    for name in PASSES:
        # a term is written as the earlier passes leave it: 遗尿 is read 遗小便 by the body parts,
        # so 尿床 must become 遗小便 too, or the record's 尿床 would never meet the book's 遗尿
        table = {str(k): _apply(out, str(v)) for k, v in (data.get(name) or {}).items()}
        for key, value in list(table.items()):
            # a later pass sees the text the earlier ones rewrote: 拉肚子 arrives as 拉腹
            table.setdefault(_apply(out, key), value)
        for value in list(table.values()):
            # a term already in its textbook form stays so (口角歪 → 口角歪斜 must not turn
            # 口角歪斜 into 口角歪斜斜): the longer identity wins where both match
            table.setdefault(value, value)
        keys = sorted(table, key=len, reverse=True)
        out.append((re.compile("|".join(map(re.escape, keys))), table))
    return tuple(out)


def _apply(passes, text: str) -> str:
    for pattern, table in passes:
        text = pattern.sub(lambda m, t=table: t[m.group(0)], text)
    return text


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern, str], ...]:
    """The ``patterns`` of lay_terms.yaml: (regex, term), read after the phrases. A sign said in
    too many ways for a list (a side × a limb × a weakness: 右边手脚没劲, 左上肢乏力)."""
    data = yaml.safe_load(LAY_TERMS.read_text(encoding="utf-8"))
    return tuple(
        (re.compile("".join(entry["match"])), _apply(_passes(), str(entry["term"])))
        for entry in data.get("patterns") or ()
    )


@lru_cache(maxsize=1)
def atoms() -> frozenset[str]:
    """The single findings long textbook terms are made of (``atoms`` of lay_terms.yaml)."""
    data = yaml.safe_load(LAY_TERMS.read_text(encoding="utf-8"))
    return frozenset(canonical(str(a)) for a in data.get("atoms") or ())


@lru_cache(maxsize=65536)
def canonical(text: str) -> str:
    """``text`` with lay words replaced by textbook terms (肚子胀痛 → 腹胀痛)."""
    text = _apply(_passes(), text)
    for pattern, term in _patterns():
        text = pattern.sub(term, text)
    return text
