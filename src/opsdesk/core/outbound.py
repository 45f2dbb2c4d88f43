"""The SSRF guard: every outbound request the server makes goes through here.

Two steps, used by every sender (synthetic checks today; webhooks, chat and email relays later):

- `vet_url(url)` parses the URL, resolves its host with the system resolver and refuses it when
  the name is a local one (`localhost`, `*.localhost`, trailing dots included) or when ANY address
  it resolves to is not a public unicast address: loopback, private (RFC 1918, fc00::/7),
  link-local (169.254/16, fe80::/10), CGNAT (100.64/10), unspecified, multicast, broadcast,
  reserved and documentation ranges, and IPv6 forms that embed an IPv4 address (IPv4-mapped,
  -compatible, 6to4, Teredo, NAT64) when the embedded address is refused. Numeric tricks
  (`2130706433`, `0x7f000001`, `127.1`, `0177.0.0.1`) are what the resolver makes of them, so
  they are judged on the address they really mean. It answers a `VettedTarget` holding the
  addresses it checked, or raises `OutboundRefused` (a 422 `InvalidInput`) with the reason.
- `connection(target, timeout)` answers an `http.client` connection pinned to those addresses:
  it never resolves the name again (DNS rebinding between the check and the connection cannot
  send it elsewhere), sends the URL's host in the Host header and, for HTTPS, as SNI and as the
  name the certificate is verified against. Nothing here follows redirects or uses proxies.

Senders call `vet_url` when a URL is configured (`check_configured_url`: a name that does not
resolve yet is accepted there, it is judged at each connection) and again right before each
connection. `settings.OPSDESK_OUTBOUND_ALLOW` lists what an operator permits anyway, for
on-premises targets: CIDRs (`10.20.0.0/16`, `127.0.0.1/32`) permit the addresses inside them,
host names (`intranet.example`, `*.corp.example`) permit those names whatever they resolve to.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from .errors import InvalidInput

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
SockAddr = tuple[Any, ...]

SCHEMES = {"http": 80, "https": 443}
# Ranges refused beyond what `ipaddress` flags (is_private & co. already cover RFC 1918, loopback,
# link-local, unique-local, documentation, benchmarking and the reserved blocks).
EXTRA_REFUSED: tuple[tuple[Network, str], ...] = (
    (ipaddress.ip_network("100.64.0.0/10"), "a carrier-grade NAT (shared) address"),
    (ipaddress.ip_network("192.0.0.0/24"), "an IETF protocol assignment address"),
    (ipaddress.ip_network("198.18.0.0/15"), "a benchmarking address"),
    (ipaddress.ip_network("64:ff9b:1::/48"), "a local-use NAT64 address"),
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class OutboundRefused(InvalidInput):
    """An outbound URL the server will not connect to, and why."""

    title = "Outbound request refused"


class Unresolvable(OutboundRefused):
    """The URL's host does not resolve (now)."""


@dataclass(frozen=True, slots=True)
class VettedTarget:
    """A URL whose every resolved address was checked; connect only to `addresses`."""

    url: str
    scheme: str
    host: str  # as written in the URL, without brackets: the Host header, SNI and certificate name
    port: int
    target: str  # path and query, what goes on the request line
    addresses: tuple[tuple[int, SockAddr], ...]  # (family, sockaddr) from getaddrinfo, in its order
    allowed_by: str = ""  # the allow-list entry that permitted a refused name or address, if any


# --- judging addresses -------------------------------------------------------------------------


def refusal(address: Address) -> str:
    """Why an address may not be connected to ("" when it is a public unicast address)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            address = ipaddress.IPv6Address(address.compressed.split("%", 1)[0])
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = refusal(embedded)
            return f"{inner} (embedded in the IPv6 address {address})" if inner else ""
    for network, reason in EXTRA_REFUSED:
        if address.version == network.version and address in network:
            return reason
    checks = (
        ("is_unspecified", "the unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
    )
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    if isinstance(address, ipaddress.IPv4Address) and address == ipaddress.IPv4Address("255.255.255.255"):
        return "the broadcast address"
    if isinstance(address, ipaddress.IPv6Address) and address in ipaddress.ip_network("fc00::/7"):
        return "a unique-local address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return ""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    packed = int(address)
    if packed >> 32 == 0 and packed > 1:  # ::a.b.c.d, IPv4-compatible (deprecated); not :: or ::1
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    return None


# --- the allow-list ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AllowList:
    """What OPSDESK_OUTBOUND_ALLOW permits: networks, exact host names and `*.` name suffixes."""

    networks: tuple[tuple[Network, str], ...]
    names: frozenset[str]
    suffixes: tuple[str, ...]

    def name_entry(self, host: str) -> str:
        name = host.lower().rstrip(".")
        if name in self.names:
            return name
        for suffix in self.suffixes:
            if name.endswith("." + suffix):
                return f"*.{suffix}"
        return ""

    def network_entry(self, address: Address) -> str:
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            address = ipaddress.IPv6Address(address.compressed.split("%", 1)[0])
        for network, entry in self.networks:
            if address.version == network.version and address in network:
                return entry
        return ""


@lru_cache(maxsize=8)
def _parse_allow(entries: tuple[str, ...]) -> AllowList:
    networks: list[tuple[Network, str]] = []
    names: set[str] = set()
    suffixes: list[str] = []
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        try:
            networks.append((ipaddress.ip_network(entry.strip("[]"), strict=False), entry))
            continue
        except ValueError:
            pass
        name = entry.lower().rstrip(".")
        if name.startswith("*."):
            suffixes.append(name[2:])
        else:
            names.add(name)
    return AllowList(tuple(networks), frozenset(names), tuple(suffixes))


def allow_list() -> AllowList:
    """The allow-list from settings (OPSDESK_OUTBOUND_ALLOW), parsed once per value."""
    return _parse_allow(tuple(getattr(settings, "OPSDESK_OUTBOUND_ALLOW", ()) or ()))


# --- vetting URLs ------------------------------------------------------------------------------


def _getaddrinfo(host: str, port: int) -> list[tuple[Any, ...]]:
    # A module-level seam: the DNS-rebinding test answers differently at vetting and connection.
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)


def _split(url: str) -> tuple[str, str, int, str]:
    """scheme, host, port and request target of an http(s) URL, or OutboundRefused."""
    if not isinstance(url, str) or any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise OutboundRefused("not a URL: it has spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(f"not a URL the server can fetch: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise OutboundRefused("only http:// and https:// URLs can be fetched")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("credentials in the URL are not accepted")
    host = (parts.hostname or "").replace("%25", "%", 1)  # an IPv6 zone: [fe80::1%25eth0]
    if not host:
        raise OutboundRefused("the URL has no host")
    if port == 0:
        raise OutboundRefused("the port must be from 1 to 65535")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or SCHEMES[scheme], target


def _resolve(host: str, port: int) -> tuple[tuple[int, SockAddr], ...]:
    # The resolver reads a trailing dot as "this name, fully qualified"; so does the guard.
    name = host[:-1] if host.endswith(".") and not host.endswith("..") else host
    try:
        answers = _getaddrinfo(name, port)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolvable(f"the host {host} does not resolve ({exc})") from None
    seen: dict[tuple[int, SockAddr], None] = {}
    for family, _type, _proto, _canon, sockaddr in answers:
        if family in (socket.AF_INET, socket.AF_INET6):
            seen.setdefault((family, tuple(sockaddr)), None)
    if not seen:
        raise Unresolvable(f"the host {host} has no IPv4 or IPv6 address")
    return tuple(seen)


def _address(family: int, sockaddr: SockAddr) -> Address:
    address = ipaddress.ip_address(sockaddr[0])
    if family == socket.AF_INET6 and len(sockaddr) >= 4 and sockaddr[3]:
        return ipaddress.IPv6Address(f"{address}%{sockaddr[3]}")
    return address


def vet_url(url: str) -> VettedTarget:
    """The URL with the addresses it may be fetched from, or OutboundRefused saying why not."""
    scheme, host, port, target = _split(url)
    allowed = allow_list()
    by_name = allowed.name_entry(host)
    name = host.lower().rstrip(".")
    if not by_name and (name in LOCAL_NAMES or name.endswith(".localhost")):
        raise OutboundRefused(f"the host {host} is this machine (a local name); an operator can "
                              "permit the name in OPSDESK_OUTBOUND_ALLOW")
    addresses = _resolve(host, port)
    entries = {by_name} if by_name else set()
    if not by_name:
        for family, sockaddr in addresses:
            address = _address(family, sockaddr)
            reason = refusal(address)
            if not reason:
                continue
            entry = allowed.network_entry(address)
            if not entry:
                shown = f"{host} resolves to {address}" if _is_name(host) else f"{address}"
                raise OutboundRefused(f"{shown}: {reason}; outbound requests go to public addresses only "
                                      "(an operator can permit it in OPSDESK_OUTBOUND_ALLOW)")
            entries.add(entry)
    return VettedTarget(url=url, scheme=scheme, host=host, port=port, target=target, addresses=addresses,
                        allowed_by=", ".join(sorted(entries)))


def _is_name(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return True
    return False


def check_configured_url(url: str) -> str:
    """The URL if it may be configured: refused forms raise; a name not resolving now passes
    (it is judged again, resolved, at every connection)."""
    with contextlib.suppress(Unresolvable):
        vet_url(url)
    return url


# --- connecting ----------------------------------------------------------------------------------


def _connect(addresses: Iterable[tuple[int, SockAddr]], timeout: float | None,
             source: tuple[str, int] | None = None) -> socket.socket:
    """A TCP connection to the first of the vetted addresses that answers."""
    error: OSError | None = None
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.settimeout(timeout)
            if source:
                sock.bind(source)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError("no address to connect to")


def _pinned(target: VettedTarget) -> Any:
    """A stand-in for socket.create_connection that ignores the (host, port) http.client passes:
    the name is not resolved again, only the vetted addresses are tried."""

    def create(_address: Any, timeout: Any = None, source_address: Any = None) -> socket.socket:
        return _connect(target.addresses, timeout if isinstance(timeout, int | float) else None, source_address)

    return create


def connection(target: VettedTarget, timeout: float, *,
               context: ssl.SSLContext | None = None) -> http.client.HTTPConnection:
    """An http.client connection to the target, connecting only to its vetted addresses.

    HTTPS verifies the certificate against the URL's host (`ssl.create_default_context()` unless
    a context is given). Redirects are never followed: a 3xx is just a response."""
    conn: http.client.HTTPConnection
    if target.scheme == "https":
        conn = http.client.HTTPSConnection(target.host, target.port, timeout=timeout,
                                           context=context or ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    # http.client connects through this attribute (set in its __init__); HTTPS then wraps the
    # socket with server_hostname=target.host, so SNI and certificate checks use the URL's name.
    conn._create_connection = _pinned(target)  # type: ignore[attr-defined]
    return conn
