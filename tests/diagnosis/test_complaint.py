"""The complaint parser: Chinese free text → suggested findings with negation and duration.

Most tests read a small vocabulary of their own (so they say exactly what they test); the last
ones read realistic complaints with the committed general model's words, and the endpoint."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gpassist.diagnosis import complaint
from gpassist.diagnosis.complaint import build_vocabulary, duration_at, parse


@dataclass(frozen=True)
class Sym:
    code: str
    zh: str
    synonyms: tuple[str, ...] = ()
    en: str = ""
    pinyin: str = ""
    initials: str = ""


SYMPTOMS = {
    s.code: s
    for s in (
        Sym("fever", "发热", ("发烧", "体温高", "fever")),
        Sym("cough", "咳嗽", ("咳", "干咳")),
        Sym("coughing-up-sputum", "咳痰", ("有痰", "吐痰")),
        Sym("chest-pain", "胸痛", ("胸口疼",)),
        Sym("sharp-chest-pain", "胸部刺痛", ("胸口刺痛",)),
        Sym("burning-chest-pain", "胸部烧灼痛", ("烧心",)),
        Sym("shortness-of-breath", "气短", ("气促", "喘不上气")),
        Sym("difficulty-breathing", "呼吸困难", ("喘不上气",)),
        Sym("headache", "头痛", ("头疼",)),
        Sym("dizziness", "头晕", ("晕", "头昏")),
        Sym("fainting", "晕厥", ()),
        Sym("weakness", "无力", ("没劲",)),
        Sym("decreased-appetite", "食欲减退", ("没胃口", "不想吃饭")),
        Sym("insomnia", "失眠", ("睡不着",)),
        Sym("sore-throat", "咽痛", ("嗓子疼",)),
        Sym("nasal-congestion", "鼻塞", ()),
        Sym("diarrhea", "腹泻", ("拉肚子",)),
        Sym("elevated-blood-pressure", "血压升高", ()),
        Sym("history-hypertension", "已确诊高血压", ()),
        Sym("history-diabetes", "已确诊糖尿病", ()),
        Sym("exposure-tick-bite", "蜱虫叮咬", ()),
    )
}
USED = set(SYMPTOMS) - {"chest-pain"}
COUNTS = {"sharp-chest-pain": 115, "burning-chest-pain": 6}


@pytest.fixture(scope="module")
def vocab():
    return build_vocabulary(SYMPTOMS, USED, COUNTS)


def read(text, vocab):
    """[(code, state, duration_days)] of the text."""
    return [(f.code, f.state, f.duration_days) for f in parse(text, vocab).findings]


P, A = "present", "absent"


# --- negation scope ------------------------------------------------------------------------------


def test_negation_runs_to_the_end_of_its_clause(vocab):
    assert read("发热，无胸痛，咳嗽", vocab) == [
        ("fever", P, None),
        ("sharp-chest-pain", A, None),
        ("cough", P, None),
    ]


def test_a_list_with_dun_shares_one_negation(vocab):
    # 无胸痛、气促 denies both; the comma ends it
    assert read("无胸痛、气促，头痛", vocab) == [
        ("sharp-chest-pain", A, None),
        ("shortness-of-breath", A, None),
        ("headache", P, None),
    ]
    assert read("否认咽痛鼻塞", vocab) == [("sore-throat", A, None), ("nasal-congestion", A, None)]


@pytest.mark.parametrize("cue", ["无", "没有", "否认", "未", "不", "未见"])
def test_each_cue_negates(cue, vocab):
    assert read(f"{cue}咳痰", vocab) == [("coughing-up-sputum", A, None)]


def test_a_turn_ends_the_negation_inside_a_clause(vocab):
    assert read("无发热但有咳嗽", vocab) == [("fever", A, None), ("cough", P, None)]
    assert read("不发烧伴头痛", vocab) == [("fever", A, None), ("headache", P, None)]


def test_words_holding_a_cue_character_are_findings_not_negations(vocab):
    assert read("无力，没胃口，睡不着，不想吃饭", vocab) == [
        ("weakness", P, None),
        ("decreased-appetite", P, None),
        ("insomnia", P, None),
    ]
    # 不适 is not a cue: the headache after it is present
    assert read("胸部不适头痛", vocab) == [("headache", P, None)]


def test_no_obvious_cause_is_not_a_negation(vocab):
    # 无明显诱因 (no obvious cause) says nothing about the findings after it
    assert read("无明显诱因出现发热、咳嗽", vocab) == [("fever", P, None), ("cough", P, None)]
    assert read("发热，不伴咳嗽、头痛", vocab) == [
        ("fever", P, None),
        ("cough", A, None),
        ("headache", A, None),
    ]


def test_a_space_ends_a_clause_and_its_negation(vocab):
    assert read("咳嗽伴发烧两天 不咳痰 头痛", vocab) == [
        ("cough", P, 2.0),
        ("fever", P, 2.0),
        ("coughing-up-sputum", A, None),
        ("headache", P, None),
    ]


# --- durations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("3天", 3.0),
        ("两天", 2.0),
        ("1周", 7.0),
        ("一周", 7.0),
        ("2个星期", 14.0),
        ("半月", 15.0),
        ("半个月", 15.0),
        ("一个半月", 45.0),
        ("3个月", 90.0),
        ("10年", 3650.0),
        ("十余年", 3650.0),
        ("二十天", 20.0),
        ("十五天", 15.0),
        ("两三天", 3.0),
        ("1.5天", 1.5),
        ("12小时", 0.5),
        ("半天", 0.5),
        ("昨日", 1.0),
        ("昨天", 1.0),
        ("前天", 2.0),
        ("今天", 0.0),
        ("今晨", 0.0),
        ("3天前", 3.0),
        ("几天", None),
    ],
)
def test_duration_words(text, days):
    assert duration_at(text, 0) == (len(text), days)


@pytest.mark.parametrize("text", ["3次", "38.6℃", "5岁", "体温", "158/96"])
def test_numbers_that_are_not_durations(text):
    assert duration_at(text, 0) is None


def test_a_duration_belongs_to_the_findings_of_its_clause(vocab):
    assert read("发热3天，咳嗽", vocab) == [("fever", P, 3.0), ("cough", P, None)]
    assert read("3天前开始发热，咳嗽1周", vocab) == [("fever", P, 3.0), ("cough", P, 7.0)]
    assert read("发热3天咳嗽1周", vocab) == [("fever", P, 3.0), ("cough", P, 7.0)]


def test_a_lone_duration_belongs_to_the_clause_before(vocab):
    assert read("发热 3天", vocab) == [("fever", P, 3.0)]
    assert parse("发热 3天", vocab).unmatched == []


def test_absent_findings_have_no_duration(vocab):
    assert read("发热2天无咳嗽", vocab) == [("fever", P, 2.0), ("cough", A, None)]


def test_a_long_standing_raised_pressure_is_the_known_diagnosis(vocab):
    assert read("血压升高10年", vocab) == [("history-hypertension", P, 3650.0)]
    assert read("血压升高病史", vocab) == [("history-hypertension", P, None)]
    assert read("今天血压升高", vocab) == [("elevated-blood-pressure", P, 0.0)]


def test_extra_phrases_reach_history_and_exposure_codes(vocab):
    assert read("头痛，高血压病史5年，否认糖尿病", vocab) == [
        ("headache", P, None),
        ("history-hypertension", P, 1825.0),
        ("history-diabetes", A, None),
    ]
    assert read("昨日被蜱虫叮咬", vocab) == [("exposure-tick-bite", P, 1.0)]


def test_the_disease_name_alone_is_the_known_diagnosis(vocab):
    assert read("高血压，头晕", vocab) == [
        ("history-hypertension", P, None),
        ("dizziness", P, None),
    ]


def test_phrases_of_codes_the_model_lacks_are_skipped():
    small = build_vocabulary({"fever": SYMPTOMS["fever"]})
    assert read("发热，高血压病史，被蜱虫叮咬", small) == [("fever", P, None)]
    assert [c.text for c in parse("发热，高血压病史", small).unmatched] == ["高血压病史"]


# --- words ---------------------------------------------------------------------------------------


def test_colloquial_synonyms(vocab):
    assert read("发烧，头疼，拉肚子，嗓子疼", vocab) == [
        ("fever", P, None),
        ("headache", P, None),
        ("diarrhea", P, None),
        ("sore-throat", P, None),
    ]


def test_the_longest_word_wins(vocab):
    assert read("咳痰", vocab) == [("coughing-up-sputum", P, None)]
    assert read("晕厥", vocab) == [("fainting", P, None)]  # not 晕 (dizziness)


def test_single_characters_of_the_kb_are_not_words(vocab):
    # 咳 and 晕 are KB synonyms; alone they would fire inside unrelated words
    assert "咳" not in vocab.words and "晕" not in vocab.words
    assert "痰" in vocab.words  # a single character listed in complaint_phrases.yaml on purpose


def test_a_word_naming_two_codes_goes_to_the_used_then_the_named_one(vocab):
    assert vocab.words["喘不上气"] == "shortness-of-breath"  # both synonyms; first in file order
    assert vocab.words["气短"] == "shortness-of-breath"


def test_an_unused_code_is_offered_as_its_narrower_used_code(vocab):
    (finding,) = parse("胸口疼", vocab).findings
    assert (finding.code, finding.matched_code, finding.used) == (
        "sharp-chest-pain",
        "chest-pain",
        True,
    )
    assert finding.alternatives == ("burning-chest-pain",)


def test_spans_and_words_point_into_the_text(vocab):
    text = "  发热3天，无胸痛；昨日被蜱虫叮咬。"
    for f in parse(text, vocab).findings:
        assert text[f.start : f.end] == f.word


def test_each_code_once_at_its_first_mention(vocab):
    assert read("发热，咳嗽，发烧", vocab) == [("fever", P, None), ("cough", P, None)]


# --- punctuation, empty and garbage --------------------------------------------------------------


def test_mixed_punctuation_and_spaces(vocab):
    text = "发热3天,咳嗽;无胸痛.头痛！鼻塞？\n咽痛：拉肚子\t头晕"
    assert [c for c, _, _ in read(text, vocab)] == [
        "fever",
        "cough",
        "sharp-chest-pain",
        "headache",
        "nasal-congestion",
        "sore-throat",
        "diarrhea",
        "dizziness",
    ]
    assert read("体温38.6度，发热", vocab) == [("fever", P, None)]


@pytest.mark.parametrize("text", ["", "   ", "，。；", None])
def test_empty_input(text, vocab):
    result = parse(text, vocab)
    assert result.findings == [] and result.unmatched == []


def test_garbage_is_unmatched_not_an_error(vocab):
    result = parse("asdf 12345 ☃☃ 你好，吃了吗", vocab)
    assert result.findings == []
    assert [c.text for c in result.unmatched] == ["asdf", "12345", "☃☃", "你好", "吃了吗"]


def test_a_long_text_is_read_up_to_the_limit(vocab):
    text = "，" * complaint.MAX_TEXT + "发热"
    assert parse(text, vocab).findings == []


# --- realistic complaints with the committed general model ---------------------------------------


@pytest.fixture(scope="module")
def general(installed):
    return complaint.vocabulary_for(installed["general"])


def codes(text, vocab):
    return {f.code: (f.state, f.duration_days) for f in parse(text, vocab).findings}


def chest_pain_code(vocab) -> str:
    """胸痛's code: chest-pain where the model uses it (KB v2 gives it evidence), else the narrower
    code with the most evidence rows (sharp-chest-pain in KB v1)."""
    return "chest-pain" if "chest-pain" in vocab.used else vocab.narrower["chest-pain"][0]


def test_the_issue_complaints_with_the_general_model(general):
    found = codes("发热3天，咳嗽，无胸痛，昨日被蜱虫叮咬", general)
    assert found["fever"] == (P, 3.0) and found["cough"] == (P, None)
    assert found[chest_pain_code(general)] == (A, None)
    if "exposure-tick-bite" in general.words.values():
        assert found["exposure-tick-bite"] == (P, 1.0)
    found = codes("咳嗽伴发烧两天 不咳痰 血压高10年", general)
    assert found["cough"] == (P, 2.0) and found["fever"] == (P, 2.0)
    assert found["coughing-up-sputum"] == (A, None)
    if "history-hypertension" in general.words.values():
        assert found["history-hypertension"] == (P, 3650.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("头晕、头痛一周", {"dizziness": (P, 7.0), "headache": (P, 7.0)}),
        (
            "腹痛腹泻1天，伴恶心呕吐，无发热",
            {"diarrhea": (P, 1.0), "nausea": (P, None), "vomiting": (P, None), "fever": (A, None)},
        ),
        ("咳嗽咳痰2周，痰中带血，夜间盗汗", {"cough": (P, 14.0), "hemoptysis": (P, None)}),
        ("流鼻涕、鼻塞两天，嗓子疼，不发烧", {"coryza": (P, 2.0), "fever": (A, None)}),
        ("乏力半月，没胃口，睡不着", {"fatigue": (P, 15.0), "insomnia": (P, None)}),
    ],
)
def test_realistic_complaints(text, expected, general):
    found = codes(text, general)
    for code, value in expected.items():
        assert found.get(code) == value, (code, found)
    assert all(f.used for f in parse(text, general).findings)


# --- the endpoint --------------------------------------------------------------------------------

URL = "/api/v1/diagnosis/complaint"


def test_the_endpoint_suggests_findings_and_stores_nothing(api, installed):
    text = "发热3天，咳嗽，无胸痛，abc"
    response = api.post(URL, as_="doctor_a", json={"text": text})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["model"] == "general"
    fever, cough, chest = body["findings"]
    assert (fever["code"], fever["state"], fever["duration_days"]) == ("fever", P, 3.0)
    assert (fever["zh"], fever["word"], fever["start"], fever["end"]) == ("发热", "发热", 0, 2)
    assert (cough["code"], cough["duration_days"]) == ("cough", None)
    expected = chest_pain_code(complaint.vocabulary_for(installed["general"]))
    assert (chest["code"], chest["state"], chest["matched_code"]) == (expected, A, "chest-pain")
    assert chest["used"] is True
    assert bool(chest["alternatives"]) == (expected != "chest-pain")  # the other narrower codes
    assert body["unmatched"] == [{"text": "abc", "start": 12, "end": 15}]


def test_the_endpoint_refuses_bad_input_with_field_paths(api, installed):
    def fields(body):
        response = api.post(URL, as_="doctor_a", json=body)
        assert response.status_code == 422
        assert response.mimetype == "application/problem+json"
        return [e["field"] for e in response.get_json()["errors"]]

    assert fields({}) == ["body.text"]
    assert fields({"text": ""}) == ["body.text"]
    assert fields({"text": "发热" * 1001}) == ["body.text"]
    assert fields({"text": 3}) == ["body.text"]
    assert fields({"text": "发热\u202e咳嗽"}) == ["body.text"]
    assert fields({"text": "发热", "model": "nope"}) == ["body.model"]


def test_who_may_read_a_complaint(api, installed):
    assert api.post(URL, json={"text": "发热"}).status_code == 401
    assert api.post(URL, as_="pharmacist", json={"text": "发热"}).status_code == 403
    assert api.post(URL, as_="specialist", json={"text": "发热"}).status_code == 200
