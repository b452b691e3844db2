"""Registrants' addresses as SMTP wants them: internationalised ones included."""

from contextlib import suppress


def ascii_domain(email: str) -> str:
    """The address with its domain in IDNA form (`bücher.example` -> `xn--bcher-kva.example`).

    The local part stays as it is: when it is not ASCII, only a relay that
    supports SMTPUTF8 can take it (`needs_smtputf8`).
    """
    local, _, domain = email.rpartition("@")
    with suppress(UnicodeError):  # not IDNA-encodable: left for the relay to judge
        domain = domain.encode("idna").decode("ascii")
    return f"{local}@{domain}"


def needs_smtputf8(address: str) -> bool:
    return not address.isascii()
