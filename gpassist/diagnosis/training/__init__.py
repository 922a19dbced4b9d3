"""Model development for diagnosis: simulation, estimators, training, ONNX export, evaluation and
model cards. Needs scikit-learn and skl2onnx; the service (``runtime``, ``service``, ``api``)
never imports this package and serves the committed ONNX files with onnxruntime only.

Entry points: ``pipeline.train`` (``gpassist diagnosis train``), ``evaluate`` (``gpassist
diagnosis evaluate``), ``model_card.rewrite_model_card``.
"""

from gpassist.diagnosis.training.general import GeneralPlan
from gpassist.diagnosis.training.pipeline import fit_like_committed, train

__all__ = ["GeneralPlan", "fit_like_committed", "train"]
