"""onnxruntime sessions for the committed models (diagnosis, TCM): the serving side's only ML
dependency. scikit-learn and skl2onnx are for training and are never imported here."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort


def inference_session(onnx_bytes: bytes) -> ort.InferenceSession:
    """A CPU session for one exported classifier."""
    options = ort.SessionOptions()
    # one thread: the service runs several processes on a small machine
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])


def predict_proba(session: ort.InferenceSession, rows: np.ndarray) -> np.ndarray:
    """(n, classes) float64 probabilities of a classifier exported with zipmap off (its second
    output), for float32 ``rows`` of the width it was exported with."""
    name = session.get_inputs()[0].name
    outputs = session.run(None, {name: rows.astype(np.float32, copy=False)})
    return np.asarray(outputs[1], dtype=np.float64)
