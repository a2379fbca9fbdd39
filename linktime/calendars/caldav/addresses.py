"""Which addresses a CalDAV account may point at (no loopback, private or cloud metadata
address unless CALDAV_ALLOWED_NETWORKS allows it), and where its username and password may
follow a redirect (the same site, never from https to http)."""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


# Cloud metadata services outside the link-local range (AWS over IPv6, Alibaba, Azure's wire
# server), beside the link-local one every cloud has (169.254.169.254).
METADATA = tuple(ipaddress.ip_network(n) for n in ("fd00:ec2::254/128", "100.100.100.200/32", "168.63.129.16/32"))


def address_allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allowed: tuple[IPNetwork, ...] = ()) -> bool:
    """Whether a calendar server may be at this address (see CalDAVClient._check_address)."""
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved or any(ip in n for n in METADATA):
        return False
    return not allowed or any(ip.version == n.version and ip in n for n in allowed)


def site_of(host: str | None) -> str:
    """The registrable part of a host name, near enough: its last two labels, or three under a
    country's second level (example.co.uk)."""
    labels = (host or "").lower().rstrip(".").split(".")
    wide = len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3
    return ".".join(labels[-3:] if wide else labels[-2:])


def keeps_credentials(source: str, target: str) -> bool:
    """Whether a redirect may carry the username and password on: never from https to http, and
    otherwise only to the same origin or, over https, within the same site (as caldav.icloud.com
    sends to p42-caldav.icloud.com)."""
    before, after = urlsplit(source), urlsplit(target)
    if before.scheme == "https" and after.scheme != "https":
        return False
    if (before.scheme, before.hostname, before.port) == (after.scheme, after.hostname, after.port):
        return True
    return after.scheme == "https" and site_of(before.hostname) == site_of(after.hostname)
