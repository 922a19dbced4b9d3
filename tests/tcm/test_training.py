"""The training pipeline on tiny synthetic data in a temporary folder, and the evaluate command."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from gpassist.cli import main
from gpassist.tcm.features import block_tokens
from gpassist.tcm.runtime import TcmModel
from gpassist.tcm.training import train
from gpassist.tcm.training.data import labelled
from tests.tcm.conftest import TINY_GRID, synthetic_records

KEYS = {
    "n",
    "disease_accuracy",
    "syndrome_micro_f1",
    "syndrome_exact_match",
    "syndrome_top1_in_gold",
    "syndrome_top3_in_gold",
}


def test_training_writes_artifacts_that_onnxruntime_serves_like_scikit_learn(tiny_model):
    folder, metrics = tiny_model
    for name in ("disease.onnx", "syndrome.onnx", "metadata.json", "metrics.json"):
        assert (folder / name).exists(), name
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["clinical"] is False
    assert metadata["diseases"] == ["眩晕病", "胸痹心痛病"]
    assert len(metadata["data"]["sha256"]) == 64
    assert metrics["parity_max_abs_difference"] <= 1e-5
    # the telltale findings are learnt: the held-out synthetic records are easy
    assert metrics["holdout"]["disease_accuracy"] == 1.0
    assert metrics["holdout"]["syndrome_top1_in_gold"] >= 0.9
    assert len(metrics["grid"]) == 2  # one CV result per point of the grid


def test_training_is_deterministic(tiny_model, tiny_data, tmp_path):
    folder, _ = tiny_model
    train(
        tiny_data,
        tmp_path / "again",
        folds=3,
        grid=TINY_GRID,
        max_features=500,
        log=lambda *_: None,
    )
    first, second = (
        TcmModel.from_folder(folder, cached=False),
        TcmModel.from_folder(tmp_path / "again", cached=False),
    )
    records = [block_tokens(r) for r in synthetic_records(9, seed=99)]
    for a, b in zip(first.probabilities(records), second.probabilities(records), strict=True):
        assert np.array_equal(a, b)


def test_evaluate_prints_one_json_object_with_the_figures(tiny_model, tmp_path):
    folder, _ = tiny_model
    records = synthetic_records(12, seed=3)
    records[0]["证型"] = "气虚血瘀证"  # a syndrome the tiny model never saw
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["tcm", "evaluate", "--model", str(folder), "--records", str(path), "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert set(figures) >= KEYS
    assert figures["n"] == 12
    assert figures["unknown_syndromes"] == ["气虚血瘀证"]
    assert figures["syndrome_top1_in_gold"] == round(
        11 / 12, 4
    )  # the unseen one can never be right
    # the tiny model knows three syndromes, so top-3 is every known one
    assert figures["syndrome_top3_in_gold"] == round(11 / 12, 4)


def test_evaluate_refuses_a_file_not_in_the_training_format(tiny_model, tmp_path):
    folder, _ = tiny_model
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"主诉": "头晕"}], ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["tcm", "evaluate", "--model", str(folder), "--records", str(path), "--json"]
    )
    assert result.exit_code != 0
    assert "疾病" in result.output


def test_scores_count_a_two_syndrome_record_right_only_with_both():
    from gpassist.tcm.training.evaluate import score

    data = labelled([{"疾病": "眩晕病", "证型": "肝阳上亢证|痰湿痹阻证"}])
    ps = np.array([[0.5, 0.45, 0.05]])  # labels below; both above 0.5 × top
    figures = score(
        np.array([[1.0]]), ps, ["眩晕病"], ["肝阳上亢证", "痰湿痹阻证", "气滞血瘀证"], data, 0.5
    )
    assert figures == {
        "n": 1,
        "disease_accuracy": 1.0,
        "syndrome_micro_f1": 1.0,
        "syndrome_exact_match": 1.0,
        "syndrome_top1_in_gold": 1.0,
        "syndrome_top3_in_gold": 1.0,
    }
    only_top = score(
        np.array([[1.0]]),
        np.array([[0.8, 0.1, 0.1]]),
        ["眩晕病"],
        ["肝阳上亢证", "痰湿痹阻证", "气滞血瘀证"],
        data,
        0.5,
    )
    assert only_top["syndrome_exact_match"] == 0.0
    assert only_top["syndrome_micro_f1"] == round(2 * 1 / 3, 4)


def test_top3_counts_a_gold_syndrome_ranked_third_but_not_fourth():
    from gpassist.tcm.training.evaluate import score

    names = ["风寒束表证", "风热犯表证", "暑湿袭表证", "气虚感冒证", "阴虚感冒证"]
    data = labelled([{"疾病": "感冒", "证型": g} for g in ("暑湿袭表证", "气虚感冒证")])
    # both rows rank 风寒 > 风热 > 暑湿 > 气虚 > 阴虚: gold third in row 1, fourth in row 2
    row = [0.4, 0.3, 0.15, 0.1, 0.05]
    figures = score(np.array([[1.0], [1.0]]), np.array([row, row]), ["感冒"], names, data, 0.5)
    assert figures["syndrome_top1_in_gold"] == 0.0
    assert figures["syndrome_top3_in_gold"] == 0.5


def test_top3_on_a_model_with_fewer_than_three_syndromes_is_top_all():
    from gpassist.tcm.training.evaluate import score

    data = labelled([{"疾病": "眩晕病", "证型": "痰湿痹阻证"}])
    names = ["肝阳上亢证", "痰湿痹阻证"]
    figures = score(np.array([[1.0]]), np.array([[0.9, 0.1]]), ["眩晕病"], names, data, 0.5)
    assert (figures["syndrome_top1_in_gold"], figures["syndrome_top3_in_gold"]) == (0.0, 1.0)


def test_with_no_holdout_every_record_is_fitted_and_only_cv_figures_are_reported(
    tiny_data, tmp_path
):
    metrics = train(
        tiny_data,
        tmp_path / "all",
        folds=3,
        holdout=0,
        grid=TINY_GRID,
        max_features=500,
        log=lambda *_: None,
    )
    metadata = json.loads((tmp_path / "all" / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["split"]["holdout_ids"] == []
    assert metrics["holdout"] is None
    assert metrics["cross_validation"]["n"] == metadata["data"]["records"]
