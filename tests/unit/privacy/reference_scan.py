"""The privacy scan as it was before the single candidate pass: the reference of
test_single_pass.py.

Frozen copy of the scanning layer of scanner.detect and of the detectors that now start
from the candidate pass: each looked for its own anchors (ten ``str.count`` calls for
the digits, ``in`` checks, one ``str.find`` loop per keyword, a regex scan of the whole
text per detector). The validators (patterns matched at an anchor, checksums, context
rules) did not change and are imported; only how the anchors are found is frozen here.
Not used by the service.
"""

from __future__ import annotations

import ipaddress
import re

from convoscope_analyzer.privacy.casefold import lower_same_length
from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.detectors import address, contact, financial, names, network
from convoscope_analyzer.privacy.detectors import secrets as secrets_mod
from convoscope_analyzer.privacy.detectors import spoken_secrets as spoken
from convoscope_analyzer.privacy.detectors.contact import find_phones
from convoscope_analyzer.privacy.detectors.financial import find_cards, find_ssns
from convoscope_analyzer.privacy.detectors.script_addresses import find_script_addresses
from convoscope_analyzer.privacy.detectors.script_names import find_script_names
from convoscope_analyzer.privacy.detectors.secrets import (
    SECRET_KEYWORDS,
    find_high_entropy_tokens,
    find_jwts,
    find_known_keys,
    find_private_keys,
    has_long_token,
)
from convoscope_analyzer.privacy.detectors.url_secrets import find_url_secrets
from convoscope_analyzer.privacy.entities import EMAIL, IBAN, IP_ADDRESS, SECRET, STREET_ADDRESS
from convoscope_analyzer.privacy.scanner import resolve_overlaps, scripts_in

_DIGITS = "0123456789"
_DIGIT_RUN_7 = re.compile(r"[0-9][0-9 \-.()]{5,}[0-9]")


def detect(text: str, *, region: str = "US", detect_names: bool = True) -> list[Detection]:
    """scanner.detect before the candidate pass."""
    if not text:
        return []
    found: list[Detection] = []
    lowered = lower_same_length(text)
    if "@" in text:
        found += find_emails(text)
    if "-----BEGIN" in text:
        found += find_private_keys(text)
    if "eyJ" in text:
        found += find_jwts(text)
    long_token = has_long_token(text)
    if long_token:
        found += find_known_keys(text)
    if "://" in lowered or any(k in lowered for k in SECRET_KEYWORDS):
        found += find_config_secrets(text, lowered)
    if "://" in text or "hooks." in text or "webhook" in lowered or "discord" in lowered:
        found += find_url_secrets(text)
    if any(cue in lowered for cue in ("pass", "pw", "login", "cred", "mysql", "mariadb")):
        found += find_spoken_passwords(text, lowered)
    digits = sum(map(text.count, _DIGITS))
    if digits:
        if digits >= 7 and _DIGIT_RUN_7.search(text):
            found += find_cards(text)
            found += find_phones(text, region)
            found += find_ssns(text)
        if digits >= 6:
            found += find_ibans(text)
        if digits >= 2:
            found += find_ips(text)
        found += find_addresses(text)
        if long_token and digits >= 2:
            found += find_high_entropy_tokens(text)
    if detect_names:
        found += find_names(text, lowered)
    if not text.isascii():
        scripts = scripts_in(text)
        if scripts:
            if digits:
                found += find_script_addresses(text, scripts)
            if detect_names:
                found += find_script_names(text, scripts)
    if len(found) > 1:
        return resolve_overlaps(found)
    return found


def find_emails(text: str) -> list[Detection]:
    found: list[Detection] = []
    at = text.find("@")
    while at >= 0:
        start = at
        while start > 0 and at - start < 64 and text[start - 1] in contact._LOCAL_CHARS:
            start -= 1
        while start < at and text[start] in contact._LOCAL_EDGE_BAD:
            start += 1
        domain = contact._DOMAIN.match(text, at + 1)
        if start < at and text[at - 1] != "." and domain is not None:
            end = contact._mailbox_end(text, start, at, domain)
            if end is not None:
                found.append(Detection(EMAIL, start, end, "email", contact.EMAIL_PRIORITY))
        at = text.find("@", at + 1)
    return found


def find_config_secrets(text: str, lowered: str) -> list[Detection]:
    found: list[Detection] = []
    seen_keys: set[int] = set()
    for keyword in SECRET_KEYWORDS:
        hit = lowered.find(keyword)
        while hit >= 0:
            detection = secrets_mod._config_value_at(text, hit, keyword, seen_keys)
            if detection is not None:
                found.append(detection)
            hit = lowered.find(keyword, hit + len(keyword))
    if "://" in text:
        sep = text.find("://")
        while sep >= 0:
            m = secrets_mod._URL_CREDENTIAL.match(text, sep + 3)
            if m is not None and secrets_mod.is_real_value(m.group(1)):
                found.append(
                    Detection(
                        SECRET,
                        m.start(1),
                        m.end(1),
                        "url_password",
                        secrets_mod.URL_CREDENTIAL_PRIORITY,
                    )
                )
            sep = text.find("://", sep + 3)
    return found


def _hits(lowered: str, word: str) -> list[int]:
    hits: list[int] = []
    at = lowered.find(word)
    while at >= 0:
        hits.append(at)
        at = lowered.find(word, at + len(word))
    return hits


def find_spoken_passwords(text: str, lowered: str) -> list[Detection]:
    found: list[Detection] = []
    for pattern, words in spoken._STARTS:
        kind = "cli_password" if pattern is spoken._CLI_PASSWORD else "prose_password"
        starts = sorted({hit for word in words for hit in _hits(lowered, word)})
        for hit in starts:
            m = pattern.match(text, hit)
            if m is None:
                continue
            group = next(g for g in range(1, (m.lastindex or 1) + 1) if m.group(g) is not None)
            start, end = m.span(group)
            while end > start and text[end - 1] in spoken._TRAILING_PUNCTUATION:
                end -= 1
            if spoken._password_like(text[start:end]):
                found.append(Detection(SECRET, start, end, kind, spoken.PROSE_PASSWORD_PRIORITY))
    return found


# The line cues as they were: a literal newline first, searched in "\n" + text.
_LINE_CUES = re.compile("\n" + names._LINE_CUE.pattern)


def find_names(text: str, lowered: str) -> list[Detection]:
    found: list[Detection] = []
    for m in _LINE_CUES.finditer("\n" + text):
        group = next(g for g in (1, 2, 3) if m.group(g) is not None)
        names._add(found, m.group(group), m.start(group) - 1)
    for cue in names._INTRO_CUES:
        hit = lowered.find(cue)
        while hit >= 0:
            intro = names._INTRO_NAME.match(text, hit + len(cue))
            if intro is not None:
                names._add(found, intro.group(), intro.start())
            hit = lowered.find(cue, hit + len(cue))
    return found


def find_addresses(text: str) -> list[Detection]:
    found: list[Detection] = []
    for m in address._ADDRESS.finditer(text):
        words = m.group().split()
        if len(words) > 1 and words[1] in address._NOT_STREET_WORDS:
            continue
        found.append(
            Detection(STREET_ADDRESS, m.start(), m.end(), "street", address.ADDRESS_PRIORITY)
        )
    return found


def find_ibans(text: str) -> list[Detection]:
    found: list[Detection] = []
    for m in financial._IBAN.finditer(text):
        start = m.start() - 2
        raw = text[start : m.end()]
        compact = raw.replace(" ", "").upper()
        end = m.end()
        if not financial.iban_valid(compact):
            expected = financial.IBAN_LENGTHS.get(compact[:2])
            if expected is None or len(compact) <= expected:
                continue
            trimmed = financial._trim_to(raw, expected)
            if trimmed is None or not financial.iban_valid(trimmed.replace(" ", "").upper()):
                continue
            end = start + len(trimmed)
        found.append(Detection(IBAN, start, end, "iban", financial.IBAN_PRIORITY))
    return found


def _ipv6_candidates(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    n = len(text)
    hex_or_colon = network._HEX_OR_COLON
    colon = text.find(":")
    while colon >= 0:
        start = colon
        while start > 0 and text[start - 1] in hex_or_colon and colon - start < 40:
            start -= 1
        end = colon + 1
        while end < n and text[end] in hex_or_colon and end - start < 40:
            end += 1
        if text.count(":", start, end) >= 2:
            before_ok = start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "_.")
            stop = end
            if stop < n and text[stop] == "%":
                stop += 1
                while stop < n and text[stop] in network._ZONE_CHARS:
                    stop += 1
            after_ok = stop >= n or (
                not (text[stop].isalnum() or text[stop] == "_")
                and not (text[stop] == "." and stop + 1 < n and text[stop + 1].isdigit())
            )
            if before_ok and after_ok:
                spans.append((start, stop))
        colon = text.find(":", max(end, colon + 1))
    return spans


def find_ips(text: str) -> list[Detection]:
    found: list[Detection] = []
    if "." in text:
        for m in network._IPV4_TAIL.finditer(text):
            start = m.start()
            while start > 0 and text[start - 1].isdigit() and m.start() - start < 3:
                start -= 1
            if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_."):
                continue
            try:
                ip = ipaddress.IPv4Address(text[start : m.end()])
            except ValueError:
                continue
            if ip.is_loopback or ip.is_unspecified or network._is_netmask(int(ip)):
                continue
            if network._VERSION_CONTEXT.search(text, max(0, start - 40), start):
                continue
            found.append(Detection(IP_ADDRESS, start, m.end(), "ipv4", network.IP_PRIORITY))
    if ":" in text:
        for start, end in _ipv6_candidates(text):
            value = text[start:end].split("%", 1)[0]
            if value.endswith(":") and not value.endswith("::"):
                value = value[:-1]
                end = start + len(value)
            try:
                ip6 = ipaddress.IPv6Address(value)
            except ValueError:
                continue
            if ip6.is_loopback or ip6.is_unspecified:
                continue
            hex_digits = sum(ch != ":" for ch in value)
            if hex_digits < 5 or not any(ch.isdigit() for ch in value):
                continue
            if all(len(g) <= 2 and g.isdigit() for g in value.split(":") if g):
                continue
            found.append(Detection(IP_ADDRESS, start, end, "ipv6", network.IP_PRIORITY))
    return found
