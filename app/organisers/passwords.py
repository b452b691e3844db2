"""Organiser passwords: argon2 hashes, and a floor on how weak a new one may be."""

import secrets

from pwdlib import PasswordHash

MIN_LENGTH = 12
MIN_DISTINCT = 6

_hasher = PasswordHash.recommended()
# Verified against when the e-mail is unknown, so a failed sign-in takes as long
# whether or not the account exists.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class WeakPassword(ValueError):
    pass


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return _hasher.verify(password, password_hash)


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def check_strength(password: str, *, email: str) -> None:
    """Raise WeakPassword, saying what to change, unless the password is strong enough."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            f"The password has {len(password)} characters; use at least {MIN_LENGTH} "
            "(a few unrelated words make a good one)."
        )
    if len(set(password)) < MIN_DISTINCT:
        raise WeakPassword(
            f"The password repeats too few characters; use at least {MIN_DISTINCT} different ones."
        )
    local_part = email.split("@", 1)[0].casefold()
    if len(local_part) >= 4 and local_part in password.casefold():
        raise WeakPassword("The password contains the e-mail address; choose one that does not.")
