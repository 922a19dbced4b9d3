"""A per-client-address limit on login attempts, on top of the per-account lockout.

The lockout (``service.login``) stops guessing one account's password; this stops one address
from trying many accounts. Every attempt counts, right or wrong, on ``POST /api/v1/auth/token``
and the login page together: at most ``LOGIN_RATE_LIMIT`` per ``LOGIN_RATE_WINDOW_SECONDS``
(a fixed window) per client IP. Counts live in memory, or in Redis when ``RATE_LIMIT_STORAGE``
(default: ``SOCKETIO_QUEUE``) names one, so several server processes share them. If that Redis
is down the limit is skipped with a warning: logins go on, the account lockout still holds.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app
from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger("gpassist.auth")

_EXTENSION = "gpassist.login_rate_limit"
_NAMESPACE = "gpassist-login"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_seconds: int = 0


class LoginRateLimit:
    """Counts login attempts per client address in fixed windows."""

    def __init__(self, storage_uri: str) -> None:
        self.storage = storage_from_string(storage_uri, wrap_exceptions=True)
        self.limiter = FixedWindowRateLimiter(self.storage)

    def hit(self, client: str, attempts: int, window_seconds: int) -> Verdict:
        """Count one attempt from ``client``; refused once the window's attempts are used."""
        item = RateLimitItemPerSecond(attempts, window_seconds)
        try:
            if self.limiter.hit(item, _NAMESPACE, client):
                return Verdict(True)
            reset_at, _remaining = self.limiter.get_window_stats(item, _NAMESPACE, client)
        except StorageError as exc:
            log.warning("login rate limit skipped, its storage failed: %s", type(exc).__name__)
            return Verdict(True)
        return Verdict(False, max(1, math.ceil(reset_at - time.time())))

    def reset(self) -> None:
        """Forget every count (tests sharing one app reset it between tests)."""
        self.storage.reset()


def init_login_rate_limit(app: Flask) -> LoginRateLimit:
    """Create the app's limiter on the storage its settings name."""
    config = app.config
    storage = config["RATE_LIMIT_STORAGE"] or config["SOCKETIO_QUEUE"] or "memory://"
    app.extensions[_EXTENSION] = limit = LoginRateLimit(storage)
    return limit


def login_rate_limit(app: Flask | None = None) -> LoginRateLimit:
    """The limiter of ``app`` (default: the current app); ``.reset()`` clears its counts."""
    return (app or current_app).extensions[_EXTENSION]


def count_login_attempt(client: str) -> Verdict:
    """Count a login attempt from ``client`` against the current app's settings."""
    config = current_app.config
    return login_rate_limit().hit(
        client, int(config["LOGIN_RATE_LIMIT"]), int(config["LOGIN_RATE_WINDOW_SECONDS"])
    )
