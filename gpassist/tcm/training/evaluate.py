"""``gpassist tcm evaluate``: the committed model's figures on any file in the training format,
and the figures themselves (``score``), which cross-validation uses too."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gpassist.tcm.ranking import suggested_set
from gpassist.tcm.runtime import TcmModel
from gpassist.tcm.training.data import Labelled, labelled, read_records


def score(
    pd: np.ndarray,
    ps: np.ndarray,
    diseases: list[str],
    syndromes: list[str],
    data: Labelled,
    threshold: float,
) -> dict:
    """n, disease_accuracy, syndrome_micro_f1, syndrome_exact_match, syndrome_top1_in_gold and
    syndrome_top3_in_gold (one of the three likeliest syndromes is in the record's gold set: the
    doctor sees a ranked list, so a right answer in second or third place still helps)."""
    n = len(data.diseases)
    if n == 0:
        return {
            "n": 0,
            "disease_accuracy": None,
            "syndrome_micro_f1": None,
            "syndrome_exact_match": None,
            "syndrome_top1_in_gold": None,
            "syndrome_top3_in_gold": None,
        }
    correct = sum(diseases[int(i)] == d for i, d in zip(pd.argmax(1), data.diseases, strict=True))
    tp = predicted = gold_total = exact = top1 = top3 = 0
    for row, gold in zip(ps, data.syndromes, strict=True):
        chosen = {syndromes[j] for j in suggested_set(row, threshold)}
        gold_set = set(gold)
        tp += len(chosen & gold_set)
        predicted += len(chosen)
        gold_total += len(gold_set)
        exact += chosen == gold_set
        top1 += syndromes[int(row.argmax())] in gold_set
        top3 += any(syndromes[int(j)] in gold_set for j in np.argsort(-row, kind="stable")[:3])
    return {
        "n": n,
        "disease_accuracy": round(correct / n, 4),
        "syndrome_micro_f1": round(2 * tp / (predicted + gold_total), 4),
        "syndrome_exact_match": round(exact / n, 4),
        "syndrome_top1_in_gold": round(top1 / n, 4),
        "syndrome_top3_in_gold": round(top3 / n, 4),
    }


def evaluate(folder: Path, records_path: Path) -> dict:
    """n, disease_accuracy, syndrome_micro_f1, syndrome_exact_match, syndrome_top1_in_gold,
    syndrome_top3_in_gold, plus
    the labels in the file that the model does not know (they can never be predicted)."""
    model = TcmModel.from_folder(folder, cached=False)
    data = labelled(read_records(records_path))
    pd, ps = model.probabilities(data.tokenised)
    result = score(pd, ps, model.diseases, model.syndromes, data, model.threshold)
    result["unknown_diseases"] = sorted(set(data.diseases) - set(model.diseases))
    result["unknown_syndromes"] = sorted(
        {s for g in data.syndromes for s in g} - set(model.syndromes)
    )
    result["model"] = model.name
    result["version"] = model.version
    return result
