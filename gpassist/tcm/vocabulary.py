"""Structured entry for the village doctor: tongue colour, coating, pulse, symptoms (with pinyin).

Each entry becomes a phrase in the record the model reads (``text``), so a structured entry and
the same finding typed as free text reach the model identically: tongue and pulse go to the
tongue-and-pulse block (舌红，苔黄腻，脉弦滑), symptoms to the complaint block (头晕，胸闷；无胸痛).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pypinyin import lazy_pinyin

CATEGORIES = ("tongue_colour", "coating", "pulse", "symptom")
CATEGORY_NAMES = {
    "tongue_colour": ("舌色", "tongue"),
    "coating": ("舌苔", "coating"),
    "pulse": ("脉象", "pulse"),
    "symptom": ("症状", "symptom"),
}
VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yaml")


@dataclass(frozen=True)
class Entry:
    category: str
    code: str
    zh: str
    en: str
    text: str
    pinyin: str  # "tou yun"
    initials: str  # "ty"
    feature: bool = False  # a tongue's shape or mark (胖大, 齿痕), ticked beside its colour

    def matches(self, q: str) -> bool:
        q = q.strip().lower()
        compact = q.replace(" ", "")
        return (
            q in self.zh
            or q in self.text
            or compact in self.pinyin.replace(" ", "")
            or self.initials.startswith(compact)
            or (len(q) >= 3 and q in self.en.lower())
            or q == self.code
        )


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, dict[str, Entry]]:
    """category -> code -> Entry, in file order."""
    data = yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))
    out: dict[str, dict[str, Entry]] = {}
    for category in CATEGORIES:
        out[category] = {}
        for item in data[category]:
            syllables = lazy_pinyin(item["zh"])
            out[category][item["code"]] = Entry(
                category,
                item["code"],
                item["zh"],
                item["en"],
                item["text"],
                " ".join(syllables),
                "".join(s[0] for s in syllables if s),
                bool(item.get("feature", False)),
            )
    return out


def search(q: str | None, category: str | None = None, limit: int = 50) -> list[Entry]:
    found = []
    for cat in (category,) if category else CATEGORIES:
        for entry in vocabulary()[cat].values():
            if not q or entry.matches(q):
                found.append(entry)
    return found[:limit]


def unknown_codes(category: str, codes: Iterable[str]) -> list[str]:
    known = vocabulary()[category]
    return [c for c in codes if c not in known]


def tongue_pulse_text(tongue: Iterable[str], coating: Iterable[str], pulse: Iterable[str]) -> str:
    """舌红，苔黄腻，脉弦滑 — the way the records write them; codes must be known. Pulse qualities
    are joined in the list's writing order (浮 + 紧 → 脉浮紧 whichever was ticked first)."""
    words = vocabulary()
    parts = [words["tongue_colour"][c].text for c in tongue]
    parts += [words["coating"][c].text for c in coating]
    order = list(words["pulse"])
    pulse_text = "".join(words["pulse"][c].text for c in sorted(set(pulse), key=order.index))
    if pulse_text:
        parts.append("脉" + pulse_text)
    return "，".join(parts)


def symptoms_text(present: Iterable[str], absent: Iterable[str]) -> str:
    """头晕，胸闷，无胸痛，无口苦 — each absent symptom in its own negated clause."""
    words = vocabulary()["symptom"]
    parts = [words[c].text for c in present] + [f"无{words[c].text}" for c in absent]
    return "，".join(parts)
