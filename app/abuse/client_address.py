"""The client's address, for rate limits: the peer's, or the proxies' word for it.

`X-Forwarded-For` is believed only as far as trusted proxies wrote it: reading
it from the right, each address that is a trusted proxy is skipped, and the
first one that is not is the client. A client cannot forge its way past that,
since whatever it wrote itself lies further left. With no trusted proxies (the
default), the header is ignored and the peer's address is the client's.
"""

import ipaddress
from collections.abc import Sequence

from starlette.requests import Request

from app.config import Network


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in proxies)


def client_address(peer: str, forwarded_for: list[str], proxies: Sequence[Network]) -> str:
    """The right-most address in (forwarded_for + [peer]) that is not a trusted proxy."""
    if not _trusted(peer, proxies):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _trusted(hop, proxies):
            return hop
    # Every hop is a proxy of ours: the left-most is as near the client as we know.
    return hops[0] if hops and hops[0] else peer


def request_address(request: Request, proxies: Sequence[Network]) -> str:
    peer = request.client.host if request.client else "unknown"
    return client_address(peer, request.headers.getlist("x-forwarded-for"), proxies)
