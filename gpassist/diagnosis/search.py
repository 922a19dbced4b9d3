"""Symptom search over one model's vocabulary: Chinese, synonyms, pinyin initials, full pinyin,
English or the code itself. Pure functions over the model's symptoms; no database.

Ranking: codes the model uses (a feature of its classifier or a row of its evidence) come before
codes it ignores, whatever the match; then an exact match beats a prefix, a prefix beats the start
of a word, and that beats a substring anywhere; ties go to the field the doctor most likely meant
(Chinese name, synonym, initials, full pinyin, English, code), then to the shorter name. A match on
a code the model ignores also finds its narrower used codes (field ``broader``): 胸痛 names
``chest-pain``, which the general model has no evidence for, so ``sharp-chest-pain`` and
``burning-chest-pain`` come first. ``fr`` finds 发热 (initials),
``fare`` or ``fa re`` finds it by full pinyin, ``fever`` by English, 发烧 by synonym.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from pypinyin import Style, lazy_pinyin

# Match kinds, best first.
EXACT, PREFIX, WORD_PREFIX, SUBSTRING = 0, 1, 2, 3
# Fields, in the order a tie is broken.
FIELDS = ("zh", "synonym", "broader", "initials", "pinyin", "en", "code")
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


def narrower_codes(
    symptoms: Mapping[str, SymptomLike], used: Collection[str], evidence_counts: Mapping[str, int]
) -> dict[str, tuple[str, ...]]:
    """Unused code -> the used codes that name one kind of it (one word more in front:
    ``chest-pain`` -> ``sharp-chest-pain``, ``burning-chest-pain``), most evidence rows first.
    Only codes of two words or more, so ``pain`` does not expand to every pain of the body."""
    out: dict[str, tuple[str, ...]] = {}
    for code in symptoms:
        if code in used or "-" not in code:
            continue
        found = [
            other
            for other in used
            if other in symptoms
            and other.endswith("-" + code)
            and "-" not in other[: -len(code) - 1]
        ]
        if found:
            found.sort(key=lambda other: (-evidence_counts.get(other, 0), other))
            out[code] = tuple(found)
    return out


def used_codes(model) -> frozenset[str]:
    """Symptom codes a diagnosis model uses: its classifier's features and its evidence rows."""
    codes = set(getattr(getattr(model, "space", None), "symptoms", ()) or ())
    codes.update(evidence_counts(model))
    return frozenset(codes)


def evidence_counts(model) -> dict[str, int]:
    """Symptom code -> how many conditions list it in the model's evidence (0 rows: absent)."""
    counts: dict[str, int] = {}
    for rows in getattr(getattr(model, "kb", None), "evidence", {}).values():
        for code in rows:
            counts[code] = counts.get(code, 0) + 1
    return counts


class SymptomIndex:
    """Search keys of one vocabulary, built once per model (``index_for``)."""

    def __init__(
        self,
        symptoms: Iterable[SymptomLike],
        used: Collection[str] | None = None,
        narrower: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        symptoms = list(symptoms)
        self._entries = [(s.code, len(s.zh or s.en), _keys_of(s)) for s in symptoms]
        self._lengths = {code: length for code, length, _ in self._entries}
        self.used = frozenset(s.code for s in symptoms) if used is None else frozenset(used)
        self.narrower = dict(narrower or {})

    def is_used(self, code: str) -> bool:
        return code in self.used

    def search(self, query: str, limit: int = 20) -> list[Hit]:
        """The best match of every symptom that matches ``query``, best first, at most ``limit``."""
        q = normalise(query)
        if not q:
            return []
        q_compact = _compact(q)
        best: dict[str, tuple[tuple[int, int, int], Hit]] = {}

        def offer(score: tuple[int, int, int], hit: Hit) -> None:
            if hit.code not in best or score < best[hit.code][0]:
                best[hit.code] = (score, hit)

        for code, _, keys in self._entries:
            for key in keys:
                needle = q_compact if key.field in ("pinyin", "initials", "code") else q
                kind = _match_kind(needle, key)
                if kind is not None:
                    score = (kind, _FIELD_RANK[key.field], 0)
                    offer(score, Hit(code, key.field, key.shown, kind))
        for code, (score, _) in list(best.items()):
            narrower = self.narrower.get(code, ()) if code not in self.used else ()
            for order, other in enumerate(narrower):  # most evidence rows first
                offer(
                    (score[0], _FIELD_RANK["broader"], order), Hit(other, "broader", code, score[0])
                )
        ranked = sorted(
            best.values(),
            key=lambda pair: (
                pair[1].code not in self.used,
                *pair[0],
                self._lengths.get(pair[1].code, 0),
                pair[1].code,
            ),
        )
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


_INDEXES: dict[tuple[int, int], tuple[object, object, SymptomIndex]] = {}


def index_for(symptoms: Mapping[str, SymptomLike], model=None) -> SymptomIndex:
    """The index of a model's ``symptoms`` (with ``model``, what it uses ranks first), built on
    first use; models live as long as the process, and the mapping and model are kept with their
    index so their ids cannot be reused."""
    key = (id(symptoms), id(model))
    cached = _INDEXES.get(key)
    if cached is None or cached[0] is not symptoms or cached[1] is not model:
        used = used_codes(model) if model is not None else None
        narrower = (
            narrower_codes(symptoms, used, evidence_counts(model)) if used is not None else None
        )
        cached = (symptoms, model, SymptomIndex(symptoms.values(), used, narrower))
        _INDEXES[key] = cached
    return cached[2]
