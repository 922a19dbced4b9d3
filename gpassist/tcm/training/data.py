"""The training format: a JSON list of records with Chinese keys, 疾病 and 证型 (syndromes
joined by ``|``), tokenised into the feature blocks."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gpassist.tcm.features import block_tokens

DISEASE_KEY = "疾病"
SYNDROME_KEY = "证型"


class TrainingDataError(ValueError):
    """The records file is not in the training format."""


@dataclass
class Labelled:
    records: list[dict]
    tokenised: list[dict[str, list[str]]]
    diseases: list[str]
    syndromes: list[list[str]]


def read_records(path: Path) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TrainingDataError(f"{path}: cannot read a JSON list of records ({exc})") from exc
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise TrainingDataError(f"{path}: expected a JSON list of objects")
    return data


def labelled(records: Sequence[Mapping]) -> Labelled:
    for i, r in enumerate(records):
        if not r.get(DISEASE_KEY) or not r.get(SYNDROME_KEY):
            raise TrainingDataError(f"record {i}: needs {DISEASE_KEY} and {SYNDROME_KEY}")
    return Labelled(
        list(records),
        [block_tokens(r) for r in records],
        [str(r[DISEASE_KEY]).strip() for r in records],
        [[s.strip() for s in str(r[SYNDROME_KEY]).split("|") if s.strip()] for r in records],
    )


def subset(data: Labelled, idx) -> Labelled:
    return Labelled(
        [data.records[i] for i in idx],
        [data.tokenised[i] for i in idx],
        [data.diseases[i] for i in idx],
        [data.syndromes[i] for i in idx],
    )
