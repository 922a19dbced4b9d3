"""Password hashing with argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password``, salt and parameters included."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches the hash (a malformed hash matches nothing)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with older parameters and should be replaced at next login."""
    return _hasher.check_needs_rehash(password_hash)


# Verifying against a real hash when the username is unknown keeps the response time the same,
# so timing does not tell an attacker which usernames exist.
DUMMY_HASH = _hasher.hash("not a password of anyone")
