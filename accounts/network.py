"""The client's address for sign-in throttling (``AXES_CLIENT_IP_CALLABLE``).

``X-Forwarded-For`` is believed only behind proxies the settings name: with ``AXES_IPWARE_PROXY_COUNT``
set to N, the N-th address from the right of the header is the client (each proxy appends the address it
was called from, so everything further left may have been written by the client itself). Unset, the
header is ignored and the address the connection came from counts.
"""

from __future__ import annotations

from ipaddress import ip_address

from django.conf import settings


def _valid(address: str) -> str | None:
    try:
        return str(ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", None)
    if proxies:
        forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            address = _valid(forwarded[-proxies])
            if address:
                return address
    return _valid(remote) or remote or None
