"""The client's IP address: the one function throttles, the login lockout, ``/metrics`` and the audit
log use, so they all agree on who the client is.

``X-Forwarded-For`` is believed only as far as it was written by a proxy we trust: starting from the
direct peer (``REMOTE_ADDR``), while the current address is in ``TRUSTED_PROXIES``
(``DJANGO_TRUSTED_PROXIES``, CIDRs) and at most ``NUM_PROXIES`` hops have been taken, the next
address from the right of ``X-Forwarded-For`` becomes the client. A request that reaches the app
without passing a trusted proxy (a direct hit on the pod, a forged header) is keyed on its real peer
address, whatever it claims; so rotating ``X-Forwarded-For`` changes nothing for it. Entries that are
not IP addresses stop the walk (the last trusted hop is then the client).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: What ``DJANGO_TRUSTED_PROXIES`` defaults to when ``DJANGO_NUM_PROXIES`` > 0: loopback and the
#: private ranges a load balancer or ingress sits in.
DEFAULT_TRUSTED_PROXIES = (
    "127.0.0.0/8",
    "::1/128",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
)


@lru_cache(maxsize=16)
def parse_networks(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """CIDR strings → networks (a bare address is a /32 or /128). Raises ``ValueError`` on garbage,
    which settings turn into a start-up error."""
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


def parse_ip(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from a header entry: ``1.2.3.4``, ``1.2.3.4:5678``, ``[::1]:80`` or ``::1``."""
    if not value:
        return None
    value = value.strip()
    if value.startswith("["):  # [v6]:port
        value = value[1 : value.find("]")] if "]" in value else value
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def in_networks(address: str | None, networks: tuple[IPNetwork, ...]) -> bool:
    ip = parse_ip(address)
    return ip is not None and any(ip in network for network in networks)


def trusted_proxies() -> tuple[IPNetwork, ...]:
    return parse_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def client_ip(request: HttpRequest) -> str | None:
    """The client's address (see the module docstring); ``REMOTE_ADDR`` when nothing is trusted."""
    return client_address(request.META.get("REMOTE_ADDR"), request.META.get("HTTP_X_FORWARDED_FOR", ""))


def client_address(remote: str | None, forwarded_header: str) -> str | None:
    """:func:`client_ip` from the direct peer and the ``X-Forwarded-For`` header, for callers that
    have no Django request (a WebSocket handshake's ASGI scope)."""
    hops = int(getattr(settings, "NUM_PROXIES", 0) or 0)
    if not hops or not forwarded_header:
        return remote
    networks = trusted_proxies()
    forwarded = [entry.strip() for entry in forwarded_header.split(",") if entry.strip()]
    current = remote
    while hops and forwarded and in_networks(current, networks):
        candidate = parse_ip(forwarded.pop())
        if candidate is None:
            break
        current = str(candidate)
        hops -= 1
    return current
