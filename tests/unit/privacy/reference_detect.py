"""The privacy scan as it was before its gates were tightened: the reference of
test_detect_gates.py and of bench/bench_privacy_scan.py.

Frozen copy of ``scanner.detect`` and of the parts of the detectors that changed with it
(issue #12, one pass for all detectors, then validators, at less CPU): the gates were
``Candidates.has`` calls, config and spoken secrets asked ``hits_of`` for every word of
their lists, names made a tuple of every newline, and a URL's end was found by a loop
over its characters in Python. The candidate pass, the patterns and the validators did
not change and are imported. Not used by the service.
"""

from __future__ import annotations

import re

from convoscope_analyzer.privacy.candidates import Candidates, find_candidates
from convoscope_analyzer.privacy.casefold import lower_same_length
from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.detectors import names as names_mod
from convoscope_analyzer.privacy.detectors import secrets as secrets_mod
from convoscope_analyzer.privacy.detectors import spoken_secrets as spoken_mod
from convoscope_analyzer.privacy.detectors import url_secrets as url_mod
from convoscope_analyzer.privacy.detectors.address import find_addresses
from convoscope_analyzer.privacy.detectors.contact import find_emails, find_phones
from convoscope_analyzer.privacy.detectors.financial import find_cards, find_ibans, find_ssns
from convoscope_analyzer.privacy.detectors.network import find_ips
from convoscope_analyzer.privacy.detectors.script_addresses import find_script_addresses
from convoscope_analyzer.privacy.detectors.script_names import find_script_names
from convoscope_analyzer.privacy.detectors.secrets import (
    find_high_entropy_tokens,
    find_jwts,
    find_known_keys,
    find_private_keys,
)
from convoscope_analyzer.privacy.entities import SECRET
from convoscope_analyzer.privacy.scanner import resolve_overlaps, scripts_in

_DIGIT_RUN_7 = re.compile(r"[0-9][0-9 \-.()]{5,}[0-9]")
_MIN_DIGITS_PHONE_CARD_SSN = 7
_MIN_DIGITS_IBAN = 6
_MIN_DIGITS_IP = 2


def detect(text: str, *, region: str = "US", detect_names: bool = True) -> list[Detection]:
    """scanner.detect before its gates were tightened."""
    if not text:
        return []
    found: list[Detection] = []
    lowered = lower_same_length(text)
    candidates = find_candidates(text, lowered)
    hits = candidates.hits
    if candidates.ats:
        found += find_emails(text, candidates)
    if hits:
        if "-----begin" in hits and candidates.exact("-----begin", "-----BEGIN", text):
            found += find_private_keys(text)
        if "eyj" in hits and candidates.exact("eyj", "eyJ", text):
            found += find_jwts(text)
    long_token = candidates.long_token
    if long_token:
        found += find_known_keys(text)
    schemes = candidates.schemes() if candidates.colons else ()
    if hits or schemes:
        if schemes or may_hold_config_secret(candidates):
            found += find_config_secrets(text, lowered, candidates)
        if (
            schemes
            or ("hooks." in hits and candidates.exact("hooks.", "hooks.", text))
            or "webhook" in hits
            or "discord" in hits
        ):
            found += find_url_secrets(text)
        if may_hold_spoken_password(candidates):
            found += find_spoken_passwords(text, lowered, candidates)
    digits = candidates.digits
    if digits:
        if digits >= _MIN_DIGITS_PHONE_CARD_SSN and _DIGIT_RUN_7.search(text):
            found += find_cards(text)
            found += find_phones(text, region)
            found += find_ssns(text)
        if digits >= _MIN_DIGITS_IBAN:
            found += find_ibans(text, candidates)
        if digits >= _MIN_DIGITS_IP:
            found += find_ips(text, candidates)
        found += find_addresses(text, candidates)
        if long_token and digits >= 2:
            found += find_high_entropy_tokens(text)
    if detect_names:
        found += find_names(text, candidates)
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


# --- secrets.py ---------------------------------------------------------------------------

_CONFIG_GATE = ("pass", "pw", "secret", "token", "key", "cred", "bearer")


def may_hold_config_secret(candidates: Candidates) -> bool:
    return candidates.has(*_CONFIG_GATE) or bool(candidates.schemes())


def find_config_secrets(text: str, lowered: str, candidates: Candidates) -> list[Detection]:
    found: list[Detection] = []
    seen_keys: set[int] = set()
    for keyword in secrets_mod.SECRET_KEYWORDS:
        for hit in candidates.hits_of(keyword):
            detection = secrets_mod._config_value_at(text, hit, keyword, seen_keys)
            if detection is not None:
                found.append(detection)
    schemes = candidates.schemes()
    if schemes:
        found += secrets_mod._url_credentials(text, schemes)
    return found


# --- spoken_secrets.py --------------------------------------------------------------------

_CUES = ("pass", "pw", "login", "cred", "mysql", "mariadb")


def may_hold_spoken_password(candidates: Candidates) -> bool:
    return candidates.has(*_CUES)


def find_spoken_passwords(text: str, lowered: str, candidates: Candidates) -> list[Detection]:
    found: list[Detection] = []
    for pattern, words in spoken_mod._STARTS:
        kind = "cli_password" if pattern is spoken_mod._CLI_PASSWORD else "prose_password"
        starts = sorted({hit for word in words for hit in candidates.hits_of(word)})
        for hit in starts:
            m = pattern.match(text, hit)
            if m is None:
                continue
            group = next(g for g in range(1, (m.lastindex or 1) + 1) if m.group(g) is not None)
            start, end = m.span(group)
            while end > start and text[end - 1] in spoken_mod._TRAILING_PUNCTUATION:
                end -= 1
            if spoken_mod._password_like(text[start:end]):
                found.append(
                    Detection(SECRET, start, end, kind, spoken_mod.PROSE_PASSWORD_PRIORITY)
                )
    return found


# --- names.py -----------------------------------------------------------------------------


def find_names(text: str, candidates: Candidates) -> list[Detection]:
    found: list[Detection] = []
    end = -1
    for newline in (-1, *candidates.newlines):
        if newline < end:
            continue
        m = names_mod._LINE_CUE.match(text, newline + 1)
        if m is None:
            continue
        end = m.end()
        group = next(g for g in (1, 2, 3) if m.group(g) is not None)
        names_mod._add(found, m.group(group), m.start(group))
    if "my name" not in candidates.hits:
        return found
    for cue in names_mod._INTRO_CUES:
        for hit in candidates.hits_of(cue):
            intro = names_mod._INTRO_NAME.match(text, hit + len(cue))
            if intro is not None:
                names_mod._add(found, intro.group(), intro.start())
    return found


# --- url_secrets.py -----------------------------------------------------------------------


def url_end(text: str, start: int) -> int:
    """Where a URL starting at ``start`` ends (the loop over its characters)."""
    end = start
    while end < len(text) and not text[end].isspace() and text[end] not in "\"'<>`":
        end += 1
    return end


def find_query_secrets(text: str) -> list[Detection]:
    found: list[Detection] = []
    sep = text.find("://")
    while sep >= 0:
        end = url_end(text, sep + 3)
        marks = [i for i in (text.find("?", sep + 3, end), text.find("#", sep + 3, end)) if i >= 0]
        if marks:
            query = min(marks)
            for m in url_mod._QUERY_PARAM.finditer(text, query, end):
                name = m.group(1).lower().replace("-", "_").rsplit(".", 1)[-1]
                value = m.group(2)
                if name not in url_mod._SECRET_PARAMS or not secrets_mod.is_real_value(value):
                    continue
                if name in url_mod._WEAK_PARAMS and not url_mod._looks_random(value):
                    continue
                found.append(
                    Detection(SECRET, m.start(2), m.end(2), "url_query_secret",
                              url_mod.QUERY_SECRET_PRIORITY)
                )  # fmt: skip
        sep = text.find("://", end)
    return found


def find_url_secrets(text: str) -> list[Detection]:
    return url_mod.find_webhook_urls(text) + (find_query_secrets(text) if "://" in text else [])
