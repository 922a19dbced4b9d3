"""Symptom search over one model's vocabulary: Chinese, synonyms, pinyin initials, full pinyin,
English or the code itself. Pure functions over the model's symptoms; no database.

Ranking: an exact match beats a prefix, a prefix beats the start of a word, and that beats a
substring anywhere; ties go to the field the doctor most likely meant (Chinese name, synonym,
initials, full pinyin, English, code), then to the shorter name. ``fr`` finds 发热 (initials),
``fare`` or ``fa re`` finds it by full pinyin, ``fever`` by English, 发烧 by synonym.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from pypinyin import Style, lazy_pinyin

# Match kinds, best first.
EXACT, PREFIX, WORD_PREFIX, SUBSTRING = 0, 1, 2, 3
# Fields, in the order a tie is broken.
FIELDS = ("zh", "synonym", "initials", "pinyin", "en", "code")
_FIELD_RANK = {name: i for i, name in enumerate(FIELDS)}
_SPACES = re.compile(r"[\s\-_'’]+")


class SymptomLike(Protocol):
    code: str
    en: str
    zh: str
    synonyms: tuple[str, ...]
    pinyin: str
    initials: str


@dataclass(frozen=True)
class Hit:
    code: str
    matched_field: str  # one of FIELDS
    matched_text: str  # the name, synonym or key that matched
    kind: int  # EXACT … SUBSTRING

    @property
    def kind_name(self) -> str:
        return ("exact", "prefix", "word_prefix", "substring")[self.kind]


@dataclass(frozen=True)
class _Key:
    field: str
    text: str  # what is compared (lower-case; pinyin without spaces)
    shown: str  # what the doctor sees as the match
    words: tuple[str, ...]  # starts of words, for WORD_PREFIX


def normalise(text: str) -> str:
    return text.strip().lower()


def _compact(text: str) -> str:
    return _SPACES.sub("", normalise(text))


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _pinyin_of(zh: str) -> tuple[str, str]:
    # Fallback for vocabularies whose files carry no pinyin (the KB files should).
    syllables = lazy_pinyin(zh)
    initials = "".join(s[0] for s in lazy_pinyin(zh, style=Style.FIRST_LETTER) if s)
    return " ".join(syllables), initials


def _keys_of(symptom: SymptomLike) -> list[_Key]:
    keys = []

    def add(field: str, text: str, shown: str | None = None) -> None:
        text = text.strip()
        if not text:
            return
        shown = shown or text
        if field in ("pinyin", "initials", "code"):
            words = tuple(_compact(w) for w in re.split(r"[\s\-_]+", text) if w)
            keys.append(_Key(field, _compact(text), shown, words))
        else:
            words = tuple(w for w in re.split(r"[\s\-/(),;]+", normalise(text)) if w)
            keys.append(_Key(field, normalise(text), shown, words))

    pinyin, initials = symptom.pinyin, symptom.initials
    if _has_cjk(symptom.zh) and not (pinyin and initials):
        pinyin, initials = _pinyin_of(symptom.zh)
    add("zh", symptom.zh)
    for synonym in symptom.synonyms:
        add("synonym", synonym)
    add("initials", initials, symptom.zh)
    add("pinyin", pinyin, f"{symptom.zh} ({pinyin})")
    add("en", symptom.en)
    add("code", symptom.code)
    return keys


class SymptomIndex:
    """Search keys of one vocabulary, built once per model (``index_for``)."""

    def __init__(self, symptoms: Iterable[SymptomLike]) -> None:
        self._entries = [(s.code, len(s.zh or s.en), _keys_of(s)) for s in symptoms]

    def search(self, query: str, limit: int = 20) -> list[Hit]:
        """The best match of every symptom that matches ``query``, best first, at most ``limit``."""
        q = normalise(query)
        if not q:
            return []
        q_compact = _compact(q)
        ranked = []
        for code, length, keys in self._entries:
            best = None
            for key in keys:
                needle = q_compact if key.field in ("pinyin", "initials", "code") else q
                kind = _match_kind(needle, key)
                if kind is None:
                    continue
                score = (kind, _FIELD_RANK[key.field])
                if best is None or score < best[0]:
                    best = (score, key)
            if best is not None:
                (kind, field_rank), key = best
                ranked.append(
                    ((kind, field_rank, length, code), Hit(code, key.field, key.shown, kind))
                )
        ranked.sort(key=lambda pair: pair[0])
        return [hit for _, hit in ranked[:limit]]


def _match_kind(needle: str, key: _Key) -> int | None:
    if not needle:
        return None
    if key.text == needle:
        return EXACT
    if key.text.startswith(needle):
        return PREFIX
    if key.field == "initials":
        return None  # "t" inside "yt" is noise, not a match
    if any(word.startswith(needle) for word in key.words[1:]):
        return WORD_PREFIX
    if needle.isascii() and len(needle) < 3:
        return None  # "ks" inside "looks" is noise; one Chinese character inside 干咳 is not
    if needle in key.text:
        return SUBSTRING
    return None


_INDEXES: dict[int, tuple[Mapping[str, SymptomLike], SymptomIndex]] = {}


def index_for(symptoms: Mapping[str, SymptomLike]) -> SymptomIndex:
    """The index of a model's ``symptoms``, built on first use; models live as long as the
    process, and the mapping is kept with its index so its id cannot be reused."""
    cached = _INDEXES.get(id(symptoms))
    if cached is None or cached[0] is not symptoms:
        cached = (symptoms, SymptomIndex(symptoms.values()))
        _INDEXES[id(symptoms)] = cached
    return cached[1]
