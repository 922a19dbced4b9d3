"""TCM fixtures: a tiny synthetic training file (no real records), a model trained from it in a
temporary folder, and the committed model for the behaviour tests."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from gpassist.config import PACKAGED_MODELS
from gpassist.tcm.runtime import TcmModel

COMMITTED = PACKAGED_MODELS / "tcm" / "tbosd"

# Synthetic records: two diseases, three syndromes, each with its telltale findings.
SYNTHETIC = {
    ("眩晕病", "肝阳上亢证"): ("头晕头胀，急躁易怒，口苦", "舌红，苔黄，脉弦"),
    ("眩晕病", "痰湿痹阻证"): ("头晕，头重如裹，恶心", "舌淡，苔白腻，脉滑"),
    ("胸痹心痛病", "气滞血瘀证"): ("胸闷胸痛，后背痛", "舌暗红，苔薄白，脉弦涩"),
}
FILLERS = ("纳可", "眠差", "二便调", "乏力", "口干", "耳鸣", "气短")


def synthetic_records(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    keys = list(SYNTHETIC)
    records = []
    for i in range(n):
        disease, syndrome = keys[i % len(keys)]
        symptoms, tongue = SYNTHETIC[(disease, syndrome)]
        extra = "，".join(rng.sample(FILLERS, 3))
        records.append(
            {
                "ID": str(i),
                "性别": rng.choice(["男", "女"]),
                "年龄": str(rng.randint(40, 85)),
                "主诉": symptoms.split("，")[0] + f"{rng.randint(1, 9)}年",
                "症状": f"{symptoms}，{extra}。",
                "中医望闻切诊": f"表情自然，{tongue}。",
                "病史": "既往体健，否认糖尿病史。",
                "疾病": disease,
                "证型": syndrome,
            }
        )
    return records


TINY_GRID = {
    "history_weight": [0.5],
    "lead_weight": [0.5],
    "sign_weight": [0.5],
    "disease_C": [1.0, 10.0],
    "syndrome_C": [10.0],
    "threshold": [0.5],
}


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tcm-data") / "train.json"
    path.write_text(json.dumps(synthetic_records(60), ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, tiny_data) -> tuple[Path, dict]:
    from gpassist.tcm.training import train

    out = tmp_path_factory.mktemp("tcm-model") / "tiny"
    metrics = train(tiny_data, out, folds=3, grid=TINY_GRID, max_features=500, log=lambda *_: None)
    return out, metrics


@pytest.fixture(scope="session")
def committed_model() -> TcmModel:
    if not (COMMITTED / "disease.onnx").exists():
        pytest.fail(f"the committed TCM model is missing: {COMMITTED}")
    return TcmModel.from_folder(COMMITTED)
