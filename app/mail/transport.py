"""Where messages go: an SMTP relay (aiosmtplib), or `.eml` files when none is set."""

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from app.config import Settings
from app.mail.headers import needs_smtputf8

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipient: str
    data: bytes
    subject: str
    name: str
    """Unique per message; names the `.eml` file."""


class DeliveryError(Exception):
    """The message was not accepted; `permanent` when trying again cannot help."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Transport(Protocol):
    async def send(self, envelope: Envelope) -> None: ...

    async def close(self) -> None: ...


def transport_for(settings: Settings) -> Transport:
    if settings.smtp_url:
        return SmtpTransport(settings.smtp_url)
    return FileTransport(settings.data_dir / "mail")


def delivery_error(exc: Exception) -> DeliveryError:
    """5xx answers are permanent; 4xx answers, timeouts and network errors are not."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refusals = exc.recipients
        reason = "; ".join(f"{r.code} {r.message}" for r in refusals)
        return DeliveryError(reason, permanent=all(r.code >= 500 for r in refusals))
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        # E.g. an internationalised address and a relay without SMTPUTF8.
        return DeliveryError(str(exc), permanent=True)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return DeliveryError(f"{exc.code} {exc.message}", permanent=exc.code >= 500)
    return DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False)


class SmtpTransport:
    """One connection, opened when first needed and reused until `close` or an error."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        implicit_tls = parts.scheme == "smtps"
        self._options = {
            "hostname": parts.hostname,
            "port": parts.port or (465 if implicit_tls else 25),
            "username": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
            "use_tls": implicit_tls,
            # None: STARTTLS when the server offers it.
            "start_tls": False if implicit_tls else None,
            "timeout": SMTP_TIMEOUT_SECONDS,
        }
        self._client: aiosmtplib.SMTP | None = None

    async def send(self, envelope: Envelope) -> None:
        try:
            if self._client is None:
                client = aiosmtplib.SMTP(**self._options)  # type: ignore[arg-type]
                await client.connect()
                self._client = client
            options = ["SMTPUTF8"] if needs_smtputf8(envelope.recipient) else []
            await self._client.sendmail(
                envelope.sender, [envelope.recipient], envelope.data, mail_options=options
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            # The dialogue may be left half-way: start the next message on a new connection.
            await self.close()
            raise delivery_error(exc) from exc

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            with suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()
            client.close()


class FileTransport:
    """Development without a relay: each message becomes a file to open in a mail client."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, envelope: Envelope) -> None:
        try:
            path = await asyncio.to_thread(self._write, envelope)
        except OSError as exc:
            raise DeliveryError(f"could not write the .eml file: {exc}", permanent=False) from exc
        log.info("mail to %s, %r: saved as %s", envelope.recipient, envelope.subject, path)

    def _write(self, envelope: Envelope) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{envelope.name}.eml"
        partial = path.with_suffix(".part")
        partial.write_bytes(envelope.data)
        partial.replace(path)  # whole files only, even if the worker dies while writing
        return path

    async def close(self) -> None:
        return None
