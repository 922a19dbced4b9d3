"""Model development for TCM: the training format, fitting and cross-validation (scikit-learn),
ONNX export with the parity check, and evaluation. The service (``runtime``, ``service``,
``api``) never imports this package; it serves the committed ONNX files with onnxruntime only.
"""

from gpassist.tcm.training.data import TrainingDataError
from gpassist.tcm.training.pipeline import train

__all__ = ["TrainingDataError", "train"]
