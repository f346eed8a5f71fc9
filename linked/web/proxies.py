"""Which address a request came from: the peer, or what a trusted proxy says it forwarded.

``X-Forwarded-For`` is believed only when the peer is one of ``trusted_proxies``;
then the address is the rightmost one in the header that is not itself a trusted
proxy (addresses further left are whatever the client chose to send). Without
trusted proxies (the default) the header is ignored, so nobody can choose the
address their rate limit is counted against or that the consent log records.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: What ``linked serve --proxy-headers`` trusts besides ``trusted_proxies``: a proxy on this host.
LOOPBACK = ("127.0.0.1", "::1")


@functools.lru_cache(maxsize=32)
def networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    """The trusted addresses and networks (``10.0.0.0/8``); raises ValueError on a bad one."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in trusted)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_trusted(address: str | None, trusted: Sequence[str]) -> bool:
    """Whether ``address`` is one of the trusted proxies."""
    found = _address(address) if address else None
    return found is not None and any(found in net for net in networks(tuple(trusted)))


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[str]
) -> str | None:
    """The client's address for a request from ``peer`` with this ``X-Forwarded-For``."""
    if not forwarded_for or not trusted or not is_trusted(peer, trusted):
        return peer
    found = None
    for hop in reversed(forwarded_for.split(",")):
        found = _address(hop)
        if found is None:
            return peer  # a malformed header: believe only what we saw
        if not is_trusted(str(found), trusted):
            return str(found)
    return str(found) if found is not None else peer  # proxies all the way: the first one
