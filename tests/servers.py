"""Start the real service in a child process for tests that need a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPASSIST_")}
    env.update(
        GPASSIST_DATABASE_URL=database_url,
        GPASSIST_INSTANCE_PATH=str(instance),
        GPASSIST_LOG_LEVEL="WARNING",
        **extra,
    )
    return env


@contextmanager
def running_server(
    args: list[str],
    env: dict[str, str],
    port: int,
    ready_path: str = "/healthz",
    cwd: Path = ROOT,
) -> Iterator[str]:
    """Run ``args`` in ``cwd`` until ``ready_path`` answers 200 (at most 60 s); yield its URL."""
    instance = Path(env["GPASSIST_INSTANCE_PATH"])
    instance.mkdir(parents=True, exist_ok=True)
    log = open(instance / f"server-{port}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(args, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}: {_tail(log.name)}")
            try:
                if requests.get(base + ready_path, timeout=10).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or busy starting
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready after 60 s: {_tail(log.name)}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _tail(path: str) -> str:
    return Path(path).read_text(errors="replace")[-2000:]
