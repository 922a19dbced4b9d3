"""MODEL_CARD.md of the noisy-OR ``general`` model (issue 13): priors with their sources, the
factor bound, leaks, calibration on the noisy simulation."""

from __future__ import annotations

from gpassist.diagnosis.knowledge import KnowledgeBase
from gpassist.diagnosis.training.noisy_or import CONFIDENT, DEMOGRAPHIC_FLOOR

TIER_BASIS = (
    "Relative base rates per consultation, one decade apart (judgement on the order of "
    "magnitude, not measured rates). Basis of the ordering: the 3rd/5th/6th National Health "
    "Services Surveys' two-week illness rankings (upper respiratory infection, gastroenteritis, "
    "hypertension lead; ../shared/data/epi-anhui/figures.csv) and Anhui's notifiable-disease "
    "reports (hepatitis B, tuberculosis, influenza, hand-foot-and-mouth disease, other infectious "
    "diarrhoea). Each condition's tier and its source are in conditions.csv "
    "(`prior_tier`, `prior_source`); a condition without a tier counts as `uncommon`."
)
CARD = """# Model card: {name} — {title_zh} / {title_en}

Version {version}; clinical: {clinical}; written by
`gpassist diagnosis train --kb gpassist/models/diagnosis/{name} --seed {seed}`.

## Intended use
Default model of the service: a ranked differential for a village or township doctor in a rural
Anhui county, with the next most informative question. Decision support only: the doctor decides;
triage (NEWS2 / paediatric score, red flags) is computed apart from the ranking.

## Data and licence
{sources}

Names, ICD-10 codes, urgencies, finding kinds and leaks: `symptoms.csv` / `conditions.csv`;
P(finding | condition) with its source per row: `evidence.csv`.

## Model: clipped noisy-OR naive Bayes (no learned weights)
For condition c and finding s: P(s present | c) = 1 − (1 − leak_s)(1 − p_cs), p_cs from
`evidence.csv` (0 when the condition does not list s). A present finding adds log P, an absent one
log(1 − P), an unknown one nothing. Each finding's log-likelihood ratio against its leak-only
baseline (a condition that does not explain it) is clipped to **×{factor:g} up and ×1/{factor:g}
down**: a likelihood ratio of 10 is already "large, often conclusive" for a single finding
(Jaeschke, Guyatt, Sackett, JAMA 1994) and the strongest bedside findings in McGee's
*Evidence-Based Physical Diagnosis* (2018) rarely exceed 20, so no single answer — or a single
error in the KB — outweighs what the best real findings can do; overturning a prior tier (×10)
takes concordant findings.

Leaks: the finding's `leak` column, else by kind: {leaks}. Mean leak {leak_mean}; a simulated
patient's leaks add up to {leak_sum} expected findings over the whole vocabulary.

Age band and sex: log P(band | c) and log P(sex | c) from `demographics.csv` (SymCat odds
normalised per condition; zeros floored at {floor:g}). Intercept: log of the county base rate
(below). One temperature T = **{temperature}** divides all logits; it is fitted on
{calibration:,} simulated noisy patients (minimum log-loss, raised if needed until answers
≥ {confident} are right ≥ 92 % there). Exported as the identical LogisticRegression through
skl2onnx (zipmap off); onnxruntime reproduces it to {parity:.1e} (required 1e-5).

Features ({width}): present and absent indicators for {n_symptoms} findings (unknown = both zero),
SymCat age band one-hot (8), sex one-hot (2).

## County prior
{tier_basis}

| tier | weight | conditions |
|---|---|---|
{tiers}

Season and region are not in this file: they are the county's `clinics/<county>/epidemiology.yaml`
(month multipliers and absent/endemic conditions with their sources), stored by `gpassist
load-clinics` and applied by the service on top of this model (posterior ∝ ONNX probability ×
multiplier, i.e. the log multiplier is added to the log prior).

## Calibration and accuracy on the noisy simulation
{evaluation:,} fresh simulated county patients (not the calibration ones): condition from the
county prior; each listed finding present with p_cs and then forgotten with probability {forget};
every finding also reported through its leak; present findings recorded, a few others
(q ~ U{asked} per patient) recorded absent, the rest unknown; age and sex hidden for
{hide:.0%}. Mean reported present findings {present_mean}, known findings {known_mean}.

- top-1 **{top1}**, top-3 **{top3}**, top-5 {top5}
- expected calibration error (10 bins) **{ece}** (before temperature: {ece_raw}; the temperature
  minimises the log-loss of the whole distribution over conditions, while this error looks at
  the top answer only, so the two need not move together)
- answers with top probability ≥ {confident}: {n_confident} ({share:.1%}), right **{acc_conf}**
  (required ≥ 0.9; before temperature: {acc_conf_raw})

Reliability of the top answer:

| confidence bin | n | mean confidence | accuracy |
|---|---|---|---|
{reliability}

Interview on {int_n} noisy patients (one reported finding, then up to 10 questions by expected
information gain, answered as the patient reported): top-1 {int_top1}, top-3 {int_top3}, top-5
{int_top5} in {int_turns} questions.

## Clinical vignettes
{vignettes}

## Limits
- The simulation follows the KB's own independence assumptions; real patients do not, so
  real-world accuracy is lower. The vignette figures (acceptance of issue 13) are the test.
- Prior tiers are order-of-magnitude judgements from public survey rankings, not measured
  incidence in this county.
- SymCat probabilities come from US ambulatory care; Chinese guideline figures are used where the
  KB names them (`evidence.csv` source column).
- Out-of-scope detection is a heuristic; not a medical device; a doctor makes the diagnosis.
"""


def general_card(kb: KnowledgeBase, metadata: dict, metrics: dict) -> str:
    from gpassist.diagnosis.knowledge import DEFAULT_LEAK

    t = metrics["training"]
    sim = metrics["noisy_simulation"]
    raw = metrics.get("noisy_simulation_untempered", {})
    talk = metrics["heldout"].get("noisy_interview", {})
    sources = "\n".join(
        f"- **{s.get('name', key)}** — {s.get('url_or_citation', '')}. What: {s.get('what', '')}. "
        f"Licence: {s.get('licence', '')}."
        for key, s in _sources(kb.manifest.get("sources", []))
    )
    tiers = "\n".join(
        f"| {tier} | {weight:g} | {t['tier_counts'].get(tier, 0)} |"
        for tier, weight in t["prior_tiers"].items()
    )
    reliability = "\n".join(
        f"| {r['bin']} | {r['n']} | {r['confidence']} | {r['accuracy']} |"
        for r in sim["reliability"]
    )
    n = sim["n"]
    return CARD.format(
        name=kb.name,
        title_zh=kb.title["zh"],
        title_en=kb.title["en"],
        version=kb.version,
        clinical=str(kb.clinical).lower(),
        seed=metadata["seed"],
        sources=sources,
        factor=t["max_factor"],
        leaks=", ".join(f"{k} {v:g}" for k, v in DEFAULT_LEAK.items()),
        leak_mean=t["leak_mean"],
        leak_sum=t["leak_sum"],
        floor=DEMOGRAPHIC_FLOOR,
        temperature=t["temperature"],
        calibration=t["calibration_patients"],
        confident=CONFIDENT,
        parity=metadata["parity_max_abs_diff"],
        width=len(metadata["features"]),
        n_symptoms=sum(f.startswith("present:") for f in metadata["features"]),
        tier_basis=TIER_BASIS,
        tiers=tiers,
        evaluation=t["evaluation_patients"],
        forget=t["noise"]["forget"],
        asked=tuple(t["noise"]["asked"]),
        hide=t["noise"]["hide_demographics"],
        present_mean=sim["present_findings_mean"],
        known_mean=sim["known_findings_mean"],
        top1=sim["top1"],
        top3=sim["top3"],
        top5=sim["top5"],
        ece=sim["ece"],
        ece_raw=raw.get("ece", "—"),
        n_confident=sim["answers_at_0_9"],
        share=sim["answers_at_0_9"] / max(n, 1),
        acc_conf=sim["accuracy_at_0_9"],
        acc_conf_raw=raw.get("accuracy_at_0_9", "—"),
        reliability=reliability,
        int_n=talk.get("n", 0),
        int_top1=talk.get("top1", "—"),
        int_top3=talk.get("top3", "—"),
        int_top5=talk.get("top5", "—"),
        int_turns=talk.get("avg_turns", "—"),
        vignettes=_vignettes(kb.folder),
    )


VIGNETTE_KEYS = (
    "n",
    "top1",
    "top3",
    "top10",
    "triage_exact",
    "under_triage",
    "over_triage",
    "emergent_missed",
    "confident_wrong",
    "self_care_sent_on",
)


def _vignettes(folder) -> str:
    """The recorded run of ``gpassist diagnosis vignettes --record`` (vignettes.json), if any."""
    import json

    path = folder / "vignettes.json"
    if not path.exists():
        return "Not recorded: `gpassist diagnosis vignettes --model DIR --cases FILE --record`."
    run = json.loads(path.read_text(encoding="utf-8"))
    figures = run["figures"]
    county = f", county `{run['county']}`" if run.get("county") else ", no county file"
    header = "| " + " | ".join(VIGNETTE_KEYS) + " |"
    rule = "|" + "---|" * len(VIGNETTE_KEYS)
    row = "| " + " | ".join(str(figures.get(k, "—")) for k in VIGNETTE_KEYS) + " |"
    return (
        f"`{run['cases']}` ({figures.get('n_by_triage')}){county}; "
        "`gpassist diagnosis vignettes` with `--record` wrote these figures to `vignettes.json`, "
        "and a test checks that the committed model still scores them. The cases are written "
        "from guidelines and textbooks and are never training data. Issue 13's acceptance: "
        "top1 ≥ 0.60, top3 ≥ 0.85, emergent_missed = 0, confident_wrong = 0, self_care_sent_on "
        f"≤ 0.15. A separate published set, kept outside the project, is run the same way.\n\n"
        f"{header}\n{rule}\n{row}"
    )


def _sources(sources):
    """kb.yaml ``sources`` as (key, entry): a list of entries (today) or a mapping key → entry
    (the issue-13 KB names its sources by key)."""
    if isinstance(sources, dict):
        return list(sources.items())
    return [(s.get("name", ""), s) for s in sources]
