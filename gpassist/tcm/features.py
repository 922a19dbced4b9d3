"""Records → feature rows: one TF-IDF block per field of the record, computed in Python.

The training file's records have Chinese keys (主诉, 症状, 中医望闻切诊, 病史, …). Fields are
grouped into blocks (the complaint, the tongue and pulse, the history); each block has its own
vocabulary and IDF weights, fitted with scikit-learn at training (``training/fitting.py``) and
stored in metadata.json, so the service computes exactly the same numbers without scikit-learn:
sublinear term frequency × IDF, L2 normalised per block, times the block's weight. The
classifier that reads the row is ONNX.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gpassist.tcm.text import NEGATED, spans, tokens

# block name -> the record keys whose text it reads
BLOCKS: dict[str, tuple[str, ...]] = {
    "complaint": ("主诉", "症状"),
    "tongue_pulse": ("中医望闻切诊",),
    "history": ("病史",),
    "lead": ("主诉",),
    "signs": ("中医望闻切诊",),
}
RECORD_KEYS = tuple(dict.fromkeys(k for keys in BLOCKS.values() for k in keys))

# The presenting complaints of the four ward diseases, grouped. A TCM disease is named after the
# chief complaint's leading finding (主症): 心慌 before 头晕 in 主诉 is 心悸病 even when the rest of
# the record talks of dizziness, which bag-of-words blocks cannot see. The lead block marks which
# group the chief complaint names first (LEAD:) and every group it names (HAS:).
# This lexicon and SIGN_QUALITIES below are part of the committed model: its vocabularies hold the
# tokens they make, so changing a word here changes what the model reads; retrain after a change.
# (runtime.PRESENTING_FINDINGS, the scope check, is a separate, stricter list on purpose.)
PRESENTING_GROUPS: dict[str, tuple[str, ...]] = {
    "dizzy": ("头晕", "眩晕", "头昏", "头痛", "头胀", "头重", "头蒙", "头沉"),
    "palpitation": ("心悸", "心慌", "心跳", "早搏", "房颤", "心律"),
    "chest_tight": ("胸闷", "憋闷", "憋气", "胸部不适", "心前区不适"),
    "chest_pain": ("胸痛", "心前区疼", "心前区痛", "心绞痛", "胸部疼", "胸前区疼", "背痛"),
    "breathless": ("气短", "气促", "气喘", "喘", "呼吸困难", "不能平卧"),
    "oedema": ("水肿", "浮肿", "肿"),
}


def block_texts(record: Mapping[str, object]) -> dict[str, str]:
    """The text of each block ("" where the record has none)."""
    return {
        name: "，".join(str(record.get(k) or "") for k in keys if record.get(k))
        for name, keys in BLOCKS.items()
    }


def block_tokens(record: Mapping[str, object]) -> dict[str, list[str]]:
    return {name: TOKENISERS.get(name, tokens)(text) for name, text in block_texts(record).items()}


def lead_tokens(complaint: str) -> list[str]:
    """``LEAD:<group>`` for the presenting group the complaint states first and ``HAS:<group>``
    for each group it states (denied ones do not count).

    >>> lead_tokens("发作性心慌6年，加重伴头晕4天")
    ['LEAD:palpitation', 'HAS:palpitation', 'HAS:dizzy']
    >>> lead_tokens("咳嗽3天，无胸闷")
    []
    """
    found: dict[str, int] = {}
    offset = 0
    for span in spans(complaint):
        if not span.negated:
            for group, words in PRESENTING_GROUPS.items():
                places = [span.text.find(w) for w in words if w in span.text]
                if places and group not in found:
                    found[group] = offset + min(places)
        offset += len(span.text) + 1
    ordered = sorted(found, key=found.__getitem__)
    return [f"LEAD:{ordered[0]}", *(f"HAS:{g}" for g in ordered)] if ordered else []


# The qualities of tongue body, coating and pulse that 辨证 reads. The tongue-and-pulse text of a
# ward record is mostly template (表情自然，面色红润，形体正常 …), which dilutes these few
# characters in its TF-IDF block; the signs block holds only them.
SIGN_QUALITIES: dict[str, tuple[str, ...]] = {
    "舌": ("淡", "红", "绛", "暗", "紫", "瘀", "胖", "齿痕", "瘦", "裂"),
    "苔": ("薄", "白", "黄", "腻", "厚", "少", "无苔", "滑", "燥", "干", "剥", "润"),
    "脉": ("弦", "细", "滑", "数", "沉", "涩", "结", "代", "缓", "弱", "迟", "浮", "促", "紧"),
}
_SIGN_PHRASE = re.compile(r"(舌下|舌|苔|脉)([^舌苔脉，,。；;]*)")


def sign_tokens(text: str) -> list[str]:
    """``舌:暗``, ``苔:腻``, ``脉:弦`` … for each quality a tongue, coating or pulse phrase of the
    text states (舌下络脉 is not the tongue body; 无苔 is a quality of its own).

    >>> sign_tokens("表情自然，舌暗红，苔白腻,舌边有齿痕,脉细弦。")
    ['舌:红', '舌:暗', '苔:白', '苔:腻', '舌:齿痕', '脉:弦', '脉:细']
    """
    out: list[str] = []
    for part, phrase in _SIGN_PHRASE.findall(text or ""):
        if part == "舌下":
            continue
        for quality in SIGN_QUALITIES[part]:
            if quality in phrase and f"{part}:{quality}" not in out:
                out.append(f"{part}:{quality}")
    return out


TOKENISERS = {"lead": lead_tokens, "signs": sign_tokens}


@dataclass
class Block:
    name: str
    vocabulary: dict[str, int]
    idf: np.ndarray
    weight: float
    offset: int = 0

    @property
    def width(self) -> int:
        return len(self.vocabulary)

    def fill(self, row: np.ndarray, toks: Sequence[str]) -> None:
        counts = Counter(t for t in toks if t in self.vocabulary)
        if not counts:
            return
        columns = np.fromiter((self.vocabulary[t] for t in counts), dtype=np.int64)
        values = np.fromiter(
            ((1.0 + math.log(n)) * self.idf[self.vocabulary[t]] for t, n in counts.items()),
            dtype=np.float64,
        )
        values *= self.weight / np.linalg.norm(values)
        row[self.offset + columns] = values


class FeatureSpace:
    """The blocks in their committed order; ``encode`` gives float32 rows of fixed width."""

    def __init__(self, blocks: list[Block]):
        offset = 0
        for block in blocks:
            block.offset = offset
            offset += block.width
        self.blocks = blocks
        self._by_name = {block.name: block for block in blocks}
        self.width = offset
        self.names = [""] * offset
        for block in blocks:
            for token, j in block.vocabulary.items():
                self.names[block.offset + j] = f"{block.name}|{token}"

    def encode(self, tokenised: Sequence[Mapping[str, list[str]]]) -> np.ndarray:
        rows = np.zeros((len(tokenised), self.width), dtype=np.float64)
        for i, record in enumerate(tokenised):
            for block in self.blocks:
                block.fill(rows[i], record.get(block.name, ()))
        return rows.astype(np.float32)

    def known_tokens(self, record: Mapping[str, list[str]]) -> int:
        """How many of the record's word tokens the model has a column for (scope check)."""
        return sum(
            1
            for block in self.blocks
            for t in set(record.get(block.name, ()))
            if t.removeprefix(NEGATED).startswith("W:") and t in block.vocabulary
        )

    def familiarity(self, record: Mapping[str, list[str]]) -> float:
        """The share of the record's distinct word tokens (negated or not) that the model has a
        column for: near 1 for a record written like its training records (ward notes in their
        template), lower for other writing (a textbook case: at most 0.77 of the 198), but 1 for a
        short note of common findings. The combination lets the model's disease lead among its
        four only on familiar records (``combine.model_leads``)."""
        words = {
            (block.name, t)
            for block in self.blocks
            for t in record.get(block.name, ())
            if t.removeprefix(NEGATED).startswith("W:")
        }
        if not words:
            return 0.0
        known = sum(1 for name, t in words if t in self._by_name[name].vocabulary)
        return known / len(words)

    def to_json(self) -> list[dict]:
        return [
            {
                "name": b.name,
                "weight": b.weight,
                "tokens": list(b.vocabulary),
                "idf": [round(float(x), 12) for x in b.idf],
            }
            for b in self.blocks
        ]

    @classmethod
    def from_json(cls, data: list[dict]) -> FeatureSpace:
        return cls(
            [
                Block(
                    b["name"],
                    {t: j for j, t in enumerate(b["tokens"])},
                    np.asarray(b["idf"], dtype=np.float64),
                    float(b["weight"]),
                )
                for b in data
            ]
        )
