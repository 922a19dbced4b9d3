"""The knowledge base and the learned model together: one ranking of diseases and syndromes.

The learned model (``tbosd``) knows 4 diseases and 10 syndromes and measures better on records
like its training records; the knowledge base knows many diseases. The learned model is used only
when the record is in its scope (``in_scope``: a presenting finding of its four diseases stated
and enough of its words known, see ``training.engines.learned_rows``), and then

* on a **familiar** record (``Learned.familiarity`` ≥ ``Weights.familiar``: the record is written
  in the words of the model's training records, as 95 % of them are, see
  ``FeatureSpace.familiarity``) whose knowledge-base leader is one of the four (``model_leads``),
  the model's disease leads: disease score = learned probability (a gate; the knowledge base's
  other diseases follow in its order). On the TCM-TBOSD records the blend let the knowledge base
  overturn the model where the model measures better; the textbook cases are not familiar and
  keep the blend;
* on any other record, only when the knowledge base's leading disease is one of the four
  (``KB_GATE`` = 1: the model can only ever answer one of its four, so on a cough, a cold or a
  headache it would mislead) or the model is confident (≥ ``CONFIDENT`` = 0.9): disease score =
  (1 − w_d) · KB disease fit + w_d · learned disease probability;
* in both cases, syndrome score = (1 − w_s) · KB syndrome fit + w_s · learned syndrome
  probability on a familiar record, the KB syndrome fit alone on any other (``syndrome_weight``:
  the model's syndromes follow its ward's labels, and on notes not written like them the KB's
  measured better: textbook development half syndrome top-1 0.838 → 0.883 with w_s 0 there,
  held-out half 0.736 → 0.793), over the union of the leading disease's KB syndromes and the
  learned model's syndromes (a syndrome the KB lists under another disease keeps its best KB fit
  there).

Out of scope, or when the knowledge base leads on a red flag (``Disease.red_flags``: a suspected
stroke), the ranking is the knowledge base's alone. ``w_d``, ``w_s`` and ``familiar`` (the
5th percentile of the training records' out-of-fold familiarity) are chosen by 5-fold
cross-validation on the TCM-TBOSD training records (``gpassist tcm calibrate``) and stored with
the figures in ``gpassist/models/tcm/combination.json``. Pure Python + numpy; no database, no
Flask.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gpassist.tcm.differentiation import Differentiation, DiseaseFit

COMBINATION_FILE = "combination.json"
DEFAULT_WEIGHTS = (0.5, 0.5)
KB_GATE = 1
CONFIDENT = 0.9
# on a record not written like the model's training records its syndromes take no part: chosen
# on the textbook cases' development half (odd case numbers) from 0.7, 0.5, 0.3 and 0; too few
# training records (5 %) are unfamiliar for the cross-validation to choose it
UNFAMILIAR_SYNDROME_WEIGHT = 0.0
NEVER_FAMILIAR = 1.01  # without a calibrated threshold no record counts as familiar


@dataclass(frozen=True)
class Weights:
    disease: float
    syndrome: float
    familiar: float = NEVER_FAMILIAR  # familiarity from which the model's disease leads

    @classmethod
    def from_folder(cls, root: Path) -> Weights:
        """The cross-validated weights in ``root/combination.json``, else the defaults."""
        path = Path(root) / COMBINATION_FILE
        if not path.exists():
            return cls(*DEFAULT_WEIGHTS)
        data = json.loads(path.read_text(encoding="utf-8"))["weights"]
        return cls(
            float(data["disease"]),
            float(data["syndrome"]),
            float(data.get("familiar", NEVER_FAMILIAR)),
        )


@dataclass(frozen=True)
class Ranking:
    """Diseases (GB/T terms) and syndromes (Chinese names) with scores, best first; the
    syndromes are the leading disease's first, then the others."""

    diseases: tuple[tuple[str, float], ...]
    syndromes: tuple[tuple[str, float], ...]
    learned_used: bool


@dataclass(frozen=True)
class Learned:
    """The learned model's output for one record, by label."""

    diseases: Mapping[str, float]
    syndromes: Mapping[str, float]
    in_scope: bool
    familiarity: float = 0.0  # share of the record's words the model knows


def _sorted(scores: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
    return tuple(sorted(((k, round(float(v), 4)) for k, v in scores.items()), key=lambda t: -t[1]))


def kb_ranking(result: Differentiation) -> Ranking:
    diseases = {d.disease.term: d.fit for d in result.diseases}
    seen: dict[str, float] = {}
    for s in result.ranked_syndromes():
        seen.setdefault(s.syndrome.name.zh, s.fit)
    return Ranking(
        tuple((k, v) for k, v in diseases.items()),
        tuple(seen.items()),
        False,
    )


def learned_ranking(learned: Learned) -> Ranking:
    return Ranking(_sorted(learned.diseases), _sorted(learned.syndromes), True)


def _best_fits(result: Differentiation) -> dict[str, float]:
    best: dict[str, float] = {}
    for d in result.diseases:
        for s in d.syndromes:
            name = s.syndrome.name.zh
            best[name] = max(best.get(name, 0.0), s.fit)
    return best


def _kb_only(result: Differentiation, learned: Learned | None) -> bool:
    """No model, out of its scope, or a red flag: the knowledge base ranks alone. A note with a
    facial droop beside its dizziness is a suspected stroke, which the ward model, trained on
    four diseases, cannot name however confident it is about 眩晕病."""
    return learned is None or not learned.in_scope or not result.diseases or result.red_flagged


def model_leads(result: Differentiation, learned: Learned | None, w: Weights) -> bool:
    """In the model's scope, written like its training records, and the knowledge base's leader
    is one of the four: the model's disease leads.

    Not when the knowledge base leads with another disease, however familiar the note: short
    notes are familiar (their few words are all known), and "恶寒发热2天" with 乏力 would become
    眩晕病, "咳嗽咳痰3天，伴胸闷" 心衰病."""
    if _kb_only(result, learned):
        return False
    if learned.familiarity < w.familiar:
        return False
    return any(d.disease.term in learned.diseases for d in result.diseases[:KB_GATE])


def _learned_applies(result: Differentiation, learned: Learned | None, w: Weights) -> bool:
    """The model leads; or in the model's scope and one of its diseases among the KB's leading
    ``KB_GATE``, or the model confident."""
    if _kb_only(result, learned):
        return False
    if model_leads(result, learned, w):
        return True
    if max(learned.diseases.values(), default=0.0) >= CONFIDENT:
        return True
    return any(d.disease.term in learned.diseases for d in result.diseases[:KB_GATE])


def syndrome_weight(learned: Learned, w: Weights) -> float:
    """The learned syndromes' share: ``w.syndrome`` on a familiar record, else 0."""
    return w.syndrome if learned.familiarity >= w.familiar else UNFAMILIAR_SYNDROME_WEIGHT


def combined_ranking(result: Differentiation, learned: Learned | None, w: Weights) -> Ranking:
    """The blended ranking; the knowledge base's alone when the learned model is out of scope."""
    if not _learned_applies(result, learned, w):
        return kb_ranking(result)
    disease_fit = {d.disease.term: d.fit for d in result.diseases}
    terms = list(dict.fromkeys([*disease_fit, *learned.diseases]))
    # the gate: on a familiar record the model's probabilities alone order the diseases (the
    # knowledge base's other diseases score 0 and keep its order behind the four)
    wd = 1.0 if model_leads(result, learned, w) else w.disease
    diseases = {
        t: (1 - wd) * disease_fit.get(t, 0.0) + wd * learned.diseases.get(t, 0.0) for t in terms
    }
    ranked_diseases = _sorted(diseases)
    leader = ranked_diseases[0][0]
    leading = next((d for d in result.diseases if d.disease.term == leader), None)
    best = _best_fits(result)
    own = [s.syndrome.name.zh for s in leading.syndromes] if leading else []
    names = list(dict.fromkeys([*own, *learned.syndromes]))
    ws = syndrome_weight(learned, w)
    scores = {n: (1 - ws) * best.get(n, 0.0) + ws * learned.syndromes.get(n, 0.0) for n in names}
    syndromes = list(_sorted(scores))
    rest = {n: f for n, f in best.items() if n not in scores}
    syndromes.extend(_sorted({n: (1 - ws) * f for n, f in rest.items()}))
    return Ranking(ranked_diseases, tuple(syndromes), True)


def in_ranking_order(result: Differentiation, ranking: Ranking) -> list[DiseaseFit]:
    """The knowledge base's diseases in the combined ranking's order, so the panel leads with
    what the combination measured (the learned model's disease where it took part), and the
    leading disease's syndromes in the ranking's order where the knowledge base has them (by
    name or alias). Where the model took no part this is the knowledge base's own order."""
    if not ranking.learned_used:
        return list(result.diseases)
    place = {term: i for i, (term, _) in enumerate(ranking.diseases)}
    diseases = sorted(result.diseases, key=lambda d: place.get(d.disease.term, len(place)))
    order = {name: i for i, (name, _) in enumerate(ranking.syndromes)}

    def syndrome_place(fit) -> int:
        names = [fit.syndrome.name.zh, *fit.syndrome.aliases]
        return min((order[n] for n in names if n in order), default=len(order))

    lead = diseases[0]
    return [replace(lead, syndromes=sorted(lead.syndromes, key=syndrome_place)), *diseases[1:]]


def synonyms(kb) -> dict[str, set[str]]:
    """Every name a record may use for a KB disease term or syndrome name (its aliases; 风寒证
    for 风寒束表证), so a file written with the other name is scored fairly."""
    out: dict[str, set[str]] = {}
    if kb is None:
        return out
    for disease in kb.diseases.values():
        out.setdefault(disease.term, set()).update(disease.names())
        for s in disease.syndromes:
            out.setdefault(s.name.zh, set()).update([s.name.zh, *s.aliases])
    return out


def figures(
    rankings: Sequence[Ranking],
    diseases: Sequence[str],
    golds: Sequence[Sequence[str]],
    names: Mapping[str, set[str]] | None = None,
):
    """n, disease_accuracy, syndrome_top1_in_gold, syndrome_top3_in_gold (any of the first
    three in the gold set) of rankings against the records' 疾病 and 证型; ``names``
    (``synonyms``) lets a KB name match the record's other name for it."""
    names = names or {}

    def hit(label: str, gold) -> bool:
        return label in gold or bool(names.get(label, set()) & set(gold))

    n = len(rankings)
    if n == 0:
        return {"n": 0, "disease_accuracy": None, "syndrome_top1_in_gold": None,
                "syndrome_top3_in_gold": None}  # fmt: skip
    disease = top1 = top3 = 0
    for ranking, gold_d, gold_s in zip(rankings, diseases, golds, strict=True):
        disease += bool(ranking.diseases) and hit(ranking.diseases[0][0], {gold_d})
        ranked = [name for name, _ in ranking.syndromes]
        top1 += bool(ranked) and hit(ranked[0], gold_s)
        top3 += any(hit(name, gold_s) for name in ranked[:3])
    return {
        "n": n,
        "disease_accuracy": round(disease / n, 4),
        "syndrome_top1_in_gold": round(top1 / n, 4),
        "syndrome_top3_in_gold": round(top3 / n, 4),
    }
