"""IPv4 and IPv6 addresses, validated by the ``ipaddress`` module."""

from __future__ import annotations

import ipaddress
import re

from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.entities import IP_ADDRESS

IP_PRIORITY = 50

# Four dotted numbers, not part of a longer dotted run ("1.2.3.4.5") or a word ("v1.2.3.4").
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\w)")
# "version 1.2.3.4", "build 10.0.1.2": four-part version numbers, not hosts.
_VERSION_CONTEXT = re.compile(
    r"(?i)\b(?:version|ver\.?|release|build|firmware|update|upgrade[ds]?|v|section|chapter"
    r"|clause|figure|fig\.|table|step|rule|§)\s*(?:to\s+)?[:#]?\s*$"
)
_IPV6_CANDIDATE = re.compile(
    r"(?<![\w:.])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:]{2,39}(?:%[\w]+)?(?![\w:]|\.\d)"
)


def find_ips(text: str) -> list[Detection]:
    """IPv4 and IPv6 addresses; loopback, unspecified, netmasks and version strings are not."""
    found: list[Detection] = []
    if "." in text:
        for m in _IPV4.finditer(text):
            try:
                ip = ipaddress.IPv4Address(m.group())
            except ValueError:
                continue
            if ip.is_loopback or ip.is_unspecified or _is_netmask(int(ip)):
                continue
            if _VERSION_CONTEXT.search(text, max(0, m.start() - 20), m.start()):
                continue
            found.append(Detection(IP_ADDRESS, m.start(), m.end(), "ipv4", IP_PRIORITY))
    if ":" in text:
        for m in _IPV6_CANDIDATE.finditer(text):
            raw = m.group()
            address = raw.split("%", 1)[0]
            try:
                ip6 = ipaddress.IPv6Address(address)
            except ValueError:
                continue
            if ip6.is_loopback or ip6.is_unspecified:
                continue
            hex_digits = sum(ch != ":" for ch in address)
            # "10:30::" or "a::b" parse as IPv6 but are clock times or C++ scopes.
            if hex_digits < 5 or not any(ch.isdigit() for ch in address):
                continue
            found.append(Detection(IP_ADDRESS, m.start(), m.end(), "ipv6", IP_PRIORITY))
    return found


def _is_netmask(value: int) -> bool:
    # 255.255.255.0 and friends: ones then zeros, starting at the top bit.
    if value >> 24 != 255:
        return False
    inverted = ~value & 0xFFFFFFFF
    return inverted & (inverted + 1) == 0
