"""Assisted diagnosis (issue 3): knowledge bases, scikit-learn → ONNX models, interview, triage.

ML half: knowledge, features, simulate, training, export, runtime, interview, evaluate, cli.
Service half (triage, search, API, storage) builds on ``runtime``'s public interface.
"""
