"""The three engines measured alike (``gpassist tcm evaluate --engine``) and the combination's
weights chosen by cross-validation (``gpassist tcm calibrate``).

Engines: ``learned`` (the ONNX model), ``kb`` (辨证 over the knowledge base), ``combined``
(``gpassist.tcm.combine``). Figures: disease accuracy, syndrome top-1-in-gold, syndrome top-3.

Cross-validation: stratified 5 folds on the training records. In each fold the learned model is
refitted on the other four with the committed model's parameters and predicts the held-out
records (out-of-fold probabilities); the knowledge base needs no fitting. The combination's
weights for a fold are chosen on the *other* folds' out-of-fold rows and scored on the fold, so
every reported figure is held out. The familiarity from which the model's disease leads
(``combine.model_leads``) is the 5th percentile (``FAMILIAR_SHARE``) of the out-of-fold
familiarity of the other folds' records, before the weights are chosen. The final threshold and
weights are chosen on all out-of-fold rows. The textbook cases never take part: they measure only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from itertools import product
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

from gpassist.tcm.combine import (
    Learned,
    Weights,
    combined_ranking,
    figures,
    kb_ranking,
    learned_ranking,
    synonyms,
)
from gpassist.tcm.differentiation import differentiate
from gpassist.tcm.knowledge import KnowledgeBase
from gpassist.tcm.runtime import MIN_KNOWN_WORDS, cardinal_findings
from gpassist.tcm.training.data import labelled, read_records, subset
from gpassist.tcm.training.fitting import fit, sklearn_probabilities

ENGINES = ("learned", "kb", "combined")
GRID = tuple(round(float(x), 2) for x in np.linspace(0, 1, 11))
FIGURES = ("disease_accuracy", "syndrome_top1_in_gold", "syndrome_top3_in_gold")
# 95 % of the training records (out of fold) count as familiar: the threshold is a property of
# how the training records are written, not tuned for a score
FAMILIAR_SHARE = 0.95


def learned_rows(model, records: Sequence[Mapping], tokenised, pd, ps) -> list[Learned]:
    """``Learned`` per record from probabilities of ``model`` (a served ``TcmModel`` or a fitted
    one: both have ``diseases``, ``syndromes`` and ``space``), with the scope test of the
    combination: a chief complaint that opens with a presenting finding of the four diseases
    (``runtime.cardinal_findings``) and enough known words. (The
    runtime's third test, a leading probability ≥ 0.5, is left to the blend's weights: as a gate
    it handed 8 % of the training records, the ambiguous ones, to a knowledge base that knew
    them less well.)"""
    out = []
    for i, record in enumerate(records):
        in_scope = (
            bool(cardinal_findings(record))
            and model.space.known_tokens(tokenised[i]) >= MIN_KNOWN_WORDS
        )
        out.append(
            Learned(
                dict(zip(model.diseases, map(float, pd[i]), strict=True)),
                dict(zip(model.syndromes, map(float, ps[i]), strict=True)),
                in_scope,
                model.space.familiarity(tokenised[i]),
            )
        )
    return out


def rankings(engine: str, kb_results, learned: Sequence[Learned | None], weights: Weights):
    if engine == "kb":
        return [kb_ranking(r) for r in kb_results]
    if engine == "learned":
        return [learned_ranking(x) for x in learned]
    return [combined_ranking(r, x, weights) for r, x in zip(kb_results, learned, strict=True)]


def evaluate_engine(
    engine: str,
    records_path: Path,
    kb: KnowledgeBase | None = None,
    model=None,
    weights: Weights | None = None,
    confusions: bool = False,
) -> dict:
    """The engine's figures on a file in the training format, with what it cannot know; with
    ``confusions``, the records whose leading disease is wrong (``disease_confusions``)."""
    data = labelled(read_records(records_path))
    kb_results = [differentiate(kb, r) for r in data.records] if kb is not None else []
    learned: list[Learned | None] = [None] * len(data.records)
    if model is not None:
        pd, ps = model.probabilities(data.tokenised)
        learned = learned_rows(model, data.records, data.tokenised, pd, ps)
    result: dict = {"engine": engine}
    ranked = rankings(engine, kb_results, learned, weights or Weights(0.5, 0.5))
    names = synonyms(kb) if engine != "learned" else None
    result |= figures(ranked, data.diseases, data.syndromes, names)
    if confusions:
        result["disease_confusions"] = disease_confusions(ranked, data, names)
    known_d: set[str] = set()
    known_s: set[str] = set()
    if kb is not None and engine != "learned":
        known_d |= {n for d in kb.diseases.values() for n in d.names()}
        known_s |= {s.name.zh for d in kb.diseases.values() for s in d.syndromes}
    if model is not None and engine != "kb":
        known_d |= set(model.diseases)
        known_s |= set(model.syndromes)
    if kb is not None and engine != "learned":
        known_s |= {a for d in kb.diseases.values() for s in d.syndromes for a in s.aliases}
    result["unknown_diseases"] = sorted(set(data.diseases) - known_d)
    result["unknown_syndromes"] = sorted({s for g in data.syndromes for s in g} - known_s)
    if kb is not None and engine != "learned":
        result["kb"] = {"name": kb.name, "version": kb.version}
    if model is not None and engine != "kb":
        result["model"] = {"name": model.name, "version": model.version}
    if engine == "combined" and weights is not None:
        result["weights"] = _as_json(weights)
    return result


def disease_confusions(ranked, data, names: Mapping[str, set[str]] | None) -> list[dict]:
    """Gold disease → leading disease pairs where they differ, most frequent first, each with the
    records' ``id`` (or row number) and the gold disease's rank (None when not ranked)."""
    names = names or {}
    pairs: dict[tuple[str, str], list] = {}
    for i, (ranking, gold) in enumerate(zip(ranked, data.diseases, strict=True)):
        terms = [t for t, _ in ranking.diseases]
        rank = next(
            (k + 1 for k, t in enumerate(terms) if t == gold or gold in names.get(t, ())), None
        )
        if rank == 1 or not terms:
            continue
        ident = data.records[i].get("id", i)
        pairs.setdefault((gold, terms[0]), []).append({"id": ident, "gold_rank": rank})
    out = [{"gold": g, "predicted": p, "n": len(v), "records": v} for (g, p), v in pairs.items()]
    return sorted(out, key=lambda c: (-c["n"], c["gold"], c["predicted"]))


def _objective(fig: Mapping) -> tuple:
    # the two targets, then top-3
    return (fig["disease_accuracy"] + fig["syndrome_top1_in_gold"], fig["syndrome_top3_in_gold"])


def familiar_threshold(learned: Sequence[Learned | None]) -> float:
    """The familiarity that ``FAMILIAR_SHARE`` of the training records reach (out of fold)."""
    values = [x.familiarity for x in learned if x is not None]
    return round(float(np.percentile(values, 100 * (1 - FAMILIAR_SHARE))), 4)


def _as_json(w: Weights) -> dict:
    return {"disease": w.disease, "syndrome": w.syndrome, "familiar": w.familiar}


def choose_weights(kb_results, learned, diseases, golds) -> tuple[Weights, dict]:
    best: tuple[tuple, Weights, dict] | None = None
    familiar = familiar_threshold(learned)
    for wd, ws in product(GRID, GRID):
        w = Weights(wd, ws, familiar)
        fig = figures(rankings("combined", kb_results, learned, w), diseases, golds)
        if best is None or _objective(fig) > best[0]:
            best = (_objective(fig), w, fig)
    assert best is not None
    return best[1], best[2]


def _mean_sd(per_fold: Sequence[Mapping]) -> dict:
    out = {}
    for key in FIGURES:
        values = [f[key] for f in per_fold]
        out[key] = {"mean": round(float(np.mean(values)), 4), "sd": round(float(np.std(values)), 4)}
    return out


def cross_validate(
    kb: KnowledgeBase,
    records_path: Path,
    params: Mapping,
    folds: int = 5,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> dict:
    """Per-fold and mean ± sd figures of the three engines, and the chosen weights."""
    data = labelled(read_records(records_path))
    n = len(data.records)
    splits = list(
        StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(n), data.diseases)
    )
    learned: list[Learned | None] = [None] * n
    for k, (train_idx, test_idx) in enumerate(splits):
        fitted = fit(subset(data, train_idx), params)
        test = subset(data, test_idx)
        pd, ps = sklearn_probabilities(fitted, test.tokenised)
        rows = learned_rows(fitted, test.records, test.tokenised, pd, ps)
        for i, row in zip(test_idx, rows, strict=True):
            learned[i] = row
        log(f"fold {k + 1}/{folds}: learned model refitted")
    kb_results = [differentiate(kb, r) for r in data.records]
    per_fold: dict[str, list[dict]] = {e: [] for e in ENGINES}
    fold_weights = []
    for k, (_, test_idx) in enumerate(splits):
        other = [i for j, (_, idx) in enumerate(splits) if j != k for i in idx]

        def pick(idx, _kb=kb_results, _l=learned):
            return [_kb[i] for i in idx], [_l[i] for i in idx]

        w, _ = choose_weights(
            *pick(other), [data.diseases[i] for i in other], [data.syndromes[i] for i in other]
        )
        fold_weights.append(_as_json(w))
        kb_part, learned_part = pick(test_idx)
        gold_d = [data.diseases[i] for i in test_idx]
        gold_s = [data.syndromes[i] for i in test_idx]
        for engine in ENGINES:
            fig = figures(rankings(engine, kb_part, learned_part, w), gold_d, gold_s)
            per_fold[engine].append(fig)
        log(
            f"fold {k + 1}/{folds}: weights {fold_weights[-1]}, combined {per_fold['combined'][-1]}"
        )
    final, _ = choose_weights(kb_results, learned, data.diseases, data.syndromes)
    return {
        "weights": _as_json(final),
        "cross_validation": {
            "folds": folds,
            "seed": seed,
            "n": n,
            "learned_params": dict(params),
            "fold_weights": fold_weights,
            **{e: _mean_sd(per_fold[e]) | {"per_fold": per_fold[e]} for e in ENGINES},
        },
        "kb": {"name": kb.name, "version": kb.version},
        "records": Path(records_path).name,
    }


def write(result: Mapping, out: Path) -> None:
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
