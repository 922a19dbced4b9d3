"""MODEL_CARD.md of a diagnosis model, written from its metadata.json and metrics.json."""

from __future__ import annotations

import json
from pathlib import Path

from gpassist.diagnosis import interview
from gpassist.diagnosis.knowledge import KnowledgeBase, load_kb

# -- model card ----------------------------------------------------------------------------------

PUBLISHED = {
    "dxy": "full protocol SVM 0.856 top-1; interview HRL (Zhong 2022) 0.779 in 8.6 questions; best "
    "recent interview systems about 0.88; simple baselines LR/NB 0.77/0.78",
    "mz4": "full protocol SVM 0.71 top-1; best recent interview systems about 0.78; "
    "LR/NB 0.68/0.68",
    "mz10": "full protocol SVM 0.67-0.71 top-1; interview HRL 0.556 in 7.0 questions; "
    "LR/NB 0.59/0.63",
    "mdd": "simple baselines (full protocol) LR/NB 0.79/0.86 top-1",
    "general": "REFUEL (NeurIPS 2018), about 8 questions, top-1/top-5: "
    "54.8/79.7 % (200 conditions), "
    "47.5/71.2 % (300), 43.8/67.1 % (400); target: top-1 and top-5 at least 98 % of Bayes-optimal",
}


def _table(rows: list[tuple]) -> str:
    header, *body = rows
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(str, r)) + " |" for r in body]
    return "\n".join(lines)


def _metric_rows(heldout: dict) -> list[tuple]:
    rows = [
        (
            "evaluation",
            "n",
            "top-1",
            "top-3",
            "top-5",
            "macro F1",
            "avg questions",
            "symptom recall",
            "Bayes-opt. top-1",
            "Bayes-opt. top-5",
        )
    ]
    for name, m in heldout.items():
        rows.append(
            (
                name,
                m["n"],
                m["top1"],
                m["top3"],
                m["top5"],
                m["macro_f1"],
                m["avg_turns"],
                m["symptom_recall"],
                m.get("bayes_optimal_top1", "—"),
                m.get("bayes_optimal_top5", "—"),
            )
        )
    return rows


GENERATIVE_LIMIT = (
    "Simulated patients follow the knowledge base exactly (independent symptoms); real patients do "
    "not, so real-world accuracy is lower than these figures. SymCat reflects US ambulatory care, "
    "not a rural Chinese county: prevalences and presentations differ. Every condition is equally "
    "likely before evidence, so rare conditions are over-ranked against a village clinic's "
    "case mix."
)
CASES_LIMIT = (
    "Small data set from online consultations; labels and symptom strings as given (synonyms "
    "are not merged: the published test splits use the same raw strings); our cross-validation "
    "is not the published test split, so figures are not directly comparable. The class prior "
    "is the training set's label frequency."
)
CARD = """# Model card: {name} — {title_zh} / {title_en}

Version {version}; clinical: {clinical}; written by
`gpassist diagnosis train --kb gpassist/models/diagnosis/{name} --seed {seed}`.

## Intended use
{intended}

## Data and licence
{sources}

{data}

Names, ICD-10 codes and urgencies come from `symptoms.csv` / `conditions.csv`; entries marked
`machine` are first-pass translations awaiting review.

## Model
Features ({width}): for each of {n_symptoms} symptoms a *present* and an *absent* indicator
(unknown = both zero){demographics}.
Estimator chosen by {chosen_by}: **{selected}** (exported as `{exported}`;
`known_only_nb` is naive Bayes that learns each symptom only where it is known; every naive Bayes
here is exactly a linear softmax in these 0/1 features and is exported as the identical
LogisticRegression, which keeps float32 ONNX within the tolerance). ONNX via skl2onnx (zipmap
off); onnxruntime reproduces the fitted estimator's predict_proba to {parity:.1e} (required: 1e-5).

Validation comparison ({selection}):

{comparison}
{stop_table}
## Held-out figures
{heldout}

Interview: next question by expected information gain; stops when the top condition reaches
{stop} (1.01 = never early), after 10 questions, or when no question is worth {min_gain} bit.
Rows `*_baseline_most_frequent` ask the most frequent symptoms instead (same stopping rule).

Published figures for comparison: {published}.

## Against the targets
{targets}

## Limits
- {limit}
- Out-of-scope detection is a heuristic (most present symptoms unknown to the model, or the
  leading condition hardly explains them); it cannot recognise every case the model does not cover.
- Not a medical device; a doctor makes the diagnosis.
"""


def _pm(summary: dict) -> str:
    return f"{summary['mean']:.3f} ± {summary['sd']:.3f}"


def cv_rows(comparison: list[dict], selected: str) -> list[tuple]:
    """Candidates' cross-validated top-1, mean ± sd over folds (also for docs/diagnosis.md)."""
    rows = [("candidate", "top-1 full", "top-1 interview", "score (sd of repeat means)")]
    rows += [
        (
            f"**{c['candidate']}**" if c["candidate"] == selected else c["candidate"],
            _pm(c["top1_full"]),
            _pm(c["top1_interview"]),
            f"{c['score']['mean']:.3f} ({c['score']['sd_of_repeat_means']:.3f})",
        )
        for c in comparison
    ]
    return rows


def _comparison_rows(metrics: dict) -> list[tuple]:
    if isinstance(metrics["selected"]["score"], dict):  # cases: cross-validated
        return cv_rows(metrics["comparison"], metrics["selected"]["candidate"])
    comparison = [
        ("candidate", "top-1 full", "top-1 masked", "log-loss full", "log-loss masked", "score")
    ]
    comparison += [
        (
            c["candidate"],
            c["top1_full"],
            c["top1_masked"],
            c["logloss_full"],
            c["logloss_masked"],
            c["score"],
        )
        for c in metrics["comparison"]
    ]
    return comparison


def write_model_card(folder: Path, kb: KnowledgeBase, metadata: dict, metrics: dict) -> None:
    if metrics.get("noisy_simulation") is not None:
        from gpassist.diagnosis.training.model_card_general import general_card

        (folder / "MODEL_CARD.md").write_text(general_card(kb, metadata, metrics), encoding="utf-8")
        return
    comparison = _comparison_rows(metrics)
    sources = "\n".join(
        f"- **{s['name']}** — {s['url_or_citation']}. What: {s['what']}. Licence: {s['licence']}."
        for s in kb.manifest["sources"]
    )
    generative = kb.kind == "generative"
    card = CARD.format(
        name=kb.name,
        title_zh=kb.title["zh"],
        title_en=kb.title["en"],
        version=kb.version,
        clinical=str(kb.clinical).lower(),
        seed=metadata["seed"],
        intended=_intended(generative),
        sources=sources,
        data=_data_text(metrics, metadata, generative),
        width=len(metadata["features"]),
        n_symptoms=sum(f.startswith("present:") for f in metadata["features"]),
        demographics=", plus SymCat age-band one-hot (8) and sex one-hot (2); unknown = zeros"
        if generative
        else "",
        selected=metrics["selected"]["candidate"],
        chosen_by="held-out validation" if generative else "repeated cross-validation",
        exported=metadata["estimator"]["exported_class"],
        parity=metadata["parity_max_abs_diff"],
        comparison=_table(comparison),
        heldout=_table(_metric_rows(metrics["heldout"])),
        stop=metadata["interview"]["stop_probability"],
        selection="simulated validation patients, full and masked views"
        if generative
        else _cv_text(metrics),
        stop_table=_stop_table(metrics),
        targets=_targets(kb.name, metrics["heldout"], metrics["selected"]),
        min_gain=interview.MIN_GAIN,
        published=PUBLISHED.get(kb.name, "—"),
        limit=GENERATIVE_LIMIT if generative else CASES_LIMIT,
    )
    (folder / "MODEL_CARD.md").write_text(card, encoding="utf-8")


def _cv_text(metrics: dict) -> str:
    t = metrics["training"]
    return (
        f"{t['cv_repeats']}×{t['cv_splits']}-fold repeated stratified cross-validation on all "
        f"{t['cases']} cases, seed {t['seed']}; mean ± sd over the "
        f"{t['cv_repeats'] * t['cv_splits']} folds; interview = explicit symptoms plus up to 10 "
        "questions, no early stop; score = mean of the two top-1 figures per fold, its sd here "
        "is that of the per-repeat means. Rule: the best mean score, but the simplest candidate "
        "within one sd of it is preferred (naive Bayes < logistic regression < calibrated SVM < "
        "ensemble; stronger smoothing / regularisation first)"
    )


def _stop_table(metrics: dict) -> str:
    choices = metrics.get("stop_probability_choice")
    if not choices:
        return ""
    rows = [("stop probability", "validation top-1", "avg questions")]
    rows += [(c["stop_probability"], c["top1"], c["avg_turns"]) for c in choices]
    return (
        "\nInterview stop probability, chosen on the same folds (best mean top-1; within 0.002 "
        "of it, fewest questions):\n\n" + _table(rows) + "\n"
    )


# the figures issue 13 measures against (top-1 on the published test splits): full protocol SVM
# (for MDD the naive-Bayes baseline), interview HRL (Zhong 2022) or the best cited system
PUBLISHED_TOP1 = {
    "dxy": {"full": (0.856, "SVM"), "interview": (0.779, "HRL")},
    "mz4": {"full": (0.71, "SVM"), "interview": (0.735, "best cited interview system")},
    "mz10": {"full": (0.71, "SVM"), "interview": (0.556, "HRL")},
    "mdd": {"full": (0.86, "naive Bayes baseline")},
}


def published_rows(name: str, selected: dict) -> list[tuple]:
    """protocol, our cross-validated top-1 (mean ± sd), published top-1, difference."""
    rows = [("protocol", "CV top-1 (mean ± sd)", "published", "difference")]
    for protocol, key in (("full", "top1_full"), ("interview", "top1_interview")):
        figure = selected[key]
        published = PUBLISHED_TOP1.get(name, {}).get(protocol)
        rows.append(
            (
                protocol,
                _pm(figure),
                f"{published[0]:.3f} ({published[1]})" if published else "—",
                f"{figure['mean'] - published[0]:+.3f}" if published else "—",
            )
        )
    return rows


REFUEL = {"200": (0.548, 0.797), "300": (0.475, 0.712), "400": (0.438, 0.671)}
FULL_TARGETS = {"dxy": "0.856", "mz4": "0.71", "mz10": "0.67-0.71", "mdd": "0.86"}
HRL = {"dxy": (0.779, 8.6), "mz10": (0.556, 7.0)}


def _targets(name: str, heldout: dict, selected: dict | None = None) -> str:
    lines = []
    if "simulated_full" in heldout:
        full = heldout["simulated_full"]
        lines.append(
            f"- All symptoms known (801 conditions): top-1 {full['top1']:.3f} = "
            f"{full['top1'] / full['bayes_optimal_top1']:.1%} of Bayes-optimal "
            f"({full['bayes_optimal_top1']:.3f}); top-5 {full['top5']:.3f} = "
            f"{full['top5'] / full['bayes_optimal_top5']:.1%} of {full['bayes_optimal_top5']:.3f} "
            "(target ≥ 98 %)."
        )
        eig, base = (
            heldout["simulated_interview"],
            heldout.get("simulated_interview_baseline_most_frequent"),
        )
        if base:
            lines.append(
                f"- Interview (801 conditions): information gain {eig['top1']:.3f} / "
                f"{eig['top5']:.3f} top-1/top-5 in {eig['avg_turns']} questions vs most-frequent "
                f"baseline {base['top1']:.3f} / {base['top5']:.3f} in {base['avg_turns']}."
            )
        for subset, (top1, top5) in REFUEL.items():
            m = heldout.get(f"subset_{subset}_interview")
            if m:
                lines.append(
                    f"- Subset {subset}, interview: top-1/top-5 {m['top1']:.3f} / {m['top5']:.3f} "
                    f"in {m['avg_turns']} questions vs REFUEL {top1:.3f} / {top5:.3f} in about 8."
                )
        lines.append(
            "- Our simulator follows issue 3 (age band and sex known, one stated symptom, truthful "
            "answers); REFUEL's simulator differs in details, so the comparison is indicative."
        )
        return "\n".join(lines)
    full, talk = heldout["full"], heldout["interview"]
    if selected and isinstance(selected.get("top1_full"), dict):
        lines.append(
            "Cross-validated top-1 of the chosen estimator (interview: no early stop, up to 10 "
            "questions) against the published test-split figures:\n\n"
            + _table(published_rows(name, selected))
            + "\n"
        )
    if name in FULL_TARGETS:
        lines.append(
            f"- Full protocol top-1 {full['top1']:.3f} (out-of-fold) vs published "
            f"{FULL_TARGETS[name]} (SVM; for MDD the NB baseline)."
        )
    if name in HRL:
        top1, turns = HRL[name]
        lines.append(
            f"- Interview top-1 {talk['top1']:.3f} in {talk['avg_turns']} questions vs HRL "
            f"{top1:.3f} in {turns}."
        )
    else:
        lines.append(f"- Interview top-1 {talk['top1']:.3f} in {talk['avg_turns']} questions.")
    base = heldout.get("interview_baseline_most_frequent")
    if base:
        lines.append(
            f"- Information gain vs most-frequent baseline: {talk['top1']:.3f} vs "
            f"{base['top1']:.3f} top-1 ({talk['avg_turns']} vs {base['avg_turns']} questions)."
        )
    lines.append(
        "- These are cross-validation figures on train.json, not the published test splits "
        "(kept outside the project); the published figures are on those splits, so the "
        "comparison is indicative and an own figure within about one sd of a published one is "
        "not a difference."
    )
    return "\n".join(lines)


def rewrite_model_card(folder: Path) -> None:
    """Regenerate MODEL_CARD.md from the committed metadata.json and metrics.json."""
    folder = Path(folder)
    read = lambda name: json.loads((folder / name).read_text(encoding="utf-8"))  # noqa: E731
    write_model_card(folder, load_kb(folder), read("metadata.json"), read("metrics.json"))


def _intended(generative: bool) -> str:
    if generative:
        return (
            "Default model of the service: a ranked differential over 801 common conditions for a "
            "village doctor, with the next most informative question. Decision support only: the "
            "doctor decides; triage rules, kept apart from the model, catch red flags."
        )
    return (
        "Benchmark model (`clinical: false`): for comparing the engine with published work. "
        "Never offered as the service default; not for patient care."
    )


def _data_text(metrics: dict, metadata: dict, generative: bool) -> str:
    t = metrics["training"]
    if generative:
        return (
            f"{t['simulated_patients']:,} patients simulated from the knowledge base (condition "
            "uniform; its symptoms independently by P(symptom | condition); age band and sex by "
            "the "
            "condition's odds normalised), half with every symptom known and half with symptoms "
            "hidden at random (keep-rate q ~ U(0.02, 1) per patient; age/sex hidden for 10 %), so "
            "the model is right both with full information and mid-interview. Validation: "
            f"{t['validation_patients']:,} patients from a separate random stream. Held-out "
            "figures: fresh patients from another seed, scored as `gpassist diagnosis evaluate "
            "--simulate` does; the Bayes-optimal columns are the exact posterior of the generating "
            "KB on the same patients (the ceiling, all symptoms known)."
        )
    return (
        f"`train.json` of the benchmark ({t['cases']} cases). Every candidate is scored on the "
        f"same {t['cv_repeats']}×{t['cv_splits']} stratified folds (seed {t['seed']}); in each "
        "fold the answer model used for question choice is counted from the fitting part only. "
        "Held-out figures below are out-of-fold: the first repeat's folds, each case scored once "
        "by the chosen estimator fitted without it, at the chosen stop probability; the "
        "interview runs a fold at a time with the service's question policy and stopping rule "
        "(a test checks it against the one-case engine). The CV means above are the figures to "
        "quote; a single repeat can be a point or two luckier. The committed model is then "
        "refitted on all cases. Each training "
        "case also appears twice with its implicit symptoms partly hidden (each kept with "
        "probability q ~ U(0, 1)). The published test splits are not here.\n\n"
        "Question choice uses P(answer present / absent / not recorded | disease) counted over "
        "the cases' implicit symptoms with add-0.5 smoothing per outcome (`likelihoods.json`). "
        "Checked by the same cross-validation against add-0.1 to add-2 and against smoothing "
        "towards each symptom's pooled frequency (interview top-1, no early stop): Dxy "
        "0.763-0.785 (fold sd 0.045; add-0.5 0.778), MZ-4 0.728-0.730, MDD 0.816-0.818 (add-0.5 "
        "best). No setting is better by more than a fraction of an sd, so add-0.5 is kept."
    )
