"""辨证 over the knowledge base: a weighted, explainable match of the record's findings against
every syndrome's findings. Pure Python: no database, no Flask, no model files.

The record is the training format's (主诉, 症状, 中医望闻切诊; 病史 is read only for a past
stroke, see below: it repeats the symptoms and lists denied past diseases). ``text.spans`` splits
it into stated and negated spans, so ``无汗出`` counts against a syndrome whose main finding is
汗出; it reads item-scoped, so the 不 of ``口不渴、喜热饮`` denies 渴 only, not the 喜热饮 listed
after it.

Scoring one syndrome (all weights are module constants, documented in docs/tcm.md):

* a main finding (主症) stated: +2; a secondary one (次症): +1; only its core stated
  (恶寒重 → 恶寒, 微恶风 → 恶风, one part of 痰黏或黄): half of that;
* tongue (舌质), coating (舌苔), pulse (脉象): +1.5 each × the share of the syndrome's qualities
  the record states (脉浮紧 against a record's 脉浮: 0.5; 苔薄白 against 苔白: 0.5);
* a main finding denied (无…): −2; a secondary one denied: −0.5; an ``against`` finding
  stated: −2;
* ``fit`` = the net score ÷ min(the syndrome's attainable score, ``SATURATION``), clipped to
  [0, 1]. A record rarely states more than a handful of findings, so a syndrome with a long list
  is not punished for the ones left unsaid. It is a degree of match, not a probability.

A disease's ``fit`` is its best syndrome's fit, minus ``breadth_penalty`` (a disease with many
syndromes has more chances of a partial match), plus ``MENTION_BONUS`` when the chief complaint
(主诉) names it (眩晕, 胃痛, an alias; a two-character name also with one character between,
头胀痛 for 头痛) or ``SYMPTOM_MENTION_BONUS`` when only the symptoms name it, plus
``FIRST_MENTION_BONUS`` for the disease(s) whose name or defining finding (``cardinal``) comes
first in the complaint (a name followed by 后, 感冒后咳嗽, is the cause, not the complaint), plus
``CARDINAL`` when a defining finding is stated anywhere and minus it when none is (a defining
finding is also found with words inside it: 腰冷痛 for 腰痛, 经前…腹胀痛 for 经前腹痛); plus
``PRIOR_BOOST`` when the visit's confirmed ICD-10 diagnosis maps to it (the first mapped
disease gets the full boost, later ones half); minus ``WRONG_PATIENT`` for a gynaecological
disease in a man, a paediatric one in a patient aged 14 or more, or one outside the ages it is
defined for (``ages`` in its file: 绝经前后诸症 40-60, 小儿遗尿 from 5), plus ``CHILD_BONUS`` for a
paediatric disease in a child (性别 and 年龄 of the record, when given). Then the textbook's
differential diagnosis (鉴别诊断, ``differential`` in a disease file): between two diseases both
within ``DIFFERENTIAL_FIELD`` of the leader, a stated finding that favours one of them (喉痹 over
感冒: the sore throat; 感冒 over 喉痹: 鼻塞, 流涕) moves them apart by ``DIFFERENTIAL`` each way.
The ranking uses that sum; the ``fit`` shown is it capped to [0, 1].

A disease's ``red_flags`` (中风: 口角歪斜, 言语不清, 半身不遂 …) stated as new add ``RED_FLAG``,
which puts it first whatever else fits, and put its ``referral`` syndromes first: the doctor is
told to send the patient on. Not new (``_flag_state``): a flag its own clause dates beyond
``ACUTE_DAYS`` or calls 后遗症/中风后, or, undated, a known stroke's remains (a stroke on record,
the flag among the symptoms) or a note whose durations of today are all long; those add nothing
to the disease, put its referral syndromes last (past the acute stage), and the panel says what
to do.

When the top two syndromes of the leading disease are within ``ASK_MARGIN``, ``ask_next`` lists
the findings the record leaves unstated that one of them has and the other lacks (main findings
first), each naming the syndrome it would favour.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from gpassist.diagnosis.complaint import duration_at
from gpassist.tcm.knowledge import Disease, KnowledgeBase, SourceRef, Syndrome
from gpassist.tcm.lexicon import atoms, canonical
from gpassist.tcm.text import HISTORY_ITEM, clauses, spans
from gpassist.zh_text import cue_at

WEIGHTS = {"main": 2.0, "secondary": 1.0, "tongue": 1.5, "coating": 1.5, "pulse": 1.5}
DENIED = {"main": 2.0, "secondary": 0.5}
AGAINST = 2.0
PARTIAL = 0.5
SATURATION = 10.0
MENTION_BONUS = 0.3
FIRST_MENTION_BONUS = 0.2
SYMPTOM_MENTION_BONUS = 0.1
WRONG_PATIENT = 1.0  # ranks by the uncapped sum, so this keeps them out
CHILD_BONUS = 0.15
CHILD_AGE = 14
PRIOR_BOOST = 0.2
CARDINAL = 0.1
BREADTH = 0.1
BREADTH_BASE = 5  # syndromes: a disease with this many gets no penalty
DIFFERENTIAL = 0.1  # each way: a differential moves its two diseases apart by twice this
DIFFERENTIAL_FIELD = 0.5  # a differential applies between diseases this close to the leader
ASK_MARGIN = 0.15
RED_FLAG = 1.0  # ranks by the uncapped sum, so a stated red flag puts its disease first
ACUTE_DAYS = 14  # 中风 急性期: the first two weeks (《中医内科学》 中风·病期)
SUDDEN = re.compile(r"突发|突然|骤然|猝然|忽然")
PREVIOUS_STROKE = re.compile(r"脑梗|脑栓塞|脑出血|腔隙|中风|卒中")
RELATIVE = re.compile(r"父|母|兄|弟|姐|妹|儿子|女儿|子女|配偶|爷|奶|外公|外婆|家族")
PAST_ACUTE = re.compile(r"后遗症|恢复期|(?:中风|卒中|脑梗死?|脑梗塞|脑出血|脑卒中)后")
ANTECEDENT = "后"
MAX_ASK = 6
RECORD_FIELDS = ("主诉", "症状", "中医望闻切诊")
FINDING_KINDS = ("main", "secondary")
SIGN_KINDS = ("tongue", "coating", "pulse")

# Words a record uses for a textbook finding (one direction: the textbook term → record words).
SYNONYMS = {
    "恶寒": ("怕冷", "畏寒"),
    "恶风": ("怕风",),
    "发热": ("发烧", "身热"),
    "眩晕": ("头晕", "头昏"),
    "心悸": ("心慌", "心跳"),
    "纳差": ("纳呆", "食欲不振", "食少", "纳少"),
    "乏力": ("疲乏", "疲倦", "倦怠"),
    "神疲乏力": ("乏力", "疲乏"),
    "口渴": ("口干",),
    "失眠": ("不寐", "眠差", "入睡困难"),
    "便溏": ("大便溏", "大便稀"),
    "流清涕": ("清涕",),
    "流黄涕": ("黄涕",),
    "咽痛": ("咽喉痛", "咽喉疼痛", "咽喉红肿疼痛"),
    "咽喉红肿疼痛": ("咽痛", "咽喉痛", "咽喉肿痛", "咽红肿痛"),
    "气短": ("气促", "短气"),
    "水肿": ("浮肿",),
    "胸痛": ("心痛", "心前区痛"),
}
CORE_PREFIXES = ("微", "轻度", "时有", "偶有")
CORE_SUFFIXES = ("较著", "明显", "不畅", "加重", "重", "轻", "甚")
ALTERNATIVES = re.compile(r"[或、/]")
# 舌暗红 / 苔白厚腻 / 脉弦细: a tongue, coating or pulse phrase up to the next break
SIGN_PHRASE = re.compile(r"(?:舌|苔|脉)(?:(?![舌苔脉])[\u4e00-\u9fff]){1,6}")
TONGUE_UNITS = (
    *("边尖红", "尖红", "边红", "淡红", "暗红", "紫暗", "淡暗", "淡紫", "红绛", "胖大"),
    *("齿痕", "瘀斑", "瘀点", "裂纹"),
)
TONGUE_CHARS = "淡红绛紫暗青胖瘦嫩老"
COATING_CHARS = "薄厚白黄灰黑腻燥干润滑少剥腐"
PULSE_CHARS = "浮沉迟数滑涩弦细紧缓濡弱洪大虚实结代促微芤伏"


def _units(phrase: str, kind: str) -> frozenset[str]:
    """The qualities of a sign phrase: {'暗红'} for 舌暗红, {'白', '腻'} for 苔白腻."""
    body = phrase.lstrip("舌苔脉").replace("舌质", "").replace("质", "")
    if kind == "coating":
        return frozenset(ch for ch in body if ch in COATING_CHARS)
    if kind == "pulse":
        return frozenset(ch for ch in body if ch in PULSE_CHARS)
    out: set[str] = set()
    i = 0
    while i < len(body):
        unit = next((u for u in TONGUE_UNITS if body.startswith(u, i)), None)
        if unit:
            out.add(unit)
            i += len(unit)
            continue
        if body[i] in TONGUE_CHARS:
            out.add(body[i])
        i += 1
    return frozenset(out)


def _sign_kind(phrase: str) -> str:
    return {"舌": "tongue", "苔": "coating", "脉": "pulse"}[phrase[0]]


@dataclass(frozen=True)
class Observed:
    """The record as the scorer reads it."""

    stated: str  # the stated spans, joined by '|'
    denied: str  # the negated spans, joined by '|'
    raw: str  # the clauses as written (for terms that contain a cue: 无汗, 口不渴)
    signs: Mapping[str, frozenset[str]]  # tongue / coating / pulse → stated qualities
    complaint: str  # stated spans of 主诉 (disease-name mentions)
    symptoms: str  # stated spans of 症状
    sex: str | None = None  # 男 | 女
    age: int | None = None
    complaint_raw: str = ""  # 主诉 as written (canonical form), negated parts included
    history: str = ""  # stated spans of 病史 (read for a stroke in the past only)

    @classmethod
    def of(cls, record: Mapping[str, object]) -> Observed:
        stated: list[str] = []
        denied: list[str] = []
        complaint: list[str] = []
        symptoms: list[str] = []
        signs: dict[str, set[str]] = {k: set() for k in SIGN_KINDS}
        raw: list[str] = []
        for key in RECORD_FIELDS:
            text = canonical(str(record.get(key) or ""))
            raw.extend(clauses(text))
            for span in spans(text, item_scoped=True):
                (denied if span.negated else stated).append(span.text)
                if span.negated:
                    continue
                if key == "主诉":
                    complaint.append(span.text)
                elif key == "症状":
                    symptoms.append(span.text)
                for match in SIGN_PHRASE.finditer(span.text):
                    kind = _sign_kind(match.group(0))
                    signs[kind] |= _units(match.group(0), kind)
        return cls(
            "|".join(stated),
            "|".join(denied),
            "|".join(raw),
            {k: frozenset(v) for k, v in signs.items()},
            "|".join(complaint),
            "|".join(symptoms),
            str(record.get("性别") or "").strip() or None,
            _age(record.get("年龄")),
            canonical(str(record.get("主诉") or "")),
            "|".join(
                span.text
                for span in spans(canonical(str(record.get("病史") or "")), item_scoped=True)
                if not span.negated
            ),
        )


@dataclass(frozen=True)
class Evidence:
    """One finding of a syndrome and how the record bears on it."""

    term: str
    kind: str  # main | secondary | tongue | coating | pulse | against
    how: str  # stated | partial | denied | unstated
    points: float  # signed contribution to the score


@dataclass
class SyndromeFit:
    disease: Disease
    syndrome: Syndrome
    fit: float
    score: float
    supporting: list[Evidence]
    against: list[Evidence]


@dataclass(frozen=True)
class DifferentialHit:
    """A textbook differential that moved two diseases apart on this record."""

    favoured: str  # the code of the disease it favours
    other: str  # the code of the disease it speaks against
    findings: tuple[str, ...]  # the stated findings that favour ``favoured``
    contrary: tuple[str, ...]  # stated findings for ``other`` (outweighed or equal)
    points: float  # added to ``favoured``, taken from ``other``
    sources: tuple[SourceRef, ...]  # the textbook chapters (鉴别诊断) it comes from


@dataclass
class DiseaseFit:
    disease: Disease
    fit: float
    syndromes: list[SyndromeFit]  # best first
    mentioned: list[str]  # names of the disease the complaint uses
    prior: float  # the boost from the confirmed ICD-10 diagnosis (0 when none)
    score: float = 0.0  # the fit before capping to [0, 1] (the ranking's key)
    differential: list[DifferentialHit] = field(default_factory=list)
    red_flags: list[str] = field(default_factory=list)  # its red flags stated as new
    standing_flags: dict[str, str] = field(default_factory=dict)  # the others: long | remains


@dataclass(frozen=True)
class AskNext:
    term: str
    kind: str
    favours: str  # the syndrome's Chinese name


@dataclass
class Differentiation:
    diseases: list[DiseaseFit]  # best first
    margin: float | None  # fit of the leading syndrome minus the runner-up's
    close: bool
    ask_next: list[AskNext]
    icd10: str | None = None
    prior_diseases: list[str] = field(default_factory=list)  # codes, as mapped from icd10
    # the differentials that put the leading disease ahead of one ranked above it before them
    decided: list[DifferentialHit] = field(default_factory=list)

    ask_margin = ASK_MARGIN
    prior_boost = PRIOR_BOOST

    @property
    def red_flagged(self) -> bool:
        """The leading disease leads on a stated red flag (a suspected stroke)."""
        return bool(self.diseases and self.diseases[0].red_flags)

    def ranked_syndromes(self) -> list[SyndromeFit]:
        """The leading disease's syndromes, then every other syndrome by fit (the order the
        top-3 figure reads)."""
        if not self.diseases:
            return []
        rest = [s for d in self.diseases[1:] for s in d.syndromes]
        return self.diseases[0].syndromes + sorted(rest, key=lambda s: -s.fit)


# --- matching one finding -------------------------------------------------------------------------


def _has_cue(term: str) -> bool:
    return any(cue_at(term, i) for i in range(len(term)))


@lru_cache(maxsize=8192)
def _forms(term: str) -> tuple[str, ...]:
    """The term and the record words for it, in the lexicon's canonical form (as the record is)."""
    forms = (term, canonical(term), *SYNONYMS.get(term, ()), *SYNONYMS.get(canonical(term), ()))
    return tuple(dict.fromkeys(canonical(f) for f in forms))


def _core(term: str) -> list[str]:
    """Shorter forms that still name the finding: 恶寒重 → 恶寒; 痰黏或黄 → 痰黏, 黄."""
    cores = []
    for prefix in CORE_PREFIXES:
        if term.startswith(prefix) and len(term) - len(prefix) >= 2:
            cores.append(term[len(prefix) :])
    for suffix in CORE_SUFFIXES:
        if term.endswith(suffix) and len(term) - len(suffix) >= 2:
            cores.append(term[: -len(suffix)])
    parts = [p for p in ALTERNATIVES.split(term) if len(p) >= 2]
    if len(parts) > 1:
        cores.extend(parts)
    return cores


@lru_cache(maxsize=8192)
def _atoms(term: str) -> tuple[str, ...]:
    """The single findings a long term is made of (心悸健忘 → 心悸, 健忘), when they cover most
    of it; () for a term of fewer than four characters or one that does not split."""
    term = canonical(term)
    if len(term) < 4:
        return ()
    known = atoms()
    found: list[str] = []
    covered = i = 0
    while i < len(term):
        atom = next((term[i : i + n] for n in (3, 2) if term[i : i + n] in known), None)
        if atom:
            found.append(atom)
            covered += len(atom)
            i += len(atom)
        else:
            i += 1
    return tuple(found) if len(found) >= 2 and covered * 3 >= len(term) * 2 else ()


def _atom_credit(term: str, seen: Observed) -> tuple[str, float]:
    parts = _atoms(term)
    if not parts:
        return "unstated", 0.0
    stated = sum(any(f in seen.stated for f in _forms(a)) for a in parts)
    if stated:
        return "partial", stated / len(parts)
    denied = sum(any(f in seen.denied for f in _forms(a)) for a in parts)
    return ("denied", denied / len(parts)) if denied else ("unstated", 0.0)


def match(term: str, seen: Observed) -> tuple[str, float]:
    """(how, credit): ``stated``/1, ``partial``/0.5, ``denied``/1 or 0.5, ``unstated``/0."""
    if _has_cue(term):  # 无汗, 口不渴: written with their cue, matched as written
        return ("stated", 1.0) if canonical(term) in seen.raw else ("unstated", 0.0)
    for form in _forms(term):
        if form in seen.stated:
            return "stated", 1.0
    for form in _forms(term):
        if form in seen.denied:
            return "denied", 1.0
    for core in _core(term):
        if any(form in seen.stated for form in _forms(core)):
            return "partial", PARTIAL
    for core in _core(term):
        if any(form in seen.denied for form in _forms(core)):
            return "denied", PARTIAL
    return _atom_credit(term, seen)


def sign_match(terms: Sequence[str], kind: str, seen: Observed) -> tuple[str | None, float]:
    """The syndrome's best sign term and the share of its qualities the record states."""
    stated = seen.signs[kind]
    best: tuple[str | None, float] = (None, 0.0)
    for term in terms:
        units = _units(term, kind)
        if units and stated:
            share = len(units & stated) / len(units)
            if share > best[1]:
                best = (term, share)
    return best


# --- scoring --------------------------------------------------------------------------------------


def attainable(syndrome: Syndrome) -> float:
    total = sum(WEIGHTS[k] * len(getattr(syndrome, k)) for k in FINDING_KINDS)
    return total + sum(WEIGHTS[k] for k in SIGN_KINDS if getattr(syndrome, k))


def score_syndrome(disease: Disease, syndrome: Syndrome, seen: Observed) -> SyndromeFit:
    supporting: list[Evidence] = []
    against: list[Evidence] = []
    for kind in FINDING_KINDS:
        for term in getattr(syndrome, kind):
            how, credit = match(term, seen)
            if how in ("stated", "partial"):
                supporting.append(Evidence(term, kind, how, WEIGHTS[kind] * credit))
            elif how == "denied":
                against.append(Evidence(term, kind, how, -DENIED[kind] * credit))
    for kind in SIGN_KINDS:
        term, share = sign_match(getattr(syndrome, kind), kind, seen)
        if term is not None:
            how = "stated" if share == 1 else "partial"
            supporting.append(Evidence(term, kind, how, WEIGHTS[kind] * share))
    for term in syndrome.against:
        how, credit = match(term, seen)
        if how in ("stated", "partial"):
            against.append(Evidence(term, "against", how, -AGAINST * credit))
    score = sum(e.points for e in supporting) + sum(e.points for e in against)
    fit = max(0.0, min(1.0, score / min(attainable(syndrome), SATURATION)))
    supporting.sort(key=lambda e: -e.points)
    against.sort(key=lambda e: e.points)
    return SyndromeFit(disease, syndrome, round(fit, 4), round(score, 3), supporting, against)


def _age(value) -> int | None:
    digits = re.match(r"\s*(\d{1,3})", str(value or ""))
    return int(digits.group(1)) if digits else None


def _name_pattern(name: str) -> re.Pattern:
    # 头痛 also as 头胀痛, 胃痛 as 胃脘痛: one character may sit inside a two-character name
    if len(name) == 2:
        return re.compile(f"{re.escape(name[0])}[\u4e00-\u9fff]?{re.escape(name[1])}")
    return re.compile(re.escape(name))


def _antecedent(text: str, at: int, name: str) -> bool:
    """感冒后鼻塞, 受凉后…: a finding or disease followed by 后 is what came before (the cause),
    not what the patient comes for."""
    found = _name_pattern(canonical(name)).match(text, at)
    return bool(found) and text.startswith(ANTECEDENT, found.end())


def _mentions(disease: Disease, text: str) -> list[tuple[int, str]]:
    """(position, name) of every name of the disease found in ``text``."""
    out = []
    for name in disease.names():
        if len(name) < 2:
            continue
        found = _name_pattern(canonical(name)).search(text)
        if found:
            out.append((found.start(), name))
    return sorted(out)


def _patient_adjustment(disease: Disease, seen: Observed) -> float:
    if disease.department == "妇科" and seen.sex == "男":
        return -WRONG_PATIENT
    if disease.ages and seen.age is not None and not disease.ages.holds(seen.age):
        return -WRONG_PATIENT
    if disease.department == "儿科" and seen.age is not None:
        return CHILD_BONUS if seen.age < CHILD_AGE else -WRONG_PATIENT
    return 0.0


def _pain_pattern(term: str) -> re.Pattern | None:
    """腰痛 / 关节疼痛 → a pattern that also finds the pain with its quality written inside
    (腰冷痛, 关节酸痛, 胃脘隐痛): the site and 痛 with at most one character between."""
    stem = term.removesuffix("疼痛") if term.endswith("疼痛") else term.removesuffix("痛")
    if stem == term or not stem or _has_cue(term):
        return None
    return re.compile(f"{re.escape(canonical(stem))}[\u4e00-\u9fff]?痛")


def _found_in(term: str, text: str) -> bool:
    pain = _pain_pattern(term)
    return any(f in text for f in _forms(term)) or bool(pain and pain.search(text))


def _parts_in_one_span(term: str, seen: Observed) -> bool:
    """经前腹痛 in 经前两天腹胀痛: every single finding of a long term, in one stated span."""
    parts = _atoms(term)
    return bool(parts) and any(
        all(_found_in(p, span) for p in parts) for span in seen.stated.split("|")
    )


def _parts_at(term: str, text: str) -> list[int]:
    """Where a long term's parts start, for each span of ``text`` that holds all of them."""
    parts = _atoms(term)
    out, offset = [], 0
    for span in text.split("|") if parts else ():
        if all(_found_in(p, span) for p in parts):
            out.append(offset + min(_position(p, span) for p in parts))
        offset += len(span) + 1
    return out


def _position(term: str, text: str) -> int:
    at = [text.find(f) for f in _forms(term) if f in text]
    pain = _pain_pattern(term)
    if pain and (hit := pain.search(text)):
        at.append(hit.start())
    return min(at)


def defining_match(term: str, seen: Observed) -> tuple[str, float]:
    """``match`` for a defining finding, which is also found with words written inside it: a
    pain with its quality (腰冷痛 for 腰痛), a long term's parts in one span (经前…腹胀痛 for
    经前腹痛)."""
    how, credit = match(term, seen)
    if how == "stated":
        return how, credit
    if _found_in(term, seen.stated) or _parts_in_one_span(term, seen):
        return "stated", 1.0
    pain = _pain_pattern(term)
    if how == "unstated" and pain and pain.search(seen.denied):
        return "denied", 1.0
    return how, credit


def cardinal_bonus(disease: Disease, seen: Observed) -> float:
    """``CARDINAL`` × the best credit when the record states one of the disease's defining
    findings (several names of one finding, 眩晕 and 头晕, count once); −``CARDINAL`` when it
    states none of them (denied or unsaid): a disease is defined by them (GB/T 16751.1-2021),
    so a record without its main finding is unlikely to be it, however well a syndrome's
    general findings (舌淡, 脉弦) fit. A disease without a ``cardinal`` list gets 0."""
    if not disease.cardinal:
        return 0.0
    best = 0.0
    for term in disease.cardinal:
        how, credit = defining_match(term, seen)
        if how in ("stated", "partial"):
            best = max(best, credit)
    return CARDINAL * best if best else -CARDINAL


def red_flag_states(disease: Disease, seen: Observed) -> dict[str, str]:
    """Each red flag of the disease the record states (a denied one, 无半身不遂, is not), and
    what it is: ``new`` (send the patient on now), ``long`` (long-standing with no stroke on
    record: refer to find the cause) or ``remains`` (a known stroke's). None for a child: a
    child's slurred speech is not a stroke alarm, and the disease's ``ages`` keep it out."""
    if disease.ages and seen.age is not None and not disease.ages.holds(seen.age):
        return {}
    stated = [t for t in disease.red_flags if _flag_stated(t, seen)]
    return {t: _flag_state(t, seen) for t in stated}


def _flag_stated(term: str, seen: Observed) -> bool:
    """Stated, not denied: 半身不遂 holds the cue 不, so it is matched in the clauses as written,
    and a clause that names it after a cue (无半身不遂, 否认…) denies it."""
    if defining_match(term, seen)[0] != "stated":
        return False
    for clause in seen.raw.split("|"):
        at = min((clause.find(f) for f in _forms(term) if f in clause), default=-1)
        if at >= 0 and not any(cue_at(clause, i) for i in range(at)):
            return True
    return not _has_cue(term)  # matched in the stated spans, not as written


def _flag_state(term: str, seen: Observed) -> str:
    """The flag's own clauses decide first: 突发 there, or a duration within ``ACUTE_DAYS`` (中风
    急性期), is new (a second stroke in a survivor); only long durations there are the remains
    of a known stroke, or long-standing without one. An undated flag takes the note's time, not
    counting the clauses that date a chronic disease (高血压10年 says nothing of today): among
    the symptoms of a patient with a stroke on record it is that stroke's remains; else 突发 or
    a short duration anywhere, or no time at all, is new (the safe side is to send the patient
    on), and only long durations are long-standing. Read from the clauses as written: the
    negation reader takes 半身不遂3年 for 半身 and a denied 遂3年."""
    known = _stroke_on_record(seen)
    where = "|".join(c for c in seen.raw.split("|") if _found_in(term, c))
    own = _durations_days(where)
    if own:
        if any(d <= ACUTE_DAYS for d in own):
            return "new"
        return "remains" if known else "long"
    if SUDDEN.search(where):
        return "new"
    if PAST_ACUTE.search(where):
        return "remains"
    in_complaint = any(f in seen.complaint_raw for f in _forms(term))
    if known and not in_complaint:
        return "remains"
    today = "|".join(c for c in seen.raw.split("|") if not HISTORY_ITEM.fullmatch(c.strip("。 ")))
    days = _durations_days(today)
    if SUDDEN.search(today) or not days or any(d <= ACUTE_DAYS for d in days):
        return "new"
    return "remains" if known else "long"


def _stroke_on_record(seen: Observed) -> bool:
    """A past stroke named in the note (中风后遗症, 脑梗死后, 诊断脑梗死; not 否认脑梗死) or in
    the patient's own history (脑梗死病史3年; a relative's, 母亲脑出血, is not the patient's)."""
    own_history = [c for c in seen.history.split("|") if not RELATIVE.search(c)]
    named = PAST_ACUTE.search(seen.raw) or PREVIOUS_STROKE.search(seen.stated)
    return bool(named or PREVIOUS_STROKE.search("|".join(own_history)))


def _durations_days(text: str) -> list[float]:
    out, i = [], 0
    while i < len(text):
        found = duration_at(text, i)
        if found is None:
            i += 1
            continue
        length, days = found
        if days is not None:
            out.append(days)
        i += length
    return out


def _referral_syndromes(fits: list[SyndromeFit], *, first: bool) -> list[SyndromeFit]:
    """The syndromes the clinic must send on first (or last), by fit within each group (a
    stable sort)."""
    return sorted(fits, key=lambda f: f.syndrome.referral != first)


def prior_boosts(kb: KnowledgeBase, icd10: str | None) -> dict[str, float]:
    """Disease code → boost for the confirmed ICD-10 diagnosis: full for the first mapped
    disease, half for the others."""
    if not icd10:
        return {}
    mapped = kb.for_icd10(icd10)
    return {d.code: PRIOR_BOOST if i == 0 else PRIOR_BOOST / 2 for i, d in enumerate(mapped)}


def breadth_penalty(disease: Disease) -> float:
    """``BREADTH`` × ln(syndromes / ``BREADTH_BASE``): a disease's fit is its best syndrome's,
    and the best of twelve partial matches is higher than the best of three by chance alone, so
    a disease with many syndromes (心悸病, 眩晕病) would win on breadth; one with fewer gains a
    little."""
    return BREADTH * math.log(max(len(disease.syndromes), 1) / BREADTH_BASE)


def _complaint_findings(disease: Disease, seen: Observed) -> list[tuple[int, str]]:
    """(position, term) of the disease's defining findings the chief complaint states."""
    out = []
    for term in disease.cardinal:
        if _has_cue(term):
            continue
        found = [seen.complaint.find(f) for f in _forms(term)]
        found = [i for i in found if i >= 0]
        pain = _pain_pattern(term)
        if pain and (hit := pain.search(seen.complaint)):
            found.append(hit.start())
        found.extend(_parts_at(term, seen.complaint))
        if found:
            out.append((min(found), term))
    return sorted(out)


def differentiate(
    kb: KnowledgeBase, record: Mapping[str, object], icd10: str | None = None
) -> Differentiation:
    """Every disease of ``kb`` with its syndromes, best first, for ``record`` (training format)."""
    seen = Observed.of(record)
    boosts = prior_boosts(kb, icd10)
    diseases = []
    in_complaint = {d.code: _mentions(d, seen.complaint) for d in kb.diseases.values()}
    # the chief complaint's first finding names the disease: the earliest of the diseases'
    # names and defining findings in it (all diseases sharing that finding)
    first_at = {
        d.code: min(
            [
                p
                for p, name in in_complaint[d.code] + _complaint_findings(d, seen)
                if not _antecedent(seen.complaint, p, name)
            ],
            default=None,
        )
        for d in kb.diseases.values()
    }
    positions = [p for p in first_at.values() if p is not None]
    earliest = min(positions) if positions else None
    for disease in kb.diseases.values():
        fits = sorted(
            (score_syndrome(disease, s, seen) for s in disease.syndromes),
            key=lambda f: (-f.fit, -f.score),
        )
        named = in_complaint[disease.code]
        in_symptoms = [] if named else _mentions(disease, seen.symptoms)
        bonus = MENTION_BONUS if named else SYMPTOM_MENTION_BONUS if in_symptoms else 0.0
        if earliest is not None and first_at[disease.code] == earliest:
            bonus += FIRST_MENTION_BONUS
        prior = boosts.get(disease.code, 0.0)
        bonus += cardinal_bonus(disease, seen)
        flags = red_flag_states(disease, seen)
        red_flags = [t for t, state in flags.items() if state == "new"]
        bonus += RED_FLAG if red_flags else 0.0
        fit = fits[0].fit - breadth_penalty(disease) + bonus + prior
        fit += _patient_adjustment(disease, seen)
        if flags:  # new: the 急性期 syndromes lead; past the acute stage they go last
            fits = _referral_syndromes(fits, first=bool(red_flags))
        mentioned = list(dict.fromkeys(n for _, n in named + in_symptoms))
        diseases.append(
            DiseaseFit(
                disease,
                round(max(0.0, min(1.0, fit)), 4),
                fits,
                mentioned,
                prior,
                round(fit, 4),
                red_flags=red_flags,
                standing_flags={t: st for t, st in flags.items() if st != "new"},
            )
        )
    before = {d.disease.code: d.score for d in diseases}
    apply_differentials(kb, diseases, seen)
    # ranked by the uncapped sum: two diseases both past 1 (a cough named in the complaint and a
    # cold whose findings it shares) are still told apart by the naming
    diseases.sort(key=lambda d: (-d.score, -d.syndromes[0].score))
    margin, close, ask = _ask_next(diseases, seen)
    decided = _decided(diseases, before) if diseases else []
    return Differentiation(diseases, margin, close, ask, icd10, list(boosts), decided)


# --- differential diagnosis (鉴别诊断) ----------------------------------------------------------


@dataclass
class _Pair:
    """Both files' differentials between diseases ``a`` and ``b``, merged: a finding that favours
    ``a`` over ``b`` may be written in either file."""

    a: str
    b: str
    for_a: list[str] = field(default_factory=list)
    for_b: list[str] = field(default_factory=list)
    sources: list[SourceRef] = field(default_factory=list)


def differential_pairs(kb: KnowledgeBase) -> list[_Pair]:
    pairs: dict[tuple[str, str], _Pair] = {}
    for disease in kb.diseases.values():
        for entry in disease.differential:
            a, b = sorted((disease.code, entry.disease))
            pair = pairs.setdefault((a, b), _Pair(a, b))
            this_is_a = disease.code == a
            (pair.for_a if this_is_a else pair.for_b).extend(entry.for_this)
            (pair.for_b if this_is_a else pair.for_a).extend(entry.for_other)
            pair.sources.append(entry.source)
    return list(pairs.values())


def _stated(terms: Sequence[str], seen: Observed) -> tuple[float, tuple[str, ...]]:
    """The best credit among the stated terms (a core stated counts half) and those terms."""
    hits = [(term, *defining_match(term, seen)) for term in dict.fromkeys(terms)]
    hits = [(term, credit) for term, how, credit in hits if how in ("stated", "partial")]
    return max((c for _, c in hits), default=0.0), tuple(t for t, _ in hits)


def apply_differentials(kb: KnowledgeBase, diseases: list[DiseaseFit], seen: Observed) -> None:
    """Move two diseases apart by their textbook differential when both are in the running
    (within ``DIFFERENTIAL_FIELD`` of the leader): the side with the stronger stated finding
    gains ``DIFFERENTIAL`` × the difference, the other loses as much. A differential tells two
    diseases apart; it says nothing about a disease far behind, so those are left alone, and a
    disease told from several others moves by its largest gain and its largest loss only (three
    skin diseases it is told from do not make a record a skin disease)."""
    if not diseases:
        return
    by_code = {d.disease.code: d for d in diseases}
    leader = max(d.score for d in diseases)
    running = {c for c, d in by_code.items() if d.score >= leader - DIFFERENTIAL_FIELD}
    hits = []
    for pair in differential_pairs(kb):
        if pair.a not in running or pair.b not in running:
            continue
        credit_a, found_a = _stated(pair.for_a, seen)
        credit_b, found_b = _stated(pair.for_b, seen)
        if credit_a == credit_b:
            continue
        a_wins = credit_a > credit_b
        hits.append(
            DifferentialHit(
                pair.a if a_wins else pair.b,
                pair.b if a_wins else pair.a,
                found_a if a_wins else found_b,
                found_b if a_wins else found_a,
                round(DIFFERENTIAL * abs(credit_a - credit_b), 4),
                tuple(pair.sources),
            )
        )
    for hit in hits:
        by_code[hit.favoured].differential.append(hit)
        by_code[hit.other].differential.append(hit)
    for d in diseases:  # every pair read from the same standing, then applied
        code = d.disease.code
        gain = max((h.points for h in d.differential if h.favoured == code), default=0.0)
        loss = max((h.points for h in d.differential if h.other == code), default=0.0)
        d.score = round(d.score + gain - loss, 4)
        d.fit = round(max(0.0, min(1.0, d.score)), 4)


def _decided(diseases: list[DiseaseFit], before: Mapping[str, float]) -> list[DifferentialHit]:
    """The differentials that pushed a disease standing at or above the leading one before them
    below it: what the doctor is told decided the ranking. The leader's own (喉痹 over 感冒) when
    there are any, else those that moved the former leader down (感冒 below a third disease)."""
    leader = diseases[0].disease.code
    hits = dict.fromkeys(h for d in diseases for h in d.differential)
    decided = [h for h in hits if h.other != leader and before[h.other] >= before[leader]]
    return [h for h in decided if h.favoured == leader] or decided


def _ask_next(
    diseases: list[DiseaseFit], seen: Observed
) -> tuple[float | None, bool, list[AskNext]]:
    if not diseases:
        return None, False, []
    pair = diseases[0].syndromes[:2]
    if len(pair) < 2:
        rest = sorted((s for d in diseases[1:] for s in d.syndromes), key=lambda s: -s.fit)
        pair = pair + rest[:1]
    if len(pair) < 2:
        return None, False, []
    first, second = pair
    margin = round(first.fit - second.fit, 4)
    if margin >= ASK_MARGIN:
        return margin, False, []
    return margin, True, separating(first.syndrome, second.syndrome, seen)


def separating(a: Syndrome, b: Syndrome, seen: Observed) -> list[AskNext]:
    """Unstated findings that one of the two syndromes has and the other lacks, the heaviest
    (main, then tongue/coating/pulse, then secondary) first, alternating between the two."""
    picks: list[tuple[float, int, AskNext]] = []
    for order, (this, other) in enumerate(((a, b), (b, a))):
        other_terms = {t for k in (*FINDING_KINDS, *SIGN_KINDS) for t in getattr(other, k)}
        for kind in (*FINDING_KINDS, *SIGN_KINDS):
            if kind in SIGN_KINDS and seen.signs[kind]:
                continue  # already stated: asking again separates nothing
            for rank, term in enumerate(getattr(this, kind)):
                if term in other_terms:
                    continue
                if kind in FINDING_KINDS and match(term, seen)[0] != "unstated":
                    continue
                picks.append((-WEIGHTS[kind], rank * 2 + order, AskNext(term, kind, this.name.zh)))
                if kind in SIGN_KINDS:
                    break  # one term per sign is enough to ask about it
    picks.sort(key=lambda p: (p[0], p[1]))
    seen_terms: set[str] = set()
    out = []
    for _, _, item in picks:
        if item.term not in seen_terms:
            seen_terms.add(item.term)
            out.append(item)
    return out[:MAX_ASK]
