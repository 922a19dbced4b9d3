"""Cross-validated comparison of learners and feature uses for the TCM model (not part of the
package; nothing imports it).

Same folds as ``fitting.cross_validate`` (StratifiedKFold(5, shuffle, seed 0) on the disease),
same tokenisers, FeatureSpace and ``score``. Every variant changes one side only: a disease
variant feeds its probabilities to the baseline syndrome classifier; a syndrome variant reads
the baseline disease probabilities. 处方 is never read.

    PYTHONPATH=$PWD python tools/experiments/tcm_variants.py [--only NAME ...]

The tokenised records are cached in the temporary directory (gpassist-tcm-variants/, made once
from train.json; delete it after changing the tokenisers). Results of 2026-12-06: MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from gpassist.tcm.text import NEGATED, tokens
from gpassist.tcm.training.data import Labelled, labelled, read_records, subset
from gpassist.tcm.training.evaluate import score
from gpassist.tcm.training.fitting import (
    _duplicate_by_syndrome,
    _for_disease,
    fit,
    sklearn_probabilities,
    syndrome_rows,
)

DATA = Path("../shared/data/tcm-tbosd/train.json")  # from the project root, as the docs run it
CACHE_DIR = Path(tempfile.gettempdir()) / f"gpassist-tcm-variants-{os.getuid()}"


def cache_for(path: Path) -> Path:
    """This user's cache of ``path`` as it is now: another file, or a change to it, is read
    afresh (never a stale or someone else's pickle)."""
    stat = path.resolve().stat()
    key = hashlib.sha256(f"{path.resolve()}|{stat.st_mtime_ns}|{stat.st_size}".encode())
    return CACHE_DIR / f"{key.hexdigest()[:16]}.pkl"


COMMITTED = {
    "history_weight": 0.0,
    "lead_weight": 0.5,
    "sign_weight": 1.0,
    "disease_C": 3.0,
    "syndrome_C": 10.0,
    "threshold": 0.5,
}
THRESHOLD = 0.5
# diagnoses the history (病史) names that differ between the four diseases' records
HISTORY_DIAGNOSES = ("心衰", "心力衰竭", "心功能", "冠心病", "冠状动脉", "高血压", "房颤")
HISTORY_DIAGNOSES += ("心房颤动", "早搏", "支架", "心肌梗", "脑梗", "糖尿病")
FIGURES = ("disease_accuracy", "syndrome_top1_in_gold", "syndrome_top3_in_gold")


def load(path: Path = DATA) -> tuple[Labelled, list[dict[str, list[str]]]]:
    """The labelled records (without 处方) and extra token lists per record: 体格检查 and
    辅助检查 tokens, 主诉 alone, and binned vitals."""
    cache = cache_for(path)
    if cache.exists():
        cached = pickle.loads(cache.read_bytes())
        data, extra = cached["data"], cached["extra"]
    else:
        records = read_records(path)
        data = labelled(records)
        extra = [
            {
                "exam": tokens(str(r.get("体格检查") or "")),
                "aux": tokens(str(r.get("辅助检查") or "")),
            }
            for r in records
        ]
        for r in data.records:
            r.pop("处方", None)  # never a feature
        cache.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps({"data": data, "extra": extra}))
    for r, t, e in zip(data.records, data.tokenised, extra, strict=True):
        assert "处方" not in r
        words = [w for w in t["history"] if w.removeprefix(NEGATED).startswith("W:")]
        e["history_words"] = words
        e["history_dx"] = [w for w in words if any(k in w for k in HISTORY_DIAGNOSES)]
        e["chief"] = tokens(str(r.get("主诉") or ""))
        e["vitals"] = vital_tokens(r)
        e["chief_raw"] = str(r.get("主诉") or "")
        e["complaint_raw"] = str(r.get("主诉") or "") + "，" + str(r.get("症状") or "")
    return data, extra


def _bin(value: float, edges: tuple[float, ...]) -> int:
    return int(np.searchsorted(edges, value, side="right"))


def vital_tokens(record: dict) -> list[str]:
    """Blood pressure, pulse and heart rate from 体格检查 as binned tokens, with age and sex."""
    exam = str(record.get("体格检查") or "")
    out = []
    if m := re.search(r"血压[：:]\s*(\d{2,3})\s*/\s*(\d{2,3})", exam):
        out += [
            f"SBP{_bin(int(m[1]), (120, 140, 160, 180))}",
            f"DBP{_bin(int(m[2]), (80, 90, 100))}",
        ]
    if m := re.search(r"脉搏[：:]\s*(\d{2,3})", exam):
        out.append(f"P{_bin(int(m[1]), (60, 80, 100))}")
    if m := re.search(r"心率\s*[：:]?\s*(\d{2,3})", exam):
        out.append(f"HR{_bin(int(m[1]), (60, 80, 100))}")
    if re.search(r"心律(不齐|绝对不齐|不规则)|房颤|早搏", exam):
        out.append("IRREGULAR")
    if m := re.search(r"\d+", str(record.get("年龄") or "")):
        out.append(f"AGE{_bin(int(m[0]), (50, 60, 70, 80))}")
    out.append(f"SEX{record.get('性别', '')}")
    return out


@dataclass
class Fold:
    train: Labelled
    test: Labelled
    extra_train: list[dict]
    extra_test: list[dict]
    base: object  # the committed-params Fitted
    x_train: np.ndarray
    x_test: np.ndarray
    pd: np.ndarray  # baseline disease probabilities on test
    ps: np.ndarray  # baseline syndrome probabilities on test
    fit_seconds: float


def folds(data: Labelled, extra: list[dict], seed: int = 0) -> list[Fold]:
    splitter = StratifiedKFold(5, shuffle=True, random_state=seed)
    out = []
    for train_idx, test_idx in splitter.split(np.zeros(len(data.diseases)), data.diseases):
        train, test = subset(data, train_idx), subset(data, test_idx)
        started = time.perf_counter()
        base = fit(train, COMMITTED)
        seconds = time.perf_counter() - started
        pd, ps = sklearn_probabilities(base, test.tokenised)
        out.append(
            Fold(
                train,
                test,
                [extra[i] for i in train_idx],
                [extra[i] for i in test_idx],
                base,
                base.space.encode(train.tokenised),
                base.space.encode(test.tokenised),
                pd,
                ps,
                seconds,
            )
        )
    return out


# --- helpers -------------------------------------------------------------------------------


def _lr(C: float, **kw) -> LogisticRegression:
    return LogisticRegression(C=C, max_iter=5000, tol=1e-6, **kw)


def _y(f: Fold, labels: list[str]) -> np.ndarray:
    return np.asarray([labels.index(d) for d in f.train.diseases])


def _tfidf_block(f: Fold, key: str, weight: float, **kw) -> tuple[np.ndarray, np.ndarray]:
    """An extra TF-IDF block (sublinear tf, min_df 2, L2 per row, × weight) for train and test.
    With no ``analyzer`` it reads pre-tokenised lists like the project's blocks."""
    kw.setdefault("analyzer", lambda t: t)
    vectoriser = TfidfVectorizer(sublinear_tf=True, min_df=2, **kw)
    a = vectoriser.fit_transform([e[key] for e in f.extra_train]).toarray() * weight
    b = vectoriser.transform([e[key] for e in f.extra_test]).toarray() * weight
    return a.astype(np.float32), b.astype(np.float32)


def _disease_x(f: Fold) -> tuple[np.ndarray, np.ndarray]:
    return _for_disease(f.base.space, f.x_train), _for_disease(f.base.space, f.x_test)


def _syndromes_given(f: Fold, pd: np.ndarray) -> np.ndarray:
    """The baseline syndrome classifier fed other disease probabilities."""
    m = f.base.syndrome
    ps = m.predict_proba(syndrome_rows(f.x_test, pd.astype(np.float32)))
    out = np.zeros((len(pd), len(f.base.syndromes)))
    out[:, m.classes_] = ps
    return out


Variant = Callable[[Fold], tuple[np.ndarray, np.ndarray]]


def baseline(f: Fold):
    return f.pd, f.ps


# --- disease variants (syndromes: baseline classifier fed these probabilities) --------------


def disease_with(make: Callable[[Fold], tuple[np.ndarray, np.ndarray]], C: float = 3.0) -> Variant:
    """LR(C) on the baseline disease columns plus the blocks ``make`` builds."""

    def run(f: Fold):
        a, b = _disease_x(f)
        ea, eb = make(f)
        model = _lr(C).fit(np.hstack([a, ea]), _y(f, f.base.diseases))
        pd = model.predict_proba(np.hstack([b, eb]))
        return pd, _syndromes_given(f, pd)

    return run


def nothing(f: Fold):
    return np.zeros((len(f.x_train), 0)), np.zeros((len(f.x_test), 0))


def block(key: str, weight: float, **kw):
    return lambda f: _tfidf_block(f, key, weight, **kw)


def blocks(*makers):
    def make(f: Fold):
        parts = [m(f) for m in makers]
        return np.hstack([p[0] for p in parts]), np.hstack([p[1] for p in parts])

    return make


def disease_learner(make_model: Callable[[], object], how: str = "proba") -> Variant:
    """Another learner on the baseline disease columns; probabilities from predict_proba, or a
    softmax of the decision function (only argmax matters for accuracy)."""

    def run(f: Fold):
        a, b = _disease_x(f)
        model = make_model().fit(a, _y(f, f.base.diseases))
        if how == "decision":
            pd = softmax(model.decision_function(b) * 5.0, axis=1)
        else:
            pd = model.predict_proba(b)
        return pd, _syndromes_given(f, pd)

    return run


def disease_ensemble(make_model: Callable[[], object], how: str, share: float = 0.5) -> Variant:
    """(1 − share) × baseline LR probabilities + share × the other learner's."""
    other = disease_learner(make_model, how)

    def run(f: Fold):
        pd_other, _ = other(f)
        pd = (1 - share) * f.pd + share * pd_other
        return pd, _syndromes_given(f, pd)

    return run


def knn_complaint(k: int) -> Variant:
    def run(f: Fold):
        a, b = _disease_x(f)
        model = KNeighborsClassifier(k, metric="cosine", weights="distance")
        model.fit(a, _y(f, f.base.diseases))
        pd = model.predict_proba(b)
        return pd, _syndromes_given(f, pd)

    return run


# --- syndrome variants (disease: the baseline probabilities) ---------------------------------


def syndrome_lr(C: float, **kw) -> Variant:
    """The baseline syndrome design with another C / class weighting."""

    def run(f: Fold):
        d = f.base.diseases
        onehot = np.eye(len(d), dtype=np.float32)[_y(f, d)]
        xs, ys, ws = _duplicate_by_syndrome(
            syndrome_rows(f.x_train, onehot), f.train.syndromes, f.base.syndromes
        )
        model = _lr(C, **kw).fit(xs, ys, sample_weight=ws)
        ps = np.zeros((len(f.pd), len(f.base.syndromes)))
        ps[:, model.classes_] = model.predict_proba(syndrome_rows(f.x_test, f.pd))
        return f.pd, ps

    return run


def syndrome_scaled(C: float, scales: dict[str, float]) -> Variant:
    """The baseline syndrome design with some blocks' columns scaled (a block weight of the
    syndrome rows only)."""

    def run(f: Fold):
        factor = np.ones(f.x_train.shape[1], dtype=np.float32)
        for b in f.base.space.blocks:
            factor[b.offset : b.offset + b.width] = scales.get(b.name, 1.0)
        d = f.base.diseases
        onehot = np.eye(len(d), dtype=np.float32)[_y(f, d)]
        xs, ys, ws = _duplicate_by_syndrome(
            syndrome_rows(f.x_train * factor, onehot), f.train.syndromes, f.base.syndromes
        )
        model = _lr(C).fit(xs, ys, sample_weight=ws)
        ps = np.zeros((len(f.pd), len(f.base.syndromes)))
        ps[:, model.classes_] = model.predict_proba(syndrome_rows(f.x_test * factor, f.pd))
        return f.pd, ps

    return run


def syndrome_per_disease(C: float, gold_disease: bool = False) -> Variant:
    """One syndrome LR per disease, fitted on that disease's records; mixed by the disease
    probabilities (or, as an upper bound, the gold disease's model alone)."""

    def run(f: Fold):
        d, s = f.base.diseases, f.base.syndromes
        ps = np.zeros((len(f.pd), len(s)))
        weights = f.pd
        if gold_disease:
            weights = np.eye(len(d))[[d.index(x) for x in f.test.diseases]]
        for k, disease in enumerate(d):
            idx = [i for i, x in enumerate(f.train.diseases) if x == disease]
            xs, ys, ws = _duplicate_by_syndrome(
                f.x_train[idx], [f.train.syndromes[i] for i in idx], s
            )
            p = np.zeros((len(f.pd), len(s)))
            if len(set(ys)) == 1:
                p[:, ys[0]] = 1.0
            else:
                model = _lr(C).fit(xs, ys, sample_weight=ws)
                p[:, model.classes_] = model.predict_proba(f.x_test)
            ps += weights[:, [k]] * p
        return f.pd, ps

    return run


def syndrome_interactions(C: float, names=("signs", "lead", "tongue_pulse")) -> Variant:
    """The baseline rows plus disease × (named blocks) products (gold one-hot at training, the
    disease probabilities at test)."""

    def run(f: Fold):
        d, s = f.base.diseases, f.base.syndromes
        columns = np.concatenate(
            [
                np.arange(b.offset, b.offset + b.width)
                for b in f.base.space.blocks
                if b.name in names
            ]
        )

        def rows(x, p):
            inter = (p[:, :, None] * x[:, None, columns]).reshape(len(x), -1)
            return np.hstack([syndrome_rows(x, p), inter]).astype(np.float32)

        onehot = np.eye(len(d), dtype=np.float32)[_y(f, d)]
        xs, ys, ws = _duplicate_by_syndrome(rows(f.x_train, onehot), f.train.syndromes, s)
        model = _lr(C).fit(xs, ys, sample_weight=ws)
        ps = np.zeros((len(f.pd), len(s)))
        ps[:, model.classes_] = model.predict_proba(rows(f.x_test, f.pd.astype(np.float32)))
        return f.pd, ps

    return run


def syndrome_ovr(C: float) -> Variant:
    """One binary LR per syndrome (multi-label), ranked by their probabilities."""

    def run(f: Fold):
        d, s = f.base.diseases, f.base.syndromes
        onehot = np.eye(len(d), dtype=np.float32)[_y(f, d)]
        xa, xb = syndrome_rows(f.x_train, onehot), syndrome_rows(f.x_test, f.pd)
        ps = np.zeros((len(f.pd), len(s)))
        for j, name in enumerate(s):
            y = np.asarray([name in g for g in f.train.syndromes], dtype=int)
            ps[:, j] = _lr(C).fit(xa, y).predict_proba(xb)[:, 1]
        return f.pd, ps

    return run


def syndrome_gold_disease(f: Fold):
    """Upper bound, not servable: the baseline syndrome model given the gold disease."""
    d = f.base.diseases
    gold = np.eye(len(d))[[d.index(x) for x in f.test.diseases]]
    return f.pd, _syndromes_given(f, gold)


def syndrome_prior(f: Fold):
    """No text: each disease's syndrome frequencies in training, mixed by the disease
    probabilities (how much the text adds over the disease alone)."""
    d, s = f.base.diseases, f.base.syndromes
    table = np.zeros((len(d), len(s)))
    for disease, gold in zip(f.train.diseases, f.train.syndromes, strict=True):
        for name in gold:
            table[d.index(disease), s.index(name)] += 1 / len(gold)
    table /= table.sum(1, keepdims=True)
    return f.pd, f.pd @ table


def syndrome_with_blocks(make, C: float = 10.0) -> Variant:
    """The baseline syndrome design with extra blocks appended to its rows."""

    def run(f: Fold):
        d = f.base.diseases
        ea, eb = make(f)
        onehot = np.eye(len(d), dtype=np.float32)[_y(f, d)]
        xa = np.hstack([syndrome_rows(f.x_train, onehot), ea])
        xs, ys, ws = _duplicate_by_syndrome(xa, f.train.syndromes, f.base.syndromes)
        model = _lr(C).fit(xs, ys, sample_weight=ws)
        ps = np.zeros((len(f.pd), len(f.base.syndromes)))
        ps[:, model.classes_] = model.predict_proba(np.hstack([syndrome_rows(f.x_test, f.pd), eb]))
        return f.pd, ps

    return run


CHAR13 = {"analyzer": "char", "ngram_range": (1, 3)}
VARIANTS: dict[str, Variant] = {
    "baseline (committed params)": baseline,
    # disease side
    "D: C=1": disease_with(nothing, C=1.0),
    "D: C=10": disease_with(nothing, C=10.0),
    "D: +char1-3 主诉 w0.5": disease_with(block("chief_raw", 0.5, **CHAR13)),
    "D: +char1-3 主诉 w1": disease_with(block("chief_raw", 1.0, **CHAR13)),
    "D: +char1-3 主诉+症状 w1": disease_with(block("complaint_raw", 1.0, **CHAR13)),
    "D: +tokens 主诉 w0.5": disease_with(block("chief", 0.5)),
    "D: +tokens 主诉 w1": disease_with(block("chief", 1.0)),
    "D: +vitals w0.5": disease_with(block("vitals", 0.5)),
    "D: +体格检查 w0.5": disease_with(block("exam", 0.5, max_features=5000)),
    "D: +辅助检查 w0.5": disease_with(block("aux", 0.5)),
    "D: +history words w0.3": disease_with(block("history_words", 0.3)),
    "D: +history words w0.5": disease_with(block("history_words", 0.5)),
    "D: +history diagnoses w0.5": disease_with(block("history_dx", 0.5)),
    "D: +history diagnoses w1": disease_with(block("history_dx", 1.0)),
    "D: LinearSVC": disease_learner(lambda: LinearSVC(C=0.5), "decision"),
    "D: SGD (modified huber)": disease_learner(
        lambda: SGDClassifier(loss="modified_huber", alpha=1e-4, random_state=0), "proba"
    ),
    "D: ComplementNB": disease_learner(lambda: ComplementNB(alpha=0.3), "proba"),
    "D: Ridge": disease_learner(lambda: RidgeClassifier(alpha=1.0), "decision"),
    "D: kNN-15 cosine": knn_complaint(15),
    "D: LR+CNB average": disease_ensemble(lambda: ComplementNB(alpha=0.3), "proba"),
    "D: LR+SVC average": disease_ensemble(lambda: LinearSVC(C=0.5), "decision"),
    # syndrome side
    "S: prior given disease (no text)": syndrome_prior,
    "S: C=3": syndrome_lr(3.0),
    "S: C=30": syndrome_lr(30.0),
    "S: C=10 balanced": syndrome_lr(10.0, class_weight="balanced"),
    "S: C=1": syndrome_lr(1.0),
    "S: C=3 balanced": syndrome_lr(3.0, class_weight="balanced"),
    "S: C=3 signs×2": syndrome_scaled(3.0, {"signs": 2.0}),
    "S: C=3 signs×2 tongue×0.5": syndrome_scaled(3.0, {"signs": 2.0, "tongue_pulse": 0.5}),
    "S: C=3 complaint×0.5": syndrome_scaled(3.0, {"complaint": 0.5}),
    "S: C=1 signs×2": syndrome_scaled(1.0, {"signs": 2.0}),
    "S: C=3 signs×3": syndrome_scaled(3.0, {"signs": 3.0}),
    "S: C=10 signs×3": syndrome_scaled(10.0, {"signs": 3.0}),
    "S: C=1 signs×3": syndrome_scaled(1.0, {"signs": 3.0}),
    "S: C=3 signs×4": syndrome_scaled(3.0, {"signs": 4.0}),
    "S: C=3 signs×5": syndrome_scaled(3.0, {"signs": 5.0}),
    "S: C=3 signs×2 lead×2": syndrome_scaled(3.0, {"signs": 2.0, "lead": 2.0}),
    "S: per-disease LR C=10": syndrome_per_disease(10.0),
    "S: per-disease LR C=3": syndrome_per_disease(3.0),
    "S: disease×(signs,lead,tongue) C=10": syndrome_interactions(10.0),
    "S: one-vs-rest C=10": syndrome_ovr(10.0),
    "S: +vitals w0.5": syndrome_with_blocks(block("vitals", 0.5)),
    "S: +体格检查 w0.5": syndrome_with_blocks(block("exam", 0.5, max_features=5000)),
    "S: gold disease (upper bound)": syndrome_gold_disease,
    "S: per-disease, gold disease (bound)": syndrome_per_disease(10.0, gold_disease=True),
}


def evaluate(name: str, variant: Variant, fs: list[Fold]) -> dict:
    scores, seconds = [], []
    for f in fs:
        started = time.perf_counter()
        pd, ps = variant(f)
        seconds.append(time.perf_counter() - started)
        scores.append(score(pd, ps, f.base.diseases, f.base.syndromes, f.test, THRESHOLD))
    row = {"name": name, "seconds_per_fold": float(np.mean(seconds)), "folds": scores}
    for k in FIGURES:
        values = [s[k] for s in scores]
        row[k] = (float(np.mean(values)), float(np.std(values)))
    return row


def paired(row: dict, base: dict) -> str:
    """Per-fold differences from the baseline (same folds), mean ± sd: disease, top-1."""
    out = []
    for k in FIGURES[:2]:
        d = [a[k] - b[k] for a, b in zip(row["folds"], base["folds"], strict=True)]
        out.append(f"{np.mean(d):+.3f} ± {np.std(d):.3f}")
    return " | ".join(out)


def line(row: dict) -> str:
    cells = [f"{row[k][0]:.3f} ± {row[k][1]:.3f}" for k in FIGURES]
    return f"| {row['name']:<40} | {' | '.join(cells)} | {row['seconds_per_fold']:6.1f} |"


def line_with_delta(row: dict, base: dict) -> str:
    return f"{line(row)} {paired(row, base)} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", help="substrings of variant names to run")
    parser.add_argument("--seed", type=int, default=0, help="fold seed (0: cross_validate's)")
    parser.add_argument("--data", type=Path, default=DATA, help="the TCM-TBOSD training records")
    args = parser.parse_args()
    data, extra = load(args.data)
    started = time.perf_counter()
    fs = folds(data, extra, args.seed)
    base_seconds = float(np.mean([f.fit_seconds for f in fs]))
    print(f"folds ready in {time.perf_counter() - started:.0f} s", flush=True)
    print(
        "| variant | disease acc | syndrome top-1 in gold | top-3 in gold | s/fold "
        "| Δ disease (paired) | Δ top-1 (paired) |"
    )
    print("|---|---|---|---|---|---|---|")
    base = evaluate("baseline (committed params)", baseline, fs)
    base["seconds_per_fold"] = base_seconds  # the full fit of both classifiers
    for name, variant in VARIANTS.items():
        wanted = not args.only or variant is baseline or any(o in name for o in args.only)
        if not wanted:
            continue
        row = base if variant is baseline else evaluate(name, variant, fs)
        print(line_with_delta(row, base), flush=True)


if __name__ == "__main__":
    main()
