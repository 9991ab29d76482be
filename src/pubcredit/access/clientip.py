"""The client's address, for throttling and rate limits.

Behind a reverse proxy every request comes from the proxy's address, so the real client is read
from ``X-Forwarded-For`` — but only the entries added by proxies we run: ``PUBCREDIT_TRUSTED_PROXIES``
is their number (0, the default, ignores the header, which a client can write freely).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address of the client as seen by the outermost trusted proxy (or directly)."""
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    trusted = int(getattr(settings, "PUBCREDIT_TRUSTED_PROXIES", 0) or 0)
    if trusted > 0:
        forwarded = [p.strip() for p in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if p.strip()]
        if forwarded:
            # Each trusted proxy appends the address it received from; the n-th from the right
            # was written by our outermost proxy. Anything left of it may be forged.
            candidate = forwarded[-trusted] if len(forwarded) >= trusted else forwarded[0]
            if _valid(candidate):
                return candidate
    return remote if _valid(remote) else "unknown"


def client_key(request: HttpRequest) -> str:
    """The key a client is counted under: its IPv4 address, or its IPv6 /64 network.

    One IPv6 subscriber usually holds a whole /64, so counting single addresses would let one
    client spread its requests over 2^64 of them.
    """
    ip = client_ip(request)
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _valid(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
