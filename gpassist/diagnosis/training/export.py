"""scikit-learn → ONNX export and the parity check (onnxruntime must reproduce predict_proba)."""

from __future__ import annotations

import numpy as np
from skl2onnx import to_onnx

from gpassist.inference import inference_session, predict_proba

PARITY_TOLERANCE = 1e-5


class ParityError(RuntimeError):
    """onnxruntime's probabilities differ from scikit-learn's by more than the tolerance."""


def to_onnx_bytes(estimator, width: int) -> bytes:
    """``estimator`` as an ONNX graph taking float32 rows of ``width`` (probabilities as a
    plain tensor, zipmap off, which is what ``gpassist.inference.predict_proba`` reads)."""
    sample = np.zeros((1, width), dtype=np.float32)
    model = to_onnx(estimator, sample, options={id(estimator): {"zipmap": False}})
    return model.SerializeToString()


def check_parity(estimator, onnx_bytes: bytes, rows: np.ndarray) -> float:
    """Max |onnxruntime - predict_proba| over ``rows``; raises ParityError above 1e-5."""
    expected = estimator.predict_proba(rows.astype(np.float32))
    got = predict_proba(inference_session(onnx_bytes), rows)
    difference = float(np.abs(expected - got).max())
    if difference > PARITY_TOLERANCE:
        raise ParityError(f"onnxruntime differs from scikit-learn by {difference:.2e}")
    return difference
