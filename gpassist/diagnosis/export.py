"""scikit-learn → ONNX export and the parity check (onnxruntime must reproduce predict_proba)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort

PARITY_TOLERANCE = 1e-5


class ParityError(RuntimeError):
    """onnxruntime's probabilities differ from scikit-learn's by more than the tolerance."""


def to_onnx_bytes(estimator, width: int) -> bytes:
    # Imported here: serving needs only onnxruntime, and skl2onnx (with scikit-learn) adds
    # seconds to every server start.
    from skl2onnx import to_onnx

    sample = np.zeros((1, width), dtype=np.float32)
    model = to_onnx(estimator, sample, options={id(estimator): {"zipmap": False}})
    return model.SerializeToString()


def session_for(onnx_bytes: bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    # one thread: the service runs several processes on a small machine
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])


def onnx_probabilities(session: ort.InferenceSession, rows: np.ndarray) -> np.ndarray:
    name = session.get_inputs()[0].name
    outputs = session.run(None, {name: rows.astype(np.float32, copy=False)})
    return np.asarray(outputs[1], dtype=np.float64)


def check_parity(estimator, onnx_bytes: bytes, rows: np.ndarray) -> float:
    """Max |onnxruntime - predict_proba| over ``rows``; raises ParityError above 1e-5."""
    expected = estimator.predict_proba(rows.astype(np.float32))
    got = onnx_probabilities(session_for(onnx_bytes), rows)
    difference = float(np.abs(expected - got).max())
    if difference > PARITY_TOLERANCE:
        raise ParityError(f"onnxruntime differs from scikit-learn by {difference:.2e}")
    return difference
