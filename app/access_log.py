"""Uvicorn's access log, without the secret tokens in registrants' addresses.

A manage link (`/r/{token}`, `/api/registrations/{token}/...`) is a bearer
secret: whoever reads it can see, change and cancel that registration. The
access log keeps every request line, but with that path segment replaced by
`[token]`.
"""

import copy
import logging
import re
from typing import Any

from uvicorn.config import LOGGING_CONFIG

REDACTED = "[token]"
_TOKEN_IN_PATH = re.compile(r"^(/r/|/api/registrations/)[^/?#]+")


def redact(path: str) -> str:
    """The path (with its query) with a registrant's token, if any, replaced by `[token]`."""
    return _TOKEN_IN_PATH.sub(rf"\g<1>{REDACTED}", path)


class RedactTokens(logging.Filter):
    """For `uvicorn.access`, whose records carry (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """Uvicorn's default logging set-up, with the access log's tokens redacted."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": f"{__name__}.RedactTokens"}
    # On the logger, so every handler of the access log gets redacted lines.
    config["loggers"]["uvicorn.access"]["filters"] = ["redact_tokens"]
    return config
