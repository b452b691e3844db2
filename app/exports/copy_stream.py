"""Streaming a `COPY ... TO STDOUT (FORMAT csv)` out of PostgreSQL as CRLF lines."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

# Chunks waiting for the reader; when full, asyncpg stops reading from the socket, so
# PostgreSQL waits too and memory stays flat.
_QUEUED_CHUNKS = 4


async def copy_out(driver: Any, query: str) -> AsyncIterator[bytes]:
    """The CSV (with its header row) of `query`, run by the asyncpg connection `driver`
    in its current transaction, chunk by chunk as PostgreSQL sends it."""
    queue: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue(_QUEUED_CHUNKS)

    async def copy() -> None:
        try:
            await driver.copy_from_query(query, output=queue.put, format="csv", header=True)
        except asyncio.CancelledError:
            raise  # the reader has gone: nobody to tell
        except Exception as exc:
            await queue.put(exc)
            return
        await queue.put(None)

    task = asyncio.create_task(copy())
    try:
        while (item := await queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        # A reader that stops early (a dropped download) cancels the copy; asyncpg then
        # asks PostgreSQL to stop it.
        task.cancel()
        await asyncio.wait({task})


async def crlf_rows(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """`chunks` of CSV with each row's LF turned into CRLF (RFC 4180, Excel): a line
    break inside a quoted value stays as it is. Quotes alternate between opening and
    closing a value (a doubled quote inside one counts twice), so counting them says
    where each piece between them is."""
    inside = False
    async for chunk in chunks:
        pieces = chunk.split(b'"')
        first_outside = 1 if inside else 0
        pieces[first_outside::2] = [p.replace(b"\n", b"\r\n") for p in pieces[first_outside::2]]
        inside ^= len(pieces) % 2 == 0
        yield b'"'.join(pieces)
