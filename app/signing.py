"""The app's signing key: SECRET_KEY, or one generated once into DATA_DIR.

It signs the forms' tokens (`app.web.security`) and keys the QR ticket codes
(`app.tokens`), so a new key voids both, including tickets already handed out.
"""

import os
import secrets
from pathlib import Path

from app.config import Settings

SECRET_FILE = "secret_key"


def signing_key(settings: Settings) -> str:
    """SECRET_KEY, or a key generated once into DATA_DIR and reused across restarts."""
    if settings.secret_key:
        return settings.secret_key
    path: Path = settings.data_dir / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when several workers start at once, one writes and the others read.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
