"""辨证 over the knowledge base: weighted findings, negation, against, ask-next, the ICD prior."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpassist.config import PACKAGED_MODELS
from gpassist.tcm import knowledge
from gpassist.tcm.differentiation import PRIOR_BOOST, differentiate

SAMPLE = Path(__file__).parents[1] / "data" / "tcm-kb-sample"
PACKAGED = PACKAGED_MODELS / "tcm" / "primary-care"
WIND_COLD = {
    "主诉": "恶寒发热2天",
    "症状": "恶寒重，发热轻，无汗，头痛，肢节酸痛，鼻塞流清涕",
    "中医望闻切诊": "舌淡红，苔薄白，脉浮紧",
}


@pytest.fixture(scope="module")
def kb():
    return knowledge.load(SAMPLE)


def syndrome(result, code):
    return next(s for d in result.diseases for s in d.syndromes if s.syndrome.code == code)


def kbs():
    out = [SAMPLE]
    if (PACKAGED / "kb.yaml").exists():
        out.append(PACKAGED)
    return out


@pytest.mark.parametrize("folder", kbs(), ids=lambda p: p.name)
def test_a_textbook_wind_cold_cold_ranks_wind_cold_over_wind_heat(folder):
    result = differentiate(knowledge.load(folder), WIND_COLD)
    top = result.diseases[0]
    assert top.disease.code == "ganmao"
    assert top.syndromes[0].syndrome.code == "fenghan-shubiao"
    cold, heat = syndrome(result, "fenghan-shubiao"), syndrome(result, "fengre-fanbiao")
    assert cold.fit > heat.fit
    assert {"恶寒重", "无汗", "苔薄白"} <= {e.term for e in cold.supporting}
    # 恶寒重、无汗、流清涕 are against 风热 in the sample (its `against` list)
    if folder == SAMPLE:
        assert {"恶寒重", "无汗", "流清涕"} <= {e.term for e in heat.against}


def test_a_denied_main_finding_lowers_the_syndrome(kb):
    stated = differentiate(kb, {**WIND_COLD, "症状": "恶寒重，发热轻，头痛，流清涕"})
    unstated = differentiate(kb, {**WIND_COLD, "症状": "恶寒重，发热轻，流清涕"})
    denied = differentiate(kb, {**WIND_COLD, "症状": "恶寒重，发热轻，流清涕，无头痛"})
    fits = [syndrome(r, "fenghan-shubiao") for r in (stated, unstated, denied)]
    assert fits[0].score > fits[1].score > fits[2].score
    assert [(e.term, e.how) for e in fits[2].against] == [("头痛", "denied")]


def test_an_against_finding_subtracts(kb):
    plain = syndrome(differentiate(kb, WIND_COLD), "fenghan-shubiao")
    sore = differentiate(kb, {**WIND_COLD, "症状": WIND_COLD["症状"] + "，流黄涕"})
    assert syndrome(sore, "fenghan-shubiao").score == plain.score - 2


def test_a_partial_pulse_counts_half(kb):
    result = differentiate(kb, {"主诉": "恶寒", "中医望闻切诊": "脉紧"})
    [pulse] = [e for e in syndrome(result, "fenghan-shubiao").supporting if e.kind == "pulse"]
    assert pulse.term == "脉浮紧" and pulse.how == "partial" and pulse.points == 0.75


def test_close_syndromes_ask_next_for_the_findings_that_separate_them(kb):
    result = differentiate(kb, {"主诉": "头晕3天", "症状": "头晕"})
    assert result.diseases[0].disease.code == "xuanyun"
    assert result.close and result.margin < 0.15
    first, second = result.diseases[0].syndromes[:2]
    asked = {a.term: a.favours for a in result.ask_next}
    assert asked, result
    for term, favours in asked.items():
        owner = first if favours == first.syndrome.name.zh else second
        other = second if owner is first else first
        findings = lambda s: {  # noqa: E731
            t for k in ("main", "secondary", "tongue", "coating", "pulse") for t in getattr(s, k)
        }
        assert term in findings(owner.syndrome) and term not in findings(other.syndrome)
    assert "眩晕" not in asked  # stated already, and shared


def test_a_clear_lead_asks_nothing(kb):
    result = differentiate(kb, WIND_COLD)
    assert not result.close and result.ask_next == [] and result.margin >= 0.15


def test_the_western_diagnosis_puts_its_tcm_disease_first(kb):
    vague = {"主诉": "头痛2天", "症状": "头痛，咳嗽"}
    assert differentiate(kb, vague).diseases[0].prior == 0
    result = differentiate(kb, vague, icd10="J06.9")
    assert result.prior_diseases == ["ganmao"]
    assert result.diseases[0].disease.code == "ganmao"
    assert result.diseases[0].prior == PRIOR_BOOST


def test_a_mentioned_disease_name_is_recorded(kb):
    result = differentiate(kb, {"主诉": "眩晕反复发作1年", "中医望闻切诊": "舌红苔黄脉弦"})
    top = result.diseases[0]
    assert top.disease.code == "xuanyun" and top.mentioned == ["眩晕"]
    assert top.syndromes[0].syndrome.code == "ganyang-shangkang"


def test_lay_words_are_read_as_the_textbook_terms():
    from gpassist.tcm.differentiation import Observed, match
    from gpassist.tcm.lexicon import canonical

    assert canonical("不想吃饭，晚上睡不着，肚子胀") == "纳差，晚上失眠，腹胀"
    seen = Observed.of({"症状": "不想吃饭，睡不着，脸红"})
    assert match("纳差", seen) == ("stated", 1.0)  # a finding, not a denied appetite
    assert match("失眠", seen) == ("stated", 1.0)
    assert match("面红", seen) == ("stated", 1.0)  # 脸红 and 面红 share the canonical 面赤
    assert Observed.of({"症状": "不发热"}).denied == "发热"


def test_a_long_term_gets_a_share_for_each_single_finding_stated():
    from gpassist.tcm.differentiation import Observed, match

    assert match("心悸健忘", Observed.of({"症状": "心悸"})) == ("partial", 0.5)
    assert match("心悸健忘", Observed.of({"症状": "心悸，健忘"}))[1] == 1.0
    assert match("心悸健忘", Observed.of({"症状": "无心悸"}))[0] == "denied"


@pytest.mark.skipif(not (PACKAGED / "kb.yaml").exists(), reason="no packaged knowledge base")
def test_a_defining_finding_counts_for_its_disease_whatever_the_syndrome():
    from gpassist.tcm.differentiation import CARDINAL, Observed, cardinal_bonus

    kb = knowledge.load(PACKAGED)
    stated = Observed.of({"主诉": "尿频尿急2天"})
    assert cardinal_bonus(kb.diseases["linzheng"], stated) == CARDINAL
    assert cardinal_bonus(kb.diseases["linzheng"], Observed.of({"症状": "无尿痛"})) == -CARDINAL
    # a disease is defined by its defining findings: none of them stated speaks against it
    assert cardinal_bonus(kb.diseases["ganmao"], stated) == -CARDINAL


@pytest.mark.skipif(not (PACKAGED / "kb.yaml").exists(), reason="no packaged knowledge base")
def test_a_defining_finding_is_found_with_words_written_inside_it():
    from gpassist.tcm.differentiation import CARDINAL, Observed, cardinal_bonus

    kb = knowledge.load(PACKAGED)
    # 腰部冷痛 is a 腰痛; 关节冷痛 a 关节疼痛 (the pain's quality sits inside the finding)
    assert cardinal_bonus(kb.diseases["yaotong"], Observed.of({"主诉": "腰部冷痛1月"})) == CARDINAL
    assert cardinal_bonus(kb.diseases["bizheng"], Observed.of({"主诉": "膝关节冷痛"})) == CARDINAL
    # 经前腹痛 written as 来月经前两天肚子胀痛: its parts in one clause
    period_pain = {"主诉": "每次来月经前两天肚子胀痛1年", "性别": "女", "年龄": "24"}
    assert cardinal_bonus(kb.diseases["tongjing"], Observed.of(period_pain)) == CARDINAL
    assert differentiate(kb, period_pain).diseases[0].disease.code == "tongjing"


def test_a_cue_inside_a_listed_item_denies_that_item_only():
    from gpassist.tcm.differentiation import Observed, match

    seen = Observed.of({"症状": "口不渴、喜热饮，手脚不灵活、嘴歪"})
    assert match("喜热饮", seen) == ("stated", 1.0)  # was denied with 渴
    assert match("口舌歪斜", seen) == ("stated", 1.0)
    assert match("喜热饮", Observed.of({"症状": "无口渴、喜热饮"}))[0] == "denied"


@pytest.mark.skipif(not (PACKAGED / "kb.yaml").exists(), reason="no packaged knowledge base")
def test_a_disease_outside_its_ages_is_kept_out():
    kb = knowledge.load(PACKAGED)

    def rank(record, code):
        return [d.disease.code for d in differentiate(kb, record).diseases].index(code)

    bedwetting = {"主诉": "尿床1年", "症状": "夜里尿床，小便清长"}
    assert rank({**bedwetting, "年龄": "8"}, "yiniao") == 0
    assert rank({**bedwetting, "年龄": "3"}, "yiniao") > 0  # 遗尿 from five years on
    hot_flushes = {"主诉": "烘热汗出、心烦半年", "症状": "月经紊乱，烘热汗出，失眠", "性别": "女"}
    assert rank({**hot_flushes, "年龄": "50"}, "juejing") == 0
    assert rank({**hot_flushes, "年龄": "26"}, "juejing") > 0


@pytest.mark.skipif(not (PACKAGED / "kb.yaml").exists(), reason="no packaged knowledge base")
def test_a_disease_named_as_the_cause_is_not_the_complaints_first_finding():
    kb = knowledge.load(PACKAGED)
    findings = {"症状": "咳嗽，痰白，鼻塞", "中医望闻切诊": "舌淡红，苔薄白，脉浮"}
    after_a_cold = differentiate(kb, {**findings, "主诉": "感冒后咳嗽2周"})
    assert after_a_cold.diseases[0].disease.code == "kesou"


def test_a_lay_phrase_is_read_even_after_its_body_part_is_rewritten():
    from gpassist.tcm.lexicon import canonical

    # 肚子 → 腹 runs first; 拉肚子 must still become 泄泻, not 拉腹
    assert canonical("拉肚子三天") == "泄泻三天"
    assert canonical("天不亮就拉肚子") == "黎明前就泄泻"  # and 不 no longer denies it


@pytest.mark.skipif(not (PACKAGED / "kb.yaml").exists(), reason="no packaged knowledge base")
def test_the_chief_complaints_first_defining_finding_picks_the_disease():
    kb = knowledge.load(PACKAGED)
    # the same findings; only the order of the complaint differs
    findings = {"症状": "咳嗽，痰白，气喘，胸闷", "中医望闻切诊": "舌淡红，苔白，脉滑"}
    cough = differentiate(kb, {**findings, "主诉": "咳嗽、气喘3天"})
    asthma = differentiate(kb, {**findings, "主诉": "气喘、咳嗽3天"})
    assert cough.diseases[0].disease.code == "kesou"
    assert asthma.diseases[0].disease.code == "chuanzheng"


@pytest.mark.skipif(not (PACKAGED / "kb.yaml").exists(), reason="no packaged knowledge base")
def test_a_disease_with_many_syndromes_is_discounted_for_its_breadth():
    from gpassist.tcm.differentiation import breadth_penalty

    kb = knowledge.load(PACKAGED)
    many, few = kb.diseases["xinji"], kb.diseases["quru"]
    assert len(many.syndromes) > len(few.syndromes)
    assert breadth_penalty(many) > 0 > breadth_penalty(few)


WHEEZE = {
    "主诉": "喘息3天",
    "症状": "喘息，喉中哮鸣，痰白清稀，恶寒",
    "中医望闻切诊": "舌淡，苔白滑，脉浮紧",
}


@pytest.mark.skipif(not (PACKAGED / "kb.yaml").exists(), reason="no packaged knowledge base")
def test_the_textbook_differential_tells_wheezing_from_dyspnoea(monkeypatch):
    from gpassist.tcm import differentiation

    kb = knowledge.load(PACKAGED)
    result = differentiate(kb, WHEEZE)
    top = result.diseases[0]
    assert top.disease.code == "xiaobing"
    # 喉中哮鸣 is what the textbook tells 哮病 from 喘证 by; it decided the ranking here
    decided = {(h.favoured, h.other) for h in result.decided}
    assert ("xiaobing", "chuanzheng") in decided
    hit = next(h for h in result.decided if h.other == "chuanzheng")
    assert "喉中哮鸣" in hit.findings and hit.sources[0].where.startswith("喘证")
    # without the differential the same record is not 哮病
    monkeypatch.setattr(differentiation, "DIFFERENTIAL", 0.0)
    assert differentiate(kb, WHEEZE).diseases[0].disease.code != "xiaobing"


@pytest.mark.skipif(not (PACKAGED / "kb.yaml").exists(), reason="no packaged knowledge base")
def test_a_differential_with_findings_on_both_sides_decides_nothing():
    kb = knowledge.load(PACKAGED)
    # 胃脘胀满 speaks for 痞满, 胃脘隐痛 for 胃痛: the textbook's differential cannot choose
    record = {
        "主诉": "胃脘胀满2月",
        "症状": "胃脘胀满，胃脘隐痛，嗳气",
        "中医望闻切诊": "舌淡，苔白，脉弦",
    }
    fits = {d.disease.code: d for d in differentiate(kb, record).diseases}
    assert not [h for h in fits["piman"].differential if "weitong" in (h.favoured, h.other)]


@pytest.mark.skipif(not (PACKAGED / "kb.yaml").exists(), reason="no packaged knowledge base")
def test_a_disease_far_behind_is_not_moved_by_a_differential():
    kb = knowledge.load(PACKAGED)
    from gpassist.tcm.differentiation import DIFFERENTIAL_FIELD

    result = differentiate(kb, WIND_COLD)
    fits = {d.disease.code: d for d in result.diseases}
    # 鼻塞、流清涕 speak for 感冒 against 喉痹, but 喉痹 is far behind: it is left alone
    leader, throat = result.diseases[0], fits["houbi"]
    assert leader.disease.code == "ganmao" and not leader.differential
    assert throat.score < leader.score - DIFFERENTIAL_FIELD
    assert not throat.differential


@pytest.mark.skipif(not (PACKAGED / "kb.yaml").exists(), reason="no packaged knowledge base")
def test_palpitations_and_insomnia_without_breathlessness_or_oedema_are_not_heart_failure():
    """心衰 is 心悸 with 喘 and 肿 (its 鉴别 against 心悸病): 心悸 alone is no defining finding."""
    kb = knowledge.load(PACKAGED)
    for symptoms in ("失眠，心慌", "心慌，失眠"):
        lead = differentiate(kb, {"主诉": "", "症状": symptoms}).diseases[0].disease.code
        assert lead in ("xinji", "bumei"), symptoms
    failing = differentiate(kb, {"主诉": "", "症状": "心慌，气短，双下肢浮肿，夜间不得平卧"})
    assert failing.diseases[0].disease.code == "xinshuai"
