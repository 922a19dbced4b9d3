"""Password hashing: argon2id, never the password itself."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gpassist.auth.passwords import hash_password, verify_password


@settings(max_examples=8)
@given(password=st.text(min_size=1, max_size=40), other=st.text(min_size=1, max_size=40))
def test_hash_verifies_only_its_own_password(password, other):
    hashed = hash_password(password)
    assert hashed.startswith("$argon2id$")
    if len(password) >= 8:
        assert password not in hashed
    assert verify_password(hashed, password)
    if other != password:
        assert not verify_password(hashed, other)


def test_garbage_hash_is_a_mismatch_not_a_crash():
    assert not verify_password("not-a-hash", "anything")
