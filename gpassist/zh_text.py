"""Chinese clinical text: negation cues, shared by the TCM text features and the diagnosis
complaint parser (pure Python; no database, no Flask).

A cue (无, 否认, 未, 不, …) negates what follows it in its clause; a word that merely starts with
a cue character (无力, 不适, 未愈, …) states a finding, not its absence, and is never a cue.
The two readers differ in what ends a clause and in whether they keep offsets, so each splits
its own clauses; the word lists live here once.
"""

from __future__ import annotations

# Longest first, so 未闻及 wins over 未 and 否认 over nothing.
NEGATION_CUES = (
    "否认",
    "未闻及",
    "未触及",
    "未引出",
    "未见",
    "未及",
    "没有",
    "不伴",
    "无",
    "未",
    "不",
    "非",
)
# Words that start with (or contain) a cue character but state a finding, not its absence.
NOT_CUES = (
    "无力",
    "无华",
    "无神",
    "无明显诱因",  # says nothing about a symptom; leave the clause that follows un-negated
    "不适",
    "不宁",
    "不安",
    "不寐",
    "不利",
    "不畅",
    "不佳",
    "不振",
    "不足",
    "不齐",
    "不规则",
    "不稳",
    "不清",
    "不化",
    "不易",
    "不能",
    "不欲",
    "不详",
    "未愈",
    "未予",
    "未经",
    "未规律",
    "未系统",
    "非常",
)


def not_cue_at(text: str, i: int) -> str:
    """The non-cue word starting at ``text[i]`` (无力, 不适, …), or ``""``."""
    return next((w for w in NOT_CUES if text.startswith(w, i)), "")


def cue_at(text: str, i: int) -> str | None:
    """The negation cue starting at ``text[i]``, or None (also when a non-cue word starts there)."""
    if not_cue_at(text, i):
        return None
    return next((cue for cue in NEGATION_CUES if text.startswith(cue, i)), None)
