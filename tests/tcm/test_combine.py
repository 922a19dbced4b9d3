"""The knowledge base and the learned model combined, and measured alike (evaluate, calibrate)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gpassist.tcm import knowledge
from gpassist.tcm.combine import Learned, Weights, combined_ranking, kb_ranking
from gpassist.tcm.differentiation import differentiate
from gpassist.tcm.training.engines import GRID, cross_validate

SAMPLE = Path(__file__).parents[1] / "data" / "tcm-kb-sample"
DIZZY = {"主诉": "头晕3天", "症状": "头晕，耳鸣，急躁易怒", "中医望闻切诊": "舌红，苔黄，脉弦"}


def learned(in_scope: bool, familiarity: float = 0.0) -> Learned:
    return Learned(
        {"眩晕病": 0.2, "胸痹心痛病": 0.8},
        {"肝阳上亢证": 0.1, "气滞血瘀证": 0.7, "痰湿痹阻证": 0.2},
        in_scope,
        familiarity,
    )


def test_out_of_scope_the_knowledge_base_ranks_alone():
    result = differentiate(knowledge.load(SAMPLE), DIZZY)
    ranking = combined_ranking(result, learned(False), Weights(0.9, 0.9))
    assert ranking == kb_ranking(result) and not ranking.learned_used


def test_the_weights_move_the_ranking_between_the_two():
    result = differentiate(knowledge.load(SAMPLE), DIZZY)
    kb_only = combined_ranking(result, learned(True), Weights(0.0, 0.0))
    assert kb_only.learned_used
    assert kb_only.diseases[0][0] == "眩晕病" and kb_only.syndromes[0][0] == "肝阳上亢证"
    model_only = combined_ranking(result, learned(True), Weights(1.0, 1.0))
    assert model_only.diseases[0][0] == "胸痹心痛病"
    # on a note not written like the ward's, the model's syndromes take no part
    assert model_only.syndromes[0][0] == kb_only.syndromes[0][0] == "肝阳上亢证"
    familiar = combined_ranking(result, learned(True, 0.99), Weights(1.0, 1.0, familiar=0.9))
    assert familiar.syndromes[0][0] == "气滞血瘀证"


def test_cross_validation_reports_every_engine_per_fold_and_chooses_weights(tiny_data, tiny_model):
    folder, _ = tiny_model
    params = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))["params"]
    out = cross_validate(knowledge.load(SAMPLE), tiny_data, params, folds=3, log=lambda _: None)
    cv = out["cross_validation"]
    assert cv["n"] == 60 and len(cv["fold_weights"]) == 3
    assert out["weights"]["disease"] in GRID and out["weights"]["syndrome"] in GRID
    for engine in ("kb", "learned", "combined"):
        assert len(cv[engine]["per_fold"]) == 3
        assert set(cv[engine]["disease_accuracy"]) == {"mean", "sd"}
    # the synthetic records carry each syndrome's telltale findings: the model learns them; the
    # sample knowledge base knows 眩晕 only, so it misses every 胸痹心痛病 record (a third)
    assert cv["learned"]["disease_accuracy"]["mean"] > 0.9
    assert cv["kb"]["disease_accuracy"]["mean"] <= 0.67
    assert cv["combined"]["disease_accuracy"]["mean"] > cv["kb"]["disease_accuracy"]["mean"]


def test_evaluate_runs_every_engine_on_a_record_file(tiny_data, tiny_model):
    from gpassist.cli import main

    folder, _ = tiny_model
    runner = CliRunner()
    base = ["tcm", "evaluate", "--records", str(tiny_data), "--json"]
    kb = json.loads(runner.invoke(main, [*base, "--model", str(SAMPLE)]).output)
    assert kb["engine"] == "kb" and kb["n"] == 60
    assert kb["unknown_diseases"] == ["胸痹心痛病"]
    assert {"disease_accuracy", "syndrome_top1_in_gold", "syndrome_top3_in_gold"} <= set(kb)
    both = runner.invoke(
        main, [*base, "--model", str(folder), "--engine", "combined", "--kb", str(SAMPLE)]
    )
    combined = json.loads(both.output)
    assert combined["engine"] == "combined" and combined["unknown_diseases"] == []
    learned = json.loads(runner.invoke(main, [*base, "--model", str(folder)]).output)
    assert learned["engine"] == "learned" and "syndrome_top3_in_gold" in learned
    listed = json.loads(runner.invoke(main, [*base, "--model", str(SAMPLE), "--confusions"]).output)
    wrong = round((1 - listed["disease_accuracy"]) * listed["n"])
    assert sum(c["n"] for c in listed["disease_confusions"]) == wrong
    assert all(c["gold"] != c["predicted"] for c in listed["disease_confusions"])
    refused = runner.invoke(main, [*base, "--model", str(SAMPLE), "--engine", "combined"])
    assert refused.exit_code != 0 and "is a knowledge base" in refused.output


def test_on_a_familiar_record_the_learned_disease_leads_whatever_the_weight():
    result = differentiate(knowledge.load(SAMPLE), DIZZY)
    assert result.diseases[0].disease.term == "眩晕病"  # one of the model's four
    weights = Weights(0.0, 0.5, familiar=0.8)  # the blend would keep the KB's 眩晕病

    def leader(familiarity: float, in_scope: bool = True) -> str:
        row = Learned(learned(True).diseases, learned(True).syndromes, in_scope, familiarity)
        return combined_ranking(result, row, weights).diseases[0][0]

    assert leader(0.5) == "眩晕病"
    assert leader(0.9) == "胸痹心痛病"
    assert leader(0.9, in_scope=False) == "眩晕病"


def test_a_familiar_record_does_not_let_the_model_overturn_another_kb_disease():
    # the sample KB leads with 感冒; the model (0.8, below the 0.9 it needs) is left out
    cold = {
        "主诉": "恶寒发热2天，胸闷",
        "症状": "恶寒，发热，鼻塞流清涕，胸闷",
        "中医望闻切诊": "苔薄白，脉浮紧",
    }
    result = differentiate(knowledge.load(SAMPLE), cold)
    assert result.diseases[0].disease.term not in learned(True).diseases
    row = Learned(learned(True).diseases, learned(True).syndromes, True, 1.0)
    assert combined_ranking(result, row, Weights(0.5, 0.5, familiar=0.8)) == kb_ranking(result)


FOUR = {"眩晕病", "心悸病", "胸痹心痛病", "心衰病"}
# Short notes as the visit form writes them: their few words are all known to the learned model
# (familiarity ≈ 1), so only its scope test keeps it from answering them with a ward disease.
OTHER_NOTES = [
    {"主诉": "咳嗽咳痰3天，伴胸闷", "症状": "咳嗽，咳白痰，胸闷"},
    {"主诉": "恶寒发热2天", "症状": "恶寒发热，鼻塞流涕，乏力"},
    {"主诉": "大便稀溏1周", "症状": "大便稀溏，乏力"},
    {"主诉": "头痛2天", "症状": "头痛"},
    {"主诉": "胃脘胀痛1周", "症状": "胃脘胀痛，伴乏力"},
    {"主诉": "失眠半年", "症状": "失眠多梦，心慌"},
    {"主诉": "乏力1月", "症状": "乏力，纳差"},
]
WARD_NOTES = [
    ({"主诉": "头晕3天", "症状": "头晕，血压160/100"}, "眩晕病"),
    ({"主诉": "发现血压升高5年", "症状": "头胀，口苦"}, "眩晕病"),
    ({"主诉": "阵发性心慌1月", "症状": "心慌，气短"}, "心悸病"),
    ({"主诉": "胸闷胸痛1周", "症状": "胸闷胸痛，活动后加重"}, "胸痹心痛病"),
]


def _panel_leader(model, note) -> str:
    """What the visit panel leads with: the knowledge base's view in the combined order."""
    from gpassist.tcm.combine import in_ranking_order
    from gpassist.tcm.kb_service import _learned
    from gpassist.tcm.runtime import model_root

    kb = knowledge.load(model_root() / "primary-care")
    result = differentiate(kb, note)
    row = _learned(model.suggest(note), note)
    ranking = combined_ranking(result, row, Weights.from_folder(model_root()))
    return in_ranking_order(result, ranking)[0].disease.term


@pytest.mark.parametrize("note", OTHER_NOTES, ids=[n["主诉"] for n in OTHER_NOTES])
def test_short_notes_of_other_diseases_are_not_led_by_a_ward_disease(committed_model, note):
    assert _panel_leader(committed_model, note) not in FOUR


@pytest.mark.parametrize(("note", "disease"), WARD_NOTES, ids=[n["主诉"] for n, _ in WARD_NOTES])
def test_short_notes_of_the_four_diseases_are_led_by_them(committed_model, note, disease):
    assert _panel_leader(committed_model, note) == disease


def test_familiarity_is_high_for_the_training_records_writing_and_low_for_other_writing(
    committed_model,
):
    from gpassist.tcm.features import block_tokens

    ward = block_tokens(
        {
            "主诉": "阵发性眩晕10年，加重半月。",
            "症状": "阵发性眩晕，无胸闷胸痛，无口干口苦，纳眠可，二便调。",
            "中医望闻切诊": "表情自然，面色红润，形体正常，舌红、苔黄，舌下络脉无异常，脉弦。",
        }
    )
    lay = block_tokens({"主诉": "前天淋了雨，浑身骨头酸", "症状": "盖两床被子还冷，鼻子堵"})
    space = committed_model.space
    assert space.familiarity(ward) > 0.9 > 0.6 > space.familiarity(lay)
    assert space.familiarity({}) == 0.0


def test_the_panel_leads_with_what_the_combination_ranked_first():
    """Where the learned model took part, the knowledge base's view is shown in the combined
    order (so the panel's lead is the engine that was measured), the leading disease's own
    syndromes in the model's order; without it, the knowledge base's order stands."""
    from gpassist.tcm.combine import in_ranking_order
    from gpassist.tcm.runtime import model_root

    kb = knowledge.load(model_root() / "primary-care")
    result = differentiate(kb, DIZZY)
    assert result.diseases[0].disease.term == "眩晕病"
    model_says = combined_ranking(result, learned(True, 0.99), Weights(1.0, 1.0, familiar=0.9))
    shown = in_ranking_order(result, model_says)
    assert shown[0].disease.term == "胸痹心痛病"
    assert shown[0].syndromes[0].syndrome.name.zh == "气滞血瘀证"
    assert sorted(d.disease.code for d in shown) == sorted(d.disease.code for d in result.diseases)
    alone = in_ranking_order(result, combined_ranking(result, learned(False), Weights(1.0, 1.0)))
    assert [d.disease.code for d in alone] == [d.disease.code for d in result.diseases]
    # and the doctor is told why the lead is not the knowledge base's own
    from gpassist.tcm.kb_service import _reordered_note

    (note,) = _reordered_note(result, shown)
    assert "研究模型" in note.zh and "胸痹" in note.zh and "眩晕" in note.zh
    assert _reordered_note(result, alone) == []
