"""Diagnosis serving: onnxruntime against scikit-learn, and /suggest against a bare Flask route.

    .venv/bin/python bench/diagnosis.py [--requests 200] [--models gpassist/models/diagnosis]

All in one process and one run, so every figure has its baseline beside it:
1. the committed ``general`` model's ONNX graph run by onnxruntime (the service's path) against
   scikit-learn ``predict_proba`` of an estimator of the same class and hyper-parameters
   (``training.fit_like_committed``: fitted quickly on a small sample; prediction cost depends on
   the model's shape, not on how long it trained), for one case and for a batch of 256;
2. ``POST /api/v1/diagnosis/suggest`` (token check, validation, ranking, supporting evidence,
   triage, serialization; and once more storing the suggestion on an encounter) against a bare
   Flask route returning a JSON object of the same size, through the WSGI test client on SQLite;
   ``model.rank`` and ``triage`` alone show where the time goes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

from common import ROOT, print_results, timed
from threadpoolctl import threadpool_limits

from gpassist import create_app
from gpassist.all_tables import metadata
from gpassist.auth.service import issue_token
from gpassist.clinics.loader import apply_registry, read_registry
from gpassist.diagnosis import runtime, training
from gpassist.diagnosis.assessment import CaseInput, assess
from gpassist.diagnosis.triage import RankedUrgency, triage
from tests.conftest import MINI_COUNTY, make_users

URTI = {"fever": "present", "cough": "present", "sore-throat": "present", "headache": "absent"}
BATCH = 256


def inference(model_folder: Path, n: int) -> None:
    model = runtime.load_model(model_folder)
    started = time.perf_counter()
    estimator, rows = training.fit_like_committed(model_folder, n_samples=2000, seed=0)
    fitted_in = time.perf_counter() - started
    single, batch = rows[:1], rows[:BATCH]
    print(
        f"\nInference, model {model.name} {model.version}: {rows.shape[1]} features, "
        f"{len(model.conditions)} conditions; estimator {type(estimator).__name__} "
        f"(fitted for the bench in {fitted_in:.1f} s)"
    )
    # One thread for both: the service's InferenceSession is single-threaded (one request at a
    # time per process), and BLAS threads fighting over 2 shared cores would only measure noise.
    with threadpool_limits(limits=1):
        results = [
            ("onnxruntime, 1 case", timed(lambda: model.probabilities_of(single), n)),
            (
                "scikit-learn predict_proba, 1 case",
                timed(lambda: estimator.predict_proba(single), n),
            ),
            (f"onnxruntime, {BATCH} cases", timed(lambda: model.probabilities_of(batch), n // 5)),
            (
                f"scikit-learn predict_proba, {BATCH} cases",
                timed(lambda: estimator.predict_proba(batch), n // 5),
            ),
        ]
    width = max(len(name) for name, _ in results) + 2
    print(f"{'':{width}} {'median':>10} {'per case':>10} {'vs onnx':>8}")
    for i, (name, seconds) in enumerate(results):
        baseline = results[i - i % 2][1]
        cases = 1 if i < 2 else BATCH
        print(
            f"{name:{width}} {seconds * 1000:8.3f}ms {seconds / cases * 1e6:8.1f}µs "
            f"{seconds / baseline:7.1f}x"
        )


def endpoint(models_root: Path, n: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{folder}/bench.db",
                "INSTANCE_PATH": folder,
                "SECRET_KEY": "bench",
                "LOG_LEVEL": "ERROR",
                "DIAGNOSIS_MODELS": str(models_root),
            }
        )
        database = app.extensions["gpassist.db"]
        metadata.create_all(database.engine)
        with database.transaction(actor="bench") as session:
            apply_registry(session, read_registry(MINI_COUNTY))
            doctor = make_users(session)["doctor_a"]
            token = issue_token(session, doctor, ttl=dt.timedelta(hours=1)).token
        same_size: dict = {}

        @app.get("/bench/bare")
        def bare():
            return same_size

        client = app.test_client()
        auth = {"Authorization": f"Bearer {token}"}
        body = {"age": 30, "sex": "male", "evidence": URTI, "vitals": {"sbp": 124, "dbp": 80}}
        sample = client.post("/api/v1/diagnosis/suggest", headers=auth, json=body)
        assert sample.status_code == 200, sample.get_json()
        same_size.update(sample.get_json())

        patient = client.post(
            "/api/v1/patients",
            headers=auth,
            json={"name": "李建国", "sex": "male", "birth_date": "1996-04-02"},
        ).get_json()
        visit = client.post(
            f"/api/v1/patients/{patient['id']}/encounters",
            headers=auth,
            json={"chief_complaint": "发热咳嗽"},
        ).get_json()
        stored = {**body, "encounter_id": visit["id"]}
        model = app.extensions["gpassist.diagnosis"]["general"]
        ranking = model.rank(URTI, 30, "male")
        top10 = [
            RankedUrgency(
                r.condition.code, r.condition.zh, r.condition.en, r.condition.urgency, r.probability
            )
            for r in ranking.ranked[:10]
        ]
        case = CaseInput(URTI, 30, "male", body["vitals"], 12, None)
        results = [
            ("bare Flask route (baseline)", timed(lambda: client.get("/bench/bare"), n)),
            (
                "POST /api/v1/diagnosis/suggest",
                timed(lambda: client.post("/api/v1/diagnosis/suggest", headers=auth, json=body), n),
            ),
            (
                "POST …/suggest with encounter_id (stored)",
                timed(
                    lambda: client.post("/api/v1/diagnosis/suggest", headers=auth, json=stored), n
                ),
            ),
            (
                "POST /api/v1/diagnosis/interview",
                timed(
                    lambda: client.post("/api/v1/diagnosis/interview", headers=auth, json=body), n
                ),
            ),
            ("assess alone (rank top 10 + triage)", timed(lambda: assess(model, case), n)),
            (
                "model.rank alone, supporting for the top 10",
                timed(lambda: model.rank(URTI, 30, "male", top_k=10), n),
            ),
            (
                "model.rank alone, supporting for all",
                timed(lambda: model.rank(URTI, 30, "male"), n),
            ),
            ("triage alone", timed(lambda: triage(URTI, body["vitals"], 30, top10), n)),
        ]
        database.dispose()
    size = len(json.dumps(same_size, ensure_ascii=False).encode())
    print_results(f"/suggest through the app, SQLite, response {size:,} bytes", results)
    ratio = results[1][1] / results[0][1]
    print(f"\n/suggest p50 / bare route p50 = {ratio:.1f}x (issue 13 target: below 5x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--models", type=Path, default=ROOT / "gpassist" / "models" / "diagnosis")
    args = parser.parse_args()
    started = time.perf_counter()
    inference(args.models / runtime.DEFAULT_MODEL, args.requests)
    endpoint(args.models, args.requests)
    print(f"\n(the whole run took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
