"""``gpassist tcm evaluate``: the committed model's figures on any file in the training format."""

from __future__ import annotations

from pathlib import Path

from gpassist.tcm.runtime import TcmModel
from gpassist.tcm.training import labelled, read_records, score


def evaluate(folder: Path, records_path: Path) -> dict:
    """n, disease_accuracy, syndrome_micro_f1, syndrome_exact_match, syndrome_top1_in_gold, plus
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
