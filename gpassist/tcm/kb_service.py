"""The knowledge-base part of a TCM suggestion: 辨证, the Western diagnosis as a starting point,
the combination with the learned model, 治法, 代表方 and the catalog's patent medicines. No Flask;
reads the database (catalog, confirmed diagnoses), never writes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.auth.tables import User
from gpassist.clinics.tables import Drug, FormularyEntry
from gpassist.schemas import Text
from gpassist.tcm import combine, knowledge, runtime
from gpassist.tcm.differentiation import (
    DifferentialHit,
    Differentiation,
    SyndromeFit,
    differentiate,
)
from gpassist.tcm.schemas import (
    AskNextOut,
    CombinedOut,
    KbDiseaseOut,
    KbFindingOut,
    KbMedicineOut,
    KbOut,
    KbSyndromeOut,
    RankedOut,
)

log = logging.getLogger("gpassist.tcm")
DEFAULT_KB = "primary-care"
MAX_DISEASES = 5
MAX_SYNDROMES = 4
MAX_RANKED = 10


@dataclass(frozen=True)
class KbContext:
    kb: knowledge.KnowledgeBase
    weights: combine.Weights


def load_installed(configured: str | None) -> KbContext | None:
    """The installed knowledge base (``primary-care``, else the first) and the combination
    weights; None (logged) when there is none or it does not load."""
    root = runtime.model_root(configured)
    try:
        kbs = knowledge.installed(root)
    except knowledge.KnowledgeBaseError as exc:
        log.error("TCM knowledge base does not load: %s", exc)
        return None
    kb = kbs.get(DEFAULT_KB) or next(iter(kbs.values()), None)
    if kb is None:
        return None
    for warning in kb.warnings:
        log.warning("TCM knowledge base %s: %s", kb.name, warning)
    return KbContext(kb, combine.Weights.from_folder(Path(root)))


def encounter_icd10(session: Session, encounter_id: int) -> str | None:
    """The encounter's latest confirmed ICD-10 diagnosis (gpassist.diagnosis.confirmation)."""
    from gpassist.diagnosis.tables import ConfirmedDiagnosis

    return session.scalars(
        select(ConfirmedDiagnosis.icd10)
        .where(ConfirmedDiagnosis.encounter_id == encounter_id)
        .order_by(ConfirmedDiagnosis.id.desc())
        .limit(1)
    ).first()


def catalog_and_formulary(session: Session, user: User, codes) -> tuple[dict, set[int]]:
    """The catalog drugs of ``codes`` by code, and the ids of those on the user's clinic's
    formulary (empty for a user without a clinic): what both TCM suggestions show beside a
    patent medicine."""
    drugs = (
        {d.code: d for d in session.scalars(select(Drug).where(Drug.code.in_(codes)))}
        if codes
        else {}
    )
    stocked: set[int] = set()
    if user.clinic_id is not None and drugs:
        stocked = set(
            session.scalars(
                select(FormularyEntry.drug_id).where(
                    FormularyEntry.facility_id == user.clinic_id,
                    FormularyEntry.drug_id.in_([d.id for d in drugs.values()]),
                )
            )
        )
    return drugs, stocked


def _medicines(fit: SyndromeFit, user: User, drugs, stocked) -> list[KbMedicineOut]:
    out = []
    for code in fit.syndrome.patent_medicines:
        drug = drugs.get(code)
        note = fit.syndrome.medicine_notes.get(code)
        out.append(
            KbMedicineOut(
                code=code,
                zh=drug.name_zh if drug else code,
                en=drug.name_en if drug else code,
                in_catalog=drug is not None and drug.active,
                in_formulary=None
                if user.clinic_id is None
                else (drug is not None and drug.id in stocked),
                note=None if note is None else Text(zh=note.zh, en=note.en),
            )
        )
    # the clinic's own stock first, then the central pharmacy, then codes the catalog lacks
    return sorted(out, key=lambda m: (not m.in_formulary, not m.in_catalog))


def _findings(evidence) -> list[KbFindingOut]:
    return [KbFindingOut(zh=e.term, kind=e.kind, how=e.how, points=e.points) for e in evidence]


def _syndrome_out(fit: SyndromeFit, user, drugs, stocked) -> KbSyndromeOut:
    s = fit.syndrome
    return KbSyndromeOut(
        code=s.code,
        zh=s.name.zh,
        en=s.name.en,
        fit=fit.fit,
        supporting=_findings(fit.supporting),
        against=_findings(fit.against),
        principle=Text(zh=s.principle.zh, en=s.principle.en),
        formula=Text(zh=s.formula.zh, en=s.formula.en),
        medicines=_medicines(fit, user, drugs, stocked),
        referral=s.referral,
        source=f"{s.source.ref} {s.source.where or ''}".strip(),
        status=s.status,
    )


def _reordered_note(result: Differentiation, ordered) -> list[Text]:
    """Say so when the learned model (trained on ward records of four diseases) put another
    disease first than the knowledge base alone would have."""
    before, now = result.diseases[0].disease, ordered[0].disease
    if before.code == now.code:
        return []
    return [
        Text(
            zh=f"研究模型（TCM-TBOSD 住院病历训练，4 种疾病）参与排序：{now.name.zh}居首"
            f"（知识库单独为{before.name.zh}）",
            en=f"the research model (trained on TCM-TBOSD ward records of four diseases) took "
            f"part: {now.name.en} leads (the knowledge base alone: {before.name.en})",
        )
    ]


def _notes(result: Differentiation, icd10: str | None, kb, *, about_leader: bool) -> list[Text]:
    """The ICD-10 starting point; with ``about_leader``, also the differentials that decided the
    knowledge base's leader and the closeness of its two leading syndromes."""
    notes = []
    if icd10 and result.prior_diseases:
        names = "、".join(kb.diseases[c].name.zh for c in result.prior_diseases)
        en = ", ".join(kb.diseases[c].name.en for c in result.prior_diseases)
        notes.append(
            Text(
                zh=f"西医诊断 {icd10} 常对应中医{names}，已作为起点（加权 +{result.prior_boost}）",
                en=f"the Western diagnosis {icd10} usually corresponds to {en}; the ranking "
                f"starts from it (a boost of +{result.prior_boost})",
            )
        )
    elif icd10:
        notes.append(
            Text(
                zh=f"知识库中没有与西医诊断 {icd10} 对应的中医疾病",
                en=f"no TCM disease of the knowledge base corresponds to {icd10}",
            )
        )
    if not about_leader:
        return notes
    notes.extend(_differential_note(hit, kb) for hit in result.decided)
    if result.close and not result.red_flagged:  # refer first; the syndrome can wait
        notes.append(
            Text(
                zh=f"前两个证型相差 {result.margin}（< {result.ask_margin}），请补充询问下列症状",
                en=f"the two leading syndromes differ by {result.margin} "
                f"(< {result.ask_margin}); ask about the findings listed",
            )
        )
    return notes


def red_flag_warning(result: Differentiation) -> Text | None:
    """What to do about the red flags the note states: new ones the leading disease leads on
    (refer at once), long-standing ones with no stroke on record (refer to find the cause), a
    known stroke's remains (refer if anything is new or worse)."""
    if not result.diseases:
        return None
    lead = result.diseases[0]
    if lead.red_flags:
        flags, name = "、".join(lead.red_flags), lead.disease.name
        return Text(
            zh=f"危险信号：{flags}。疑似{name.zh}急性期，请立即转诊上级医院（必要时拨打 120），"
            "记下发病时间",
            en=f"red flag: {', '.join(lead.red_flags)}. Suspected {name.en}, acute stage: refer "
            "to hospital at once (call 120 if needed) and note the time of onset",
        )
    standing = next((d.standing_flags for d in result.diseases if d.standing_flags), {})
    long = [t for t, state in standing.items() if state == "long"]
    if long:
        return Text(
            zh=f"{'、'.join(long)}已有较长时间，病历中未见中风诊断：请转诊上级医院明确病因（非急诊）；"
            "如有新发或加重，立即转诊",
            en=f"{', '.join(long)} for some time with no stroke on record: refer to hospital to "
            "find the cause (not an emergency); refer at once if anything is new or worse",
        )
    if standing:
        return Text(
            zh=f"{'、'.join(standing)}为既往中风遗留；如有新发或加重，立即转诊",
            en=f"{', '.join(standing)}: the remains of a known stroke; refer at once if anything "
            "is new or worse",
        )
    return None


def _differential_note(hit: DifferentialHit, kb) -> Text:
    """鉴别诊断 that decided the ranking: which disease it favoured over which, on what the
    record states, after which textbook chapter."""
    this, other = kb.diseases[hit.favoured], kb.diseases[hit.other]
    books = {s.key: s.name for s in kb.meta.sources}

    def book(ref, lang: str) -> str:
        name = books.get(ref)
        return name if isinstance(name, str) or name is None else getattr(name, lang)

    zh_src = "；".join(f"《{book(s.ref, 'zh')}》{s.where or ''}" for s in hit.sources)
    en_src = "; ".join(f"{book(s.ref, 'en')}, {s.where or ''}" for s in hit.sources)
    stated = "、".join(hit.findings)
    return Text(
        zh=f"鉴别诊断：{this.name.zh}与{other.name.zh}，记录所述{stated}支持{this.name.zh}"
        f"（加权 ±{hit.points}；{zh_src}）",
        en=f"differential diagnosis: {this.name.en} rather than {other.name.en}, for the record "
        f"states {stated} (±{hit.points}; {en_src})",
    )


def _learned(suggestion: runtime.Suggestion | None, record) -> combine.Learned | None:
    if suggestion is None:
        return None
    return combine.Learned(
        {r.label: r.probability for r in suggestion.diseases},
        {r.label: r.probability for r in suggestion.syndromes},
        suggestion.known_words >= runtime.MIN_KNOWN_WORDS
        and bool(runtime.cardinal_findings(record)),
        suggestion.familiarity,
    )


def kb_suggestion(
    session: Session,
    user: User,
    context: KbContext,
    record: dict,
    icd10: str | None,
    icd10_source: str | None,
    learned: runtime.Suggestion | None,
) -> KbOut:
    """The knowledge base's view of ``record``, started from ``icd10`` when given and combined
    with the learned model's ``learned`` suggestion."""
    kb = context.kb
    result = differentiate(kb, record, icd10)
    learned_row = _learned(learned, record)
    ranking = combine.combined_ranking(result, learned_row, context.weights)
    # where the model's disease leads (combine.model_leads) its share of the disease score is 1
    disease_weight = (
        1.0
        if combine.model_leads(result, learned_row, context.weights)
        else context.weights.disease
    )
    used_syndrome_weight = (
        combine.syndrome_weight(learned_row, context.weights)
        if ranking.learned_used
        else context.weights.syndrome
    )
    ordered = combine.in_ranking_order(result, ranking)
    reordered = ordered[0].disease.code != result.diseases[0].disease.code
    asks = not reordered and not result.red_flagged
    shown = ordered[:MAX_DISEASES]
    codes = {
        c for d in shown for s in d.syndromes[:MAX_SYNDROMES] for c in s.syndrome.patent_medicines
    }
    drugs, stocked = catalog_and_formulary(session, user, codes)
    return KbOut(
        name=kb.name,
        version=kb.version,
        diseases=[
            KbDiseaseOut(
                code=d.disease.code,
                zh=d.disease.name.zh,
                en=d.disease.name.en,
                term=d.disease.term,
                fit=d.fit,
                mentioned=d.mentioned,
                prior=d.prior,
                syndromes=[
                    _syndrome_out(s, user, drugs, stocked) for s in d.syndromes[:MAX_SYNDROMES]
                ],
            )
            for d in shown
        ],
        # what to ask, the margin and the differential's notes are about the knowledge base's
        # own leader: not shown when the learned model put another disease first; nor what to
        # ask on a suspected stroke, whose next step is the referral, not the syndrome
        margin=None if reordered else result.margin,
        close=result.close and asks,
        ask_next=[AskNextOut(zh=a.term, kind=a.kind, favours=a.favours) for a in result.ask_next]
        if asks
        else [],
        icd10=icd10,
        icd10_source=icd10_source if icd10 else None,
        icd10_diseases=result.prior_diseases,
        red_flag=red_flag_warning(result),
        notes=_notes(result, icd10, kb, about_leader=not reordered)
        + _reordered_note(result, ordered),
        combined=CombinedOut(
            learned_used=ranking.learned_used,
            weights={"disease": disease_weight, "syndrome": used_syndrome_weight},
            diseases=[RankedOut(zh=n, score=v) for n, v in ranking.diseases[:MAX_RANKED]],
            syndromes=[RankedOut(zh=n, score=v) for n, v in ranking.syndromes[:MAX_RANKED]],
        ),
    )
