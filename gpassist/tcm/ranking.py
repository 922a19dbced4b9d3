"""How the syndrome probabilities become the suggestion's set of syndromes. Pure numpy: the
service (``runtime``) suggests with it and the evaluation (``training``) scores it."""

from __future__ import annotations

import numpy as np


def suggested_set(ps_row: np.ndarray, threshold: float) -> list[int]:
    """Every syndrome with at least ``threshold`` × the top probability; the top one always."""
    top = float(ps_row.max())
    order = np.argsort(-ps_row, kind="stable")
    return [int(j) for j in order if ps_row[j] >= threshold * top] or [int(order[0])]
