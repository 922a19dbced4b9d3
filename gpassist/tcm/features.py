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
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gpassist.tcm.text import NEGATED, tokens

# block name -> the record keys whose text it reads
BLOCKS: dict[str, tuple[str, ...]] = {
    "complaint": ("主诉", "症状"),
    "tongue_pulse": ("中医望闻切诊",),
    "history": ("病史",),
}
RECORD_KEYS = tuple(k for keys in BLOCKS.values() for k in keys)


def block_texts(record: Mapping[str, object]) -> dict[str, str]:
    """The text of each block ("" where the record has none)."""
    return {
        name: "，".join(str(record.get(k) or "") for k in keys if record.get(k))
        for name, keys in BLOCKS.items()
    }


def block_tokens(record: Mapping[str, object]) -> dict[str, list[str]]:
    return {name: tokens(text) for name, text in block_texts(record).items()}


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
