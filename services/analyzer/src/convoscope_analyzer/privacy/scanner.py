"""``detect``: one candidate pass over the text, the detectors at their candidates, then overlaps.

Speed matters (privacy may cost at most a third of the analysis time). One regex pass
over the lower-cased text (:func:`candidates.find_candidates`) records the digit runs,
``@`` signs, colons, line starts and keywords; it decides which detectors run (most
messages have no ``@``, few digits and no secret keyword) and gives them the positions
to start from, so no detector scans the whole text again for its own anchors. The
detectors whose patterns can start at any character (phone numbers, cards, SSNs,
vendor key shapes, random tokens, webhook URLs) run only when the pass says they may
find something, as before.
"""

from __future__ import annotations

import re

from convoscope_analyzer.privacy.candidates import find_candidates
from convoscope_analyzer.privacy.casefold import lower_same_length
from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.detectors.address import find_addresses
from convoscope_analyzer.privacy.detectors.contact import find_emails, find_phones, forget_numbers
from convoscope_analyzer.privacy.detectors.financial import find_cards, find_ibans, find_ssns
from convoscope_analyzer.privacy.detectors.names import find_names
from convoscope_analyzer.privacy.detectors.network import find_ips
from convoscope_analyzer.privacy.detectors.script_addresses import find_script_addresses
from convoscope_analyzer.privacy.detectors.script_names import find_script_names
from convoscope_analyzer.privacy.detectors.secrets import (
    CONFIG_GATE,
    find_config_secrets,
    find_high_entropy_tokens,
    find_jwts,
    find_known_keys,
    find_private_keys,
)
from convoscope_analyzer.privacy.detectors.spoken_secrets import (
    SPOKEN_CUES,
    find_spoken_passwords,
)
from convoscope_analyzer.privacy.detectors.url_secrets import find_url_secrets

# Seven or more digits close together: the only texts that may hold a phone, card or SSN.
_DIGIT_RUN_7 = re.compile(r"[0-9][0-9 \-.()]{5,}[0-9]")
# Fewest digits in a value of each family (an IBAN has 2 check digits and a numeric BBAN part).
_MIN_DIGITS_PHONE_CARD_SSN = 7
_MIN_DIGITS_IBAN = 6
_MIN_DIGITS_IP = 2


def detect(text: str, *, region: str = "US", detect_names: bool = True) -> list[Detection]:
    """All PII and secrets in ``text``, sorted by position, without overlaps.

    ``region`` is the default region for national-format phone numbers; person
    names (best effort) are looked for only when ``detect_names`` is true.
    """
    if not text:
        return []
    found: list[Detection] = []
    lowered = lower_same_length(text)
    candidates = find_candidates(text, lowered)
    hits = candidates.hits
    if candidates.ats:
        found += find_emails(text, candidates)
    long_token = candidates.long_token
    # The gates are set operations on the keywords found (``Candidates.has`` in C):
    # they run for every text.
    if hits:
        if "-----begin" in hits and candidates.exact("-----begin", "-----BEGIN", text):
            found += find_private_keys(text)
        if "eyj" in hits and candidates.exact("eyj", "eyJ", text):
            found += find_jwts(text)
        if long_token:
            found += find_known_keys(text)  # every vendor key shape is 20+ token characters
        schemes = candidates.schemes() if candidates.colons else _NO_SCHEMES
        if schemes or not _CONFIG_GATE.isdisjoint(hits):
            found += find_config_secrets(text, lowered, candidates)
        if (
            schemes
            or ("hooks." in hits and candidates.exact("hooks.", "hooks.", text))
            or "webhook" in hits
            or "discord" in hits
        ):
            found += find_url_secrets(text)
        if not _SPOKEN_CUES.isdisjoint(hits):
            found += find_spoken_passwords(text, lowered, candidates)
    else:
        if long_token:
            found += find_known_keys(text)
        if candidates.colons:
            schemes = candidates.schemes()
            if schemes:
                found += find_config_secrets(text, lowered, candidates)
                found += find_url_secrets(text)
    digits = candidates.digits
    if digits:
        if digits >= _MIN_DIGITS_PHONE_CARD_SSN and _DIGIT_RUN_7.search(text):
            found += find_cards(text)
            found += find_phones(text, region)
            found += find_ssns(text)
        if candidates.runs:
            # IBANs, IPv4 and street addresses start at a candidate digit run.
            if digits >= _MIN_DIGITS_IBAN:
                found += find_ibans(text, candidates)
            if digits >= _MIN_DIGITS_IP:
                found += find_ips(text, candidates)
            found += find_addresses(text, candidates)
        elif candidates.colons and digits >= _MIN_DIGITS_IP:
            found += find_ips(text, candidates)  # IPv6, around its colons
        # A random token holds at least two digits (see find_high_entropy_tokens).
        if long_token and digits >= 2:
            found += find_high_entropy_tokens(text)
    if detect_names:
        found += find_names(text, lowered, candidates)
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


_NO_SCHEMES: list[int] = []
# The keywords of may_hold_config_secret and may_hold_spoken_password.
_CONFIG_GATE = frozenset(CONFIG_GATE)
_SPOKEN_CUES = frozenset(SPOKEN_CUES)


_SCRIPT_RUNS = (
    ("cyrillic", re.compile(r"[\u0400-\u04ff]{2}")),
    ("han", re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")),
    ("hangul", re.compile(r"[\uac00-\ud7a3]")),
    ("arabic", re.compile(r"[\u0621-\u064a]{2}")),
)


def scripts_in(text: str) -> frozenset[str]:
    """The non-Latin scripts with name and address cues that ``text`` is written in.

    The language detector runs after redaction, so the cues are chosen by script, which
    names the language family the detector would claim: Cyrillic (ru, uk), Han and
    Kana (zh, ja), Hangul (ko), Arabic (ar).
    """
    return frozenset(name for name, run in _SCRIPT_RUNS if run.search(text))


def resolve_overlaps(detections: list[Detection]) -> list[Detection]:
    """Keep the best of overlapping detections (higher priority, then longer), by position.

    Detections are split into clusters of transitively overlapping spans (one sort);
    the greedy choice runs inside each cluster, so a text with 100k detections stays
    O(n log n).
    """
    ordered = sorted(detections, key=lambda d: (d.start, d.end))
    kept: list[Detection] = []
    cluster: list[Detection] = []
    cluster_end = -1
    for d in ordered:
        if cluster and d.start >= cluster_end:
            kept += _best_of_cluster(cluster)
            cluster = []
        cluster.append(d)
        cluster_end = max(cluster_end, d.end) if len(cluster) > 1 else d.end
    if cluster:
        kept += _best_of_cluster(cluster)
    return kept


def _best_of_cluster(cluster: list[Detection]) -> list[Detection]:
    if len(cluster) == 1:
        return cluster
    chosen: list[Detection] = []
    for candidate in sorted(cluster, key=lambda d: (-d.priority, -d.length, d.start)):
        if all(candidate.end <= c.start or candidate.start >= c.end for c in chosen):
            chosen.append(candidate)
    chosen.sort(key=lambda d: d.start)
    return chosen


def forget_found_values() -> None:
    """Forget every value the detectors keep between texts (the phone numbers they have
    validated): call it when no job is running, so none outlives its job in memory."""
    forget_numbers()
