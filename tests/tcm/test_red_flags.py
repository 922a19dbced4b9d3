"""A suspected stroke leads the TCM view: red flags, the acute stage and the panel's warning."""

from __future__ import annotations

import pytest

from gpassist.config import PACKAGED_MODELS
from gpassist.tcm import knowledge
from gpassist.tcm.combine import Learned, Weights, combined_ranking, kb_ranking
from gpassist.tcm.differentiation import differentiate

PACKAGED = PACKAGED_MODELS / "tcm" / "primary-care"
pytestmark = pytest.mark.skipif(
    not (PACKAGED / "kb.yaml").exists(), reason="no packaged knowledge base"
)


@pytest.fixture(scope="module")
def kb():
    return knowledge.load(PACKAGED)


def lead(kb, complaint: str, symptoms: str = ""):
    result = differentiate(kb, {"主诉": complaint, "症状": symptoms})
    top = result.diseases[0]
    return result, top.disease.code, top.syndromes[0].syndrome


@pytest.mark.parametrize(
    ("complaint", "symptoms"),
    [
        ("头晕1天", "头晕、口角歪斜、言语不清"),
        ("头晕、口角歪斜、言语不清2小时", ""),
        ("突发左侧肢体无力2小时", "头晕，言语不清"),
        ("头晕头胀3天", "急躁易怒，口苦，说话不清，嘴角歪"),
        ("阵发性眩晕10年，加重伴右侧肢体麻木1天", ""),
        # a chronic disease's years date that disease, not the new deficit
        ("高血压10年，头晕伴言语不清", ""),
        ("2型糖尿病十年，言语不清", ""),
        ("头晕", "高血压病史10年，今头晕，言语不清"),
        # said as people say it
        ("头晕半天", "右边手脚没劲"),
        ("头晕1天", "脸歪了，吐字不清"),
        ("头晕1天", "半边身子不能动"),
    ],
)
def test_dizziness_with_a_stroke_sign_is_a_stroke_to_refer_at_once(kb, complaint, symptoms):
    result, code, syndrome = lead(kb, complaint, symptoms)
    assert code == "zhongfeng" and result.red_flagged
    assert syndrome.referral, syndrome.name.zh  # an acute-stage syndrome, sent on


@pytest.mark.parametrize(
    ("complaint", "symptoms"),
    [
        ("头晕3天", "头晕，耳鸣，急躁易怒，无口角歪斜，无言语不清"),
        ("头晕3天", "头晕，无肢体麻木、口角歪斜"),
        ("眩晕反复发作5年", "头晕目眩，耳鸣，腰膝酸软"),
        ("头晕3天", "头晕，无半身不遂"),
        ("头晕3天", "头晕，否认半身不遂"),
        ("头晕3天", "头晕，无左侧肢体无力"),
        ("头晕3天", "头晕，右手手指麻木，颈项僵硬"),  # one hand's numbness: the neck, not a side
        ("头晕3天", "头晕，双下肢麻木"),
    ],
)
def test_dizziness_without_a_stroke_sign_stays_vertigo(kb, complaint, symptoms):
    result, code, _ = lead(kb, complaint, symptoms)
    assert code == "xuanyun" and not result.red_flagged


@pytest.mark.parametrize(
    "complaint",
    ["中风后遗症2年", "脑梗死后右侧肢体无力半年", "半身不遂3年，言语謇涩"],
)
def test_a_stroke_past_its_acute_stage_is_treated_at_the_clinic(kb, complaint):
    result, code, syndrome = lead(kb, complaint, "半身不遂，肢体软弱无力，气短乏力，舌淡紫，脉细涩")
    assert code == "zhongfeng" and not result.red_flagged  # an old deficit is no red flag
    assert syndrome.name.zh == "气虚血瘀证"  # 恢复期/后遗症期: the fits decide


@pytest.mark.parametrize(
    "complaint",
    ["中风后遗症2年，突发言语不清1小时", "半身不遂3年，口角歪斜加重2天"],
)
def test_a_new_sign_in_a_stroke_survivor_is_acute_again(kb, complaint):
    result, code, syndrome = lead(kb, complaint)
    assert code == "zhongfeng" and syndrome.referral and result.red_flagged


def test_a_new_complaint_in_a_stroke_survivor_is_not_a_stroke_alarm(kb):
    result, code, _ = lead(kb, "半身不遂3年，咳嗽3天", "咳嗽，咳白痰，鼻塞流清涕")
    assert not result.red_flagged and code != "zhongfeng"


def test_the_learned_model_cannot_overturn_a_red_flag(kb):
    # the ward model knows four diseases: however sure it is of 眩晕病, a stroke sign keeps the
    # knowledge base's ranking
    result = differentiate(kb, {"主诉": "头晕2小时", "症状": "头晕，口角歪斜，言语不清"})
    sure = Learned({"眩晕病": 0.97, "心悸病": 0.03}, {"肝阳上亢证": 0.9}, True, 0.99)
    ranking = combined_ranking(result, sure, Weights(0.9, 0.9, familiar=0.5))
    assert ranking == kb_ranking(result) and not ranking.learned_used
    assert ranking.diseases[0][0] == "中风病"


def test_red_flags_need_a_referral_syndrome(tmp_path):
    import shutil

    folder = tmp_path / "kb"
    shutil.copytree(PACKAGED, folder)
    path = folder / "diseases" / "zhongfeng.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("referral: true", "referral: false"),
        encoding="utf-8",
    )
    with pytest.raises(knowledge.KnowledgeBaseError, match=r"red_flags: .*referral"):
        knowledge.load(folder)


def test_the_panel_warns_of_a_suspected_stroke_first(api, users):
    response = api.post(
        "/api/v1/tcm/suggest",
        as_="doctor_a",
        json={"chief_complaint": "头晕2小时", "symptoms_text": "头晕，口角歪斜，言语不清"},
    )
    assert response.status_code == 200, response.get_json()
    kb = response.get_json()["kb"]
    assert kb["diseases"][0]["code"] == "zhongfeng"
    assert kb["diseases"][0]["syndromes"][0]["referral"] is True
    warning = kb["red_flag"]
    assert "口角歪斜" in warning["zh"] and "立即转诊" in warning["zh"]
    assert "refer" in warning["en"]
    # the next step is the referral: no questions to tell two stroke syndromes apart
    assert kb["ask_next"] == [] and not kb["close"]
    assert not any("请补充询问" in note["zh"] for note in kb["notes"])
    calm = api.post(
        "/api/v1/tcm/suggest",
        as_="doctor_a",
        json={"chief_complaint": "头晕3天", "symptoms_text": "头晕，耳鸣，急躁易怒"},
    ).get_json()["kb"]
    assert calm["red_flag"] is None
    later = api.post(
        "/api/v1/tcm/suggest",
        as_="doctor_a",
        json={"chief_complaint": "中风后遗症2年", "symptoms_text": "半身不遂，言语謇涩"},
    ).get_json()["kb"]
    assert later["diseases"][0]["code"] == "zhongfeng"
    assert "既往中风遗留" in later["red_flag"]["zh"] and "120" not in later["red_flag"]["zh"]
    assert not later["diseases"][0]["syndromes"][0]["referral"]  # 恢复期: treated at the clinic


def test_the_remains_of_a_known_stroke_do_not_turn_a_new_complaint_into_one(kb):
    dizzy = {"主诉": "阵发性头晕3年，加重1周", "症状": "头晕，耳鸣，左侧肢体活动不利"}
    remains = differentiate(kb, {**dizzy, "病史": "既往脑梗死病史3年余"})
    assert remains.diseases[0].disease.code == "xuanyun" and not remains.red_flagged
    denied = differentiate(kb, {**dizzy, "病史": "否认脑梗死、冠心病病史"})
    assert denied.diseases[0].disease.code == "zhongfeng"  # nothing on record explains it
    sudden = {**dizzy, "症状": "头晕，耳鸣，突然左侧肢体活动不利", "病史": "脑梗死病史3年"}
    assert differentiate(kb, sudden).red_flagged


def test_a_relatives_stroke_is_not_the_patients(kb):
    record = {"主诉": "头晕2天", "症状": "头晕，言语不清", "病史": "家族史：母亲脑出血"}
    assert differentiate(kb, record).red_flagged


def test_a_childs_slurred_speech_is_no_stroke_alarm(kb):
    result = differentiate(kb, {"主诉": "说话不清楚1年", "年龄": "3"})
    assert not result.red_flagged and result.diseases[0].disease.code != "zhongfeng"


@pytest.mark.parametrize(
    ("record", "says"),
    [
        ({"主诉": "咳嗽3天", "症状": "咳嗽，右侧肢体无力3年"}, "明确病因"),  # never explained
        ({"主诉": "左侧肢体无力半个月"}, "明确病因"),
        ({"主诉": "头晕3天", "症状": "头晕，言语不清", "病史": "脑梗死病史3年"}, "既往中风遗留"),
    ],
)
def test_an_old_deficit_is_no_alarm_but_the_doctor_is_told_what_to_do(kb, record, says):
    from gpassist.tcm.kb_service import red_flag_warning

    result = differentiate(kb, record)
    assert not result.red_flagged
    warning = red_flag_warning(result)
    assert warning is not None and says in warning.zh and "120" not in warning.zh
