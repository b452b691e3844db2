"""Secrets: random tokens stored only as digests, and the app's signing key.

Tokens (manage links, organisers' bearer tokens) are handed out in clear and
stored only as SHA-256 digests.

The signing key is SECRET_KEY, or one generated once into DATA_DIR. It signs the
forms' tokens (`app.web.security`) and keys the QR ticket codes
(`app.tickets.code`), so a new key voids both, including tickets already handed out.
"""

import hashlib
import os
import secrets
import tempfile
from contextlib import suppress
from pathlib import Path

from app.config import Settings

SECRET_FILE = "secret_key"
TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> bytes:
    # surrogatepass: any text a client sends has a digest (and matches nothing).
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def signing_key(settings: Settings) -> str:
    """SECRET_KEY, or a key generated once into DATA_DIR and reused across restarts.

    When several processes start at once, each may generate a key, but only one
    is installed: written whole to a temporary file, then hard-linked into place,
    which fails when the name exists already. So no process ever reads a partly
    written key, and all of them use the one installed.
    """
    if settings.secret_key:
        return settings.secret_key
    path: Path = settings.data_dir / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _install_new_key(path)
    return _read_key(path)


def _install_new_key(path: Path) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{SECRET_FILE}.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48))
            file.flush()
            os.fsync(file.fileno())
        with suppress(FileExistsError):  # another process installed its key first
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def _read_key(path: Path) -> str:
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(
            f"The signing key file {path} is empty. Delete it to have a new key "
            "generated (open forms will need reloading), or set SECRET_KEY."
        )
    return key
