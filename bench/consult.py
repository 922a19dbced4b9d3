"""Consultation message latency with 200 connected clients, against a bare python-socketio echo
server measured in the same run.

    .venv/bin/python bench/consult.py [--pairs 100] [--messages 10] [--postgres URL]

Both servers run in child processes with the same stack (threading mode, werkzeug, simple-websocket)
on 127.0.0.1; the clients are python-socketio clients over websocket in this process. ``--pairs``
doctor/specialist pairs connect (200 sockets by default), each pair in its own accepted
consultation. Two loads:

- **one sender at a time**: pairs take turns, so each number is the latency of a message alone;
- **every doctor at once**: all doctors send their messages at the same moment (a burst).

For each message: **ack** — from emit to the sender's acknowledgement (gpassist: token check,
row lock, stored and committed); **delivery** — from emit until the other party's socket has it.
The baseline server acknowledges the same payload and relays it to the peer's room, storing nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import socketio
from common import ROOT  # puts the project root on sys.path

NAMESPACE = "/consult"


# --- the bare echo server (run as a child process) -------------------------------------------


def run_echo_server(port: int) -> None:
    from werkzeug.serving import run_simple

    sio = socketio.Server(async_mode="threading")

    @sio.event(namespace=NAMESPACE)
    def connect(sid, environ, auth):
        sio.enter_room(sid, f"user:{auth['user']}", namespace=NAMESPACE)

    @sio.on("message", namespace=NAMESPACE)
    def message(sid, data):
        sio.emit("message", data, to=f"user:{data['to']}", namespace=NAMESPACE, skip_sid=sid)
        return {"ok": True, "message": data}

    app = socketio.WSGIApp(sio, lambda env, start: start("200 OK", []) or [b"ok"])
    run_simple("127.0.0.1", port, app, threaded=True)


# --- the gpassist server ---------------------------------------------------------------------


def prepare_gpassist(database_url: str, pairs: int) -> list[tuple[str, str, int]]:
    """``pairs`` doctors and cardiologists with tokens and one encounter per doctor."""
    from gpassist.auth.service import issue_token
    from gpassist.auth.tables import Role, User
    from gpassist.clinics.loader import read_registry
    from gpassist.clinics.tables import Department, Facility
    from gpassist.db import Database
    from tests.conftest import MINI_COUNTY, build_world, password_hash
    from tests.consult.conftest import add_encounter

    database = Database(database_url)
    build_world(database, read_registry(MINI_COUNTY))
    out = []
    with database.transaction(actor="bench") as session:
        clinic = session.query(Facility.id).filter_by(code="VA").scalar()
        cardiology = (
            session.query(Department.id)
            .join(Facility, Department.facility_id == Facility.id)
            .filter(Facility.code == "CH", Department.code == "cardiology")
            .scalar()
        )
        for i in range(pairs):
            doctor = User(
                username=f"d{i}",
                display_name=f"村医{i}",
                password_hash=password_hash(),
                role=Role.village_doctor,
                clinic_id=clinic,
            )
            specialist = User(
                username=f"s{i}",
                display_name=f"专家{i}",
                password_hash=password_hash(),
                role=Role.specialist,
                department_id=cardiology,
            )
            session.add_all([doctor, specialist])
            session.flush()
            ttl = dt.timedelta(hours=2)
            out.append(
                (
                    issue_token(session, doctor, ttl=ttl).token,
                    issue_token(session, specialist, ttl=ttl).token,
                    add_encounter(session, doctor),
                )
            )
    database.dispose()
    return out


def start(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    import requests

    process = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            return process
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server on port {port} did not start")


def free_port() -> int:
    from tests.servers import free_port as pick

    return pick()


# --- clients and measurement -----------------------------------------------------------------


class Side:
    """One connected client; remembers when each message id arrived."""

    def __init__(self, url: str, auth: dict) -> None:
        self.arrived: dict[str, float] = {}
        self.event = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        self.client.on("message", self._on_message, namespace=NAMESPACE)
        self.client.connect(url, namespaces=[NAMESPACE], auth=auth, transports=["websocket"])

    def _on_message(self, data) -> None:
        with self.event:
            self.arrived[data["client_msg_id"]] = time.perf_counter()
            self.event.notify_all()

    def wait_for(self, key: str, timeout: float = 60) -> float:
        with self.event:
            self.event.wait_for(lambda: key in self.arrived, timeout)
            return self.arrived[key]

    def call(self, event: str, data: dict) -> dict:
        return self.client.call(event, data, namespace=NAMESPACE, timeout=60)


class Pair:
    def __init__(self, sender: Side, receiver: Side, payload: dict) -> None:
        self.sender, self.receiver, self.payload = sender, receiver, payload

    def send(self, key: str, acks: list[float], deliveries: list[float]) -> None:
        started = time.perf_counter()
        ack = self.sender.call("message", {**self.payload, "client_msg_id": key, "text": key})
        acked = time.perf_counter()
        assert ack.get("ok"), ack
        arrived = self.receiver.wait_for(key)
        acks.append(acked - started)
        deliveries.append(arrived - started)


def measure(pairs: list[Pair], messages: int, label: str) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}
    # one sender at a time
    acks: list[float] = []
    deliveries: list[float] = []
    for round_ in range(messages):
        for i, pair in enumerate(pairs):
            pair.send(f"{label}-seq-{round_}-{i}", acks, deliveries)
    results["alone ack"], results["alone delivery"] = acks, deliveries
    # every doctor at once
    acks, deliveries = [], []
    barrier = threading.Barrier(len(pairs))

    def burst(i: int, pair: Pair) -> None:
        barrier.wait()
        for round_ in range(messages):
            pair.send(f"{label}-par-{round_}-{i}", acks, deliveries)

    threads = [threading.Thread(target=burst, args=(i, p)) for i, p in enumerate(pairs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results["burst ack"], results["burst delivery"] = acks, deliveries
    return results


def percentile(samples: list[float], q: float) -> float:
    return (
        statistics.quantiles(samples, n=100, method="inclusive")[q - 1] if q < 100 else max(samples)
    )


def echo_pairs(url: str, pairs: int) -> tuple[list[Pair], list[Side]]:
    sides, made = [], []
    for i in range(pairs):
        doctor = Side(url, {"user": f"d{i}"})
        specialist = Side(url, {"user": f"s{i}"})
        sides += [doctor, specialist]
        made.append(Pair(doctor, specialist, {"to": f"s{i}"}))
    return made, sides


def gpassist_pairs(url: str, accounts) -> tuple[list[Pair], list[Side]]:
    sides, made = [], []
    request = {"reason": "bench", "urgency": "routine", "department": "cardiology"}
    for doctor_token, specialist_token, encounter_id in accounts:
        doctor = Side(url, {"token": doctor_token})
        specialist = Side(url, {"token": specialist_token})
        sides += [doctor, specialist]
        opened = doctor.call("request", {"encounter_id": encounter_id, **request})
        consultation_id = opened["consultation"]["id"]
        assert specialist.call("accept", {"consultation_id": consultation_id})["ok"]
        made.append(Pair(doctor, specialist, {"consultation_id": consultation_id}))
    return made, sides


def report(title: str, baseline: dict, ours: dict) -> None:
    print(f"\n{title}")
    print(
        f"{'measure':16} {'echo p50':>9} {'echo p99':>9} {'ours p50':>9} {'ours p99':>9} "
        f"{'p50 ×':>6} {'p99 ×':>6}"
    )
    for key in ours:
        b50, b99 = percentile(baseline[key], 50), percentile(baseline[key], 99)
        o50, o99 = percentile(ours[key], 50), percentile(ours[key], 99)
        print(
            f"{key:16} {b50 * 1000:7.2f}ms {b99 * 1000:7.2f}ms {o50 * 1000:7.2f}ms "
            f"{o99 * 1000:7.2f}ms {o50 / b50:6.1f} {o99 / b99:6.1f}"
        )


def run(pairs: int, messages: int, databases: list[tuple[str, str]]) -> None:
    port = free_port()
    echo = start([sys.executable, __file__, "--echo-server", str(port)], dict(os.environ), port)
    try:
        made, sides = echo_pairs(f"http://127.0.0.1:{port}", pairs)
        print(f"echo server: {len(sides)} clients connected")
        baseline = measure(made, messages, "echo")
    finally:  # stopping the server ends its clients (a polite close can hang on this stack)
        echo.terminate()
        echo.wait()
    for url, label in databases:
        accounts = prepare_gpassist(url, pairs)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("GPASSIST_")}
        env.update(
            GPASSIST_DATABASE_URL=url,
            GPASSIST_INSTANCE_PATH=tempfile.mkdtemp(),
            GPASSIST_LOG_LEVEL="WARNING",
            GPASSIST_CONSULT_SCHEDULER_INTERVAL_SECONDS="0",
        )
        server = start(
            [str(Path(sys.executable).parent / "gpassist"), "serve", "--port", str(port)], env, port
        )
        try:
            made, sides = gpassist_pairs(f"http://127.0.0.1:{port}", accounts)
            print(f"gpassist ({label}): {len(sides)} clients connected")
            ours = measure(made, messages, "gp")
        finally:
            server.terminate()
            server.wait()
        report(
            f"{len(sides)} connected clients, {pairs} pairs × {messages} messages per load — "
            f"gpassist on {label} vs bare python-socketio echo",
            baseline,
            ours,
        )


def main() -> None:
    import faulthandler
    import signal

    # `kill -USR1 <pid>` prints where the main thread is (a stuck run can be diagnosed).
    faulthandler.register(signal.SIGUSR1, all_threads=False)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--postgres", help="also run on this PostgreSQL server URL")
    parser.add_argument("--echo-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo_server:
        run_echo_server(args.echo_server)
        return
    from tests.conftest import PostgresSchema

    with tempfile.TemporaryDirectory() as folder:
        databases = [(f"sqlite:///{folder}/bench.db", "SQLite")]
        if args.postgres:
            with PostgresSchema(args.postgres) as schema:
                run(args.pairs, args.messages, [*databases, (schema.url, "PostgreSQL")])
        else:
            run(args.pairs, args.messages, databases)


if __name__ == "__main__":
    main()
