"""Street addresses (best effort, precision first): number + street name + suffix."""

from __future__ import annotations

import re

from convoscope_analyzer.privacy.candidates import (
    STREET_SUFFIXES,
    Candidates,
    find_candidates,
    matches_at_runs,
)
from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.entities import STREET_ADDRESS

ADDRESS_PRIORITY = 40

_SUFFIXES = STREET_SUFFIXES
_ADDRESS = re.compile(
    r"[0-9](?<![\w.,-][0-9])[0-9]{0,5}[A-Z]?"  # house number
    r"(?:[ ](?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?)?"
    r"(?:[ ](?:[A-Z][a-z]+|\d{1,3}(?:st|nd|rd|th))){1,3}"  # street name: capitalised words
    rf"[ ](?:{_SUFFIXES})\b\.?"
    r"(?:[ ](?:N|S|E|W|NE|NW|SE|SW)\b\.?)?"
    r"(?:,?[ ](?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|#)\.?[ ]?#?[\w-]{1,6})?"
    # optional ", City, ST 12345" (US) tail
    r"(?:,[ ][A-Z][a-z]+(?:[ ][A-Z][a-z]+){0,2},[ ][A-Z]{2}[ ]\d{5}(?:-\d{4})?)?"
)
# Words that start a count of things rather than a street ("3 Supreme Court cases").
_NOT_STREET_WORDS = frozenset(
    "Supreme High District Appeals Federal Food Main-Course The A An Step Steps Chapter "
    "Page Pages Days Weeks Months Years Hours Minutes Times Ways".split()
)


def find_addresses(text: str, candidates: Candidates | None = None) -> list[Detection]:
    """Street addresses such as ``221B Baker Street`` or ``1600 Pennsylvania Ave NW, ...``.

    An address starts a digit run, so the pattern is tried at the digit runs of
    ``candidates`` only (found here when not given), as a scan of the text would.
    """
    if candidates is None:
        candidates = find_candidates(text)
    found: list[Detection] = []
    for m in matches_at_runs(_ADDRESS, text, candidates.runs):
        words = m.group().split()
        if len(words) > 1 and words[1] in _NOT_STREET_WORDS:
            continue
        found.append(Detection(STREET_ADDRESS, m.start(), m.end(), "street", ADDRESS_PRIORITY))
    return found
