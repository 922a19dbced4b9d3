"""Assisted diagnosis (issue 3): knowledge bases, ONNX models, interview, triage.

Serving: ``knowledge``, ``features``, ``interview``, ``runtime`` (onnxruntime only), ``triage``,
``search``, ``service``, ``api``. Model development (scikit-learn, skl2onnx, simulation,
evaluation, model cards) lives in ``training/``, which imports the serving modules and is never
imported by them (tests/test_architecture.py checks it).
"""
