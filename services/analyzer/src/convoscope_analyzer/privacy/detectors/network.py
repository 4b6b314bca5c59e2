"""IPv4 and IPv6 addresses, validated by the ``ipaddress`` module."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence

from convoscope_analyzer.privacy.candidates import Candidates, find_candidates
from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.entities import IP_ADDRESS

IP_PRIORITY = 50

# Four dotted numbers, not part of a longer dotted run ("1.2.3.4.5") or a word ("v1.2.3.4").
# Anchored on the first ".<digit>" (rare in prose, so the engine skips fast); the first
# octet is read backwards in Python.
_IPV4_TAIL = re.compile(r"\.(?<=[0-9]\.)[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?![\w]|\.\w)")
# "version 1.2.3.4", "the build number is 10.0.1.2": a version word shortly before, on the
# same line and in the same sentence, makes four dotted numbers a version, not a host;
# "section 1.2.3.4" or "v1.2.3.4" only right before. "version" may end an identifier
# (AssemblyVersion("2.1.0.17"), fileVersion=).
_VERSION_CONTEXT = re.compile(
    r"(?i)(?:(?:version|\b(?:ver|release|build|firmware|hotfix|upgraded?\s+to))\b[^\n.;!?]{0,20}"
    r"|\b(?:v|section|chapter|clause|figure|fig\.|table|step|§)\s*[:#]?\s*)$"
)
_HEX_OR_COLON = frozenset("0123456789abcdefABCDEF:")
_ZONE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _ipv6_candidates(text: str, colons: Sequence[int]) -> list[tuple[int, int]]:
    """Spans of hex-and-colon runs holding at least two colons (found from the colons)."""
    spans: list[tuple[int, int]] = []
    n = len(text)
    resume = 0  # colons inside the last run were looked at with it
    for colon in colons:
        if colon < resume:
            continue
        start = colon
        while start > 0 and text[start - 1] in _HEX_OR_COLON and colon - start < 40:
            start -= 1
        end = colon + 1
        while end < n and text[end] in _HEX_OR_COLON and end - start < 40:
            end += 1
        if text.count(":", start, end) >= 2:
            # Word characters or a dot right around the run: part of something else.
            before_ok = start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "_.")
            stop = end
            if stop < n and text[stop] == "%":  # zone index, "fe80::1%eth0"
                stop += 1
                while stop < n and text[stop] in _ZONE_CHARS:
                    stop += 1
            after_ok = stop >= n or (
                not (text[stop].isalnum() or text[stop] == "_")
                and not (text[stop] == "." and stop + 1 < n and text[stop + 1].isdigit())
            )
            if before_ok and after_ok:
                spans.append((start, stop))
        resume = max(end, colon + 1)
    return spans


def find_ips(text: str, candidates: Candidates | None = None) -> list[Detection]:
    """IPv4 and IPv6 addresses; loopback, unspecified, netmasks and version strings are not.

    IPv4 addresses are looked for where a digit run of ``candidates`` is followed by a
    dot, IPv6 addresses around its colons (``candidates`` are found here when not given).
    """
    if candidates is None:
        candidates = find_candidates(text)
    found: list[Detection] = []
    if candidates.runs:
        for m in _ipv4_tails(text, candidates.runs):
            start = m.start()
            while start > 0 and text[start - 1].isdigit() and m.start() - start < 3:
                start -= 1
            if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_."):
                continue  # "v1.2.3.4", "1.2.3.4.5", or a first octet of 4+ digits
            try:
                ip = ipaddress.IPv4Address(text[start : m.end()])
            except ValueError:
                continue
            if ip.is_loopback or ip.is_unspecified or _is_netmask(int(ip)):
                continue
            if _VERSION_CONTEXT.search(text, max(0, start - 40), start):
                continue
            found.append(Detection(IP_ADDRESS, start, m.end(), "ipv4", IP_PRIORITY))
    if candidates.colons:
        for start, end in _ipv6_candidates(text, candidates.colons):
            address = text[start:end].split("%", 1)[0]
            if address.endswith(":") and not address.endswith("::"):
                # "... at fe80::1: connection refused": the colon ends the sentence part.
                address = address[:-1]
                end = start + len(address)
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
            # "10:30::15", "16:9:4": clock times and ratios, every group a small decimal.
            if all(len(g) <= 2 and g.isdigit() for g in address.split(":") if g):
                continue
            found.append(Detection(IP_ADDRESS, start, end, "ipv6", IP_PRIORITY))
    return found


def _ipv4_tails(text: str, runs: Sequence[tuple[int, int]]) -> Iterator[re.Match[str]]:
    """What ``_IPV4_TAIL.finditer(text)`` yields: the tail starts at a dot right after a
    digit run, so only those dots are tried."""
    resume = 0
    for _, end in runs:
        if end >= resume and text.startswith(".", end):
            m = _IPV4_TAIL.match(text, end)
            if m is not None:
                resume = m.end()
                yield m


def _is_netmask(value: int) -> bool:
    # 255.255.255.0 and friends: ones then zeros, starting at the top bit.
    if value >> 24 != 255:
        return False
    inverted = ~value & 0xFFFFFFFF
    return inverted & (inverted + 1) == 0
