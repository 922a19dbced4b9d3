"""The complaint as a village doctor types it → suggested findings (pure Python; no Flask).

``发热3天，咳嗽，无胸痛，昨日被蜱虫叮咬`` becomes fever present for 3 days, cough present, chest
pain absent and a tick bite present since yesterday. The doctor accepts or changes each one on the
visit page; nothing here is stored and nothing is sent to the model unaccepted.

How the text is read (dictionary-based; no word segmenter is needed for a vocabulary this small):

- **Clauses** end at ，,。；;！？：, line breaks and spaces (``咳嗽伴发烧两天 不咳痰`` is two
  clauses); not at 、, which lists items sharing one negation (``无胸痛、气促`` denies both).
- **Words** are the model's own Chinese names and synonyms (symptoms.csv) plus the history and
  exposure phrasing of ``complaint_phrases.yaml``; at each position the longest word wins
  (``咳痰`` over ``咳``, ``头晕`` over ``晕``), so a word that contains a cue character
  (``无力``, ``没胃口``, ``睡不着``) is a finding, not a negation.
- **Negation**: a cue (无, 没有, 否认, 未, 不, …; the list shared with the TCM text features,
  ``gpassist/zh_text.py``) denies every word after it up to the end of its clause, or up to a
  turn (但, 却, 伴, 有): ``无发热但有咳嗽`` denies fever only.
- **Durations** (3天, 两天, 1周, 半月, 一个半月, 10余年, 3小时, 昨日, 今天) belong to the clause:
  to the present findings before them that have none (``咳嗽伴发烧两天`` gives both two days),
  else to the ones after them (``3天前开始发热``); a clause holding only a duration
  (``发热 3天``) gives it to the clause before.
- **History**: a raised blood pressure stated for half a year or more, or followed by 病史/史,
  is the known diagnosis (``血压高10年`` → history-hypertension), not today's sign.
- A word whose code the model does not use (it has neither a feature nor an evidence row) is
  offered as the model's narrower code that is used most (``胸痛`` → ``sharp-chest-pain``), with
  the others as alternatives (see ``search.narrower_codes``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import yaml

from gpassist.diagnosis.search import (
    SymptomLike,
    evidence_counts,
    narrower_codes,
    used_codes,
)
from gpassist.zh_text import cue_at, not_cue_at

PHRASES_FILE = Path(__file__).with_name("complaint_phrases.yaml")
MAX_TEXT = 2000
CLAUSE_BREAK = re.compile(r"[，,。；;！!？?：:\s]+|(?<!\d)\.|\.(?!\d)")
# Words that end a negation inside its clause: what follows them is stated again.
TURNS = ("但是", "但", "却", "伴有", "伴", "有")
HISTORY_SUFFIX = re.compile(r"\s*(?:病史|史)")
# Long-standing forms of a sign: the known diagnosis it stands for, and from how long.
LONG_STANDING = {"elevated-blood-pressure": ("history-hypertension", 180.0)}

_NUMERAL = r"(?:\d+(?:\.\d+)?|[零一二两三四五六七八九十百半几数]+)"
DURATION = re.compile(
    rf"(?P<n>{_NUMERAL})(?P<more>[余多来])?(?:个)?(?P<half>半)?(?:个)?(?:多)?"
    r"(?P<unit>分钟|小时|天|日|周|星期|礼拜|月|年)(?:[余多来前许]|左右)?"
)
UNIT_DAYS = {
    "分钟": 1 / 1440,
    "小时": 1 / 24,
    "天": 1,
    "日": 1,
    "周": 7,
    "星期": 7,
    "礼拜": 7,
    "月": 30,
    "年": 365,
}
# Longest first: 今天早上 before 今天.
RELATIVE_DAYS = (
    ("今天早上", 0.0),
    ("大前天", 3.0),
    ("前天", 2.0),
    ("前日", 2.0),
    ("昨天", 1.0),
    ("昨日", 1.0),
    ("昨晚", 1.0),
    ("昨夜", 1.0),
    ("今天", 0.0),
    ("今日", 0.0),
    ("今晨", 0.0),
    ("今早", 0.0),
    ("今晚", 0.0),
)
_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

PRESENT, ABSENT = "present", "absent"


@dataclass(frozen=True)
class Finding:
    code: str
    state: str  # present | absent
    duration_days: float | None
    start: int  # offsets of the word in the text
    end: int
    word: str
    matched_code: str  # the code the word names (differs from code when a narrower one is used)
    alternatives: tuple[str, ...] = ()  # other used codes for the same word
    used: bool = True  # the model uses the code (a feature or an evidence row)


@dataclass(frozen=True)
class Clause:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Parsed:
    findings: list[Finding]
    unmatched: list[Clause]


@dataclass(frozen=True)
class Vocabulary:
    """The words of one model: word -> code, plus which codes the model uses."""

    words: Mapping[str, str]
    used: frozenset[str]
    narrower: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def longest(self) -> int:
        return max((len(w) for w in self.words), default=0)


@lru_cache(maxsize=1)
def extra_phrases() -> dict[str, tuple[str, ...]]:
    data = yaml.safe_load(PHRASES_FILE.read_text(encoding="utf-8")) or {}
    return {code: tuple(str(p) for p in phrases) for code, phrases in data.items()}


def _has_han(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _is_word(text: str, allow_single: bool) -> bool:
    # Chinese words only (a complaint is Chinese; English synonyms would match inside words),
    # and no single characters from the KB (咳, 晕, 吐 would fire inside unrelated words).
    return _has_han(text) and text.isascii() is False and (allow_single or len(text) > 1)


def build_vocabulary(
    symptoms: Mapping[str, SymptomLike],
    used: Collection[str] | None = None,
    evidence_counts: Mapping[str, int] | None = None,
    extras: Mapping[str, tuple[str, ...]] | None = None,
) -> Vocabulary:
    """The word table of a model's ``symptoms``. ``used``: codes the model uses (all when None).

    A word naming two codes goes to the used one, then to the code whose Chinese name it is (over a
    synonym, over an extra phrase), then to the first in file order."""
    used_set = frozenset(symptoms if used is None else used)
    extras = extra_phrases() if extras is None else extras
    best: dict[str, tuple[tuple[int, int, int], str]] = {}

    def offer(word: str, code: str, source: int, order: int) -> None:
        word = word.strip()
        if not _is_word(word, allow_single=source == 2):
            return
        rank = (code not in used_set, source, order)
        if word not in best or rank < best[word][0]:
            best[word] = (rank, code)

    for order, symptom in enumerate(symptoms.values()):
        offer(symptom.zh, symptom.code, 0, order)
        for synonym in symptom.synonyms:
            offer(synonym, symptom.code, 1, order)
    for order, (code, phrases) in enumerate(extras.items()):
        if code in symptoms:
            for phrase in phrases:
                offer(phrase, code, 2, order)
    words = {word: code for word, (_, code) in best.items()}
    narrower = narrower_codes(symptoms, used_set, evidence_counts or {})
    return Vocabulary(words, used_set, narrower)


_VOCABULARIES: dict[int, tuple[Mapping[str, SymptomLike], Vocabulary]] = {}


def vocabulary_for(model) -> Vocabulary:
    """The word table of a loaded diagnosis model, built on first use (models live as long as
    the process; the symptoms mapping is kept with it so its id cannot be reused)."""
    cached = _VOCABULARIES.get(id(model.symptoms))
    if cached is None or cached[0] is not model.symptoms:
        vocab = build_vocabulary(model.symptoms, used_codes(model), evidence_counts(model))
        cached = (model.symptoms, vocab)
        _VOCABULARIES[id(model.symptoms)] = cached
    return cached[1]


# --- durations -----------------------------------------------------------------------------------


def _number(text: str) -> float | None:
    """3, 3.5, 两, 十五, 二十, 三四 (→ 4, the upper bound), 半; None for 几 and 数 (a few)."""
    if text[0].isdigit():
        return float(text)
    if any(ch in "几数" for ch in text):
        return None
    if text == "半":
        return 0.5
    if "百" in text:
        head = text.split("百")[0]
        return 100.0 * (_DIGITS.get(head, 1) if head else 1)
    if "十" in text:
        tens, _, ones = text.partition("十")
        value = 10 * (_DIGITS.get(tens[-1], 1) if tens else 1)
        return float(value + (max(_DIGITS.get(ch, 0) for ch in ones) if ones else 0))
    values = [_DIGITS[ch] for ch in text if ch in _DIGITS]
    return float(max(values)) if values else None


def duration_at(text: str, i: int) -> tuple[int, float | None] | None:
    """(length, days) of a duration starting at ``text[i]``, or None. Days may be None (几天)."""
    for word, days in RELATIVE_DAYS:
        if text.startswith(word, i):
            return len(word), days
    match = DURATION.match(text, i)
    if match is None:
        return None
    n = _number(match["n"])
    if n is None:
        return match.end() - i, None
    if match["half"]:
        n += 0.5
    days = round(n * UNIT_DAYS[match["unit"]], 2)
    return match.end() - i, days


# --- parsing -------------------------------------------------------------------------------------


@dataclass
class _Hit:
    code: str
    negated: bool
    start: int
    end: int
    duration: float | None = None


def clauses(text: str) -> list[Clause]:
    out, start = [], 0
    for brk in CLAUSE_BREAK.finditer(text):
        if brk.start() > start:
            out.append(Clause(text[start : brk.start()], start, brk.start()))
        start = brk.end()
    if start < len(text):
        out.append(Clause(text[start:], start, len(text)))
    return out


def _word_at(text: str, i: int, end: int, vocab: Vocabulary) -> str | None:
    for length in range(min(vocab.longest, end - i), 0, -1):
        word = text[i : i + length]
        if word in vocab.words:
            return word
    return None


def _read_clause(text: str, clause: Clause, vocab: Vocabulary):
    """(hits, durations as (position, days)) of one clause."""
    hits: list[_Hit] = []
    durations: list[tuple[int, float | None]] = []
    negated = False
    i = clause.start
    while i < clause.end:
        word = _word_at(text, i, clause.end, vocab)
        if word:
            hits.append(_Hit(vocab.words[word], negated, i, i + len(word)))
            i += len(word)
            continue
        duration = duration_at(text[: clause.end], i)
        if duration:
            durations.append((i, duration[1]))
            i += duration[0]
            continue
        skip = not_cue_at(text[: clause.end], i)
        cue = cue_at(text[: clause.end], i)
        turn = next((t for t in TURNS if text.startswith(t, i)), "")
        if cue:
            negated = True
        elif turn:
            negated = False
        i += max(len(skip), len(cue or ""), len(turn), 1)
    return hits, durations


def _attach(hits: list[_Hit], durations: list[tuple[int, float | None]]) -> None:
    """Each duration goes to the present hits before it that have none, else to those after."""
    claimed: set[int] = set()
    for position, days in durations:
        before = [k for k, h in enumerate(hits) if h.end <= position and k not in claimed]
        targets = before or [k for k, h in enumerate(hits) if h.start > position]
        if not before:
            # after a duration: up to the next duration only
            later = [p for p, _ in durations if p > position]
            targets = [k for k in targets if not later or hits[k].start < later[0]]
        for k in targets:
            claimed.add(k)
            if not hits[k].negated:
                hits[k].duration = days


def _as_history(text: str, hit: _Hit, vocab: Vocabulary) -> _Hit:
    target = LONG_STANDING.get(hit.code)
    if not target or target[0] not in vocab.words.values():
        return hit
    code, days = target
    long_standing = hit.duration is not None and hit.duration >= days
    if long_standing or HISTORY_SUFFIX.match(text, hit.end):
        return replace(hit, code=code)
    return hit


def parse(text: str, vocab: Vocabulary) -> Parsed:
    """Suggested findings of ``text`` in the order they appear (each code once: its first
    mention), and the clauses that matched nothing."""
    text = (text or "")[:MAX_TEXT]
    every: list[_Hit] = []
    unmatched: list[Clause] = []
    previous: list[_Hit] = []
    for clause in clauses(text):
        hits, durations = _read_clause(text, clause, vocab)
        if hits:
            _attach(hits, durations)
            every.extend(hits)
            previous = hits
        elif durations and previous:
            # "发热 3天": a clause that only says how long belongs to the one before it
            for hit in previous:
                if not hit.negated and hit.duration is None:
                    hit.duration = durations[-1][1]
        else:
            unmatched.append(clause)
    findings, seen = [], set()
    for hit in every:
        finding = _finding_of(_as_history(text, hit, vocab), text, vocab)
        if finding.code not in seen:
            seen.add(finding.code)
            findings.append(finding)
    return Parsed(findings, unmatched)


def _finding_of(hit: _Hit, text: str, vocab: Vocabulary) -> Finding:
    narrower = vocab.narrower.get(hit.code, ()) if hit.code not in vocab.used else ()
    code = narrower[0] if narrower else hit.code
    return Finding(
        code=code,
        state=ABSENT if hit.negated else PRESENT,
        duration_days=None if hit.negated else hit.duration,
        start=hit.start,
        end=hit.end,
        word=text[hit.start : hit.end],
        matched_code=hit.code,
        alternatives=narrower[1:],
        used=code in vocab.used,
    )
