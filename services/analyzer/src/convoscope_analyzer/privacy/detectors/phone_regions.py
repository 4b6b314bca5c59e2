"""Which regions a national-format phone number may belong to, from words in its text.

A number written the way people in its own country write it ("020 7946 0958",
"06 12 34 56 78") has no country code. The text often says where it is ("UK",
"London", a "+44" number elsewhere); those hints are tried nearest first. With no
hint, numbers with a trunk prefix ("0...") are tried in a small ordered set of
likely regions. libphonenumber validates every guess, so a guess never invents a
number that is not valid in the region guessed.
"""

from __future__ import annotations

import re

import phonenumbers

# Country names, demonyms and large cities -> region. Case-sensitive where the word is
# also an English word or a common fragment ("UK" only in capitals).
_REGION_WORDS: dict[str, tuple[str, ...]] = {
    "GB": ("UK", "U.K.", "United Kingdom", "Britain", "British", "England", "English number",
           "Scotland", "Wales", "London", "Manchester", "Leeds", "Birmingham", "Glasgow",
           "Edinburgh", "Bristol", "Liverpool", "Cardiff"),
    "DE": ("Germany", "German", "Deutschland", "Berlin", "Munich", "München", "Hamburg",
           "Frankfurt", "Cologne", "Köln", "Stuttgart", "Düsseldorf"),
    "FR": ("France", "French", "Paris", "Lyon", "Marseille", "Toulouse", "Bordeaux"),
    "AU": ("Australia", "Australian", "Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide"),
    "JP": ("Japan", "Japanese", "Tokyo", "Osaka", "Kyoto", "Yokohama"),
    "NL": ("Netherlands", "Dutch", "Holland", "Amsterdam", "Rotterdam", "Utrecht"),
    "ES": ("Spain", "Spanish", "España", "Madrid", "Barcelona", "Valencia", "Seville"),
    "IT": ("Italy", "Italian", "Italia", "Rome", "Roma", "Milan", "Milano", "Naples", "Turin"),
    "IE": ("Ireland", "Irish", "Dublin", "Cork"),
    "CH": ("Switzerland", "Swiss", "Zurich", "Zürich", "Geneva", "Genève", "Basel", "Bern"),
    "AT": ("Austria", "Austrian", "Vienna", "Wien", "Salzburg"),
    "BE": ("Belgium", "Belgian", "Brussels", "Antwerp"),
    "SE": ("Sweden", "Swedish", "Stockholm"),
    "NO": ("Norway", "Norwegian", "Oslo"),
    "DK": ("Denmark", "Danish", "Copenhagen"),
    "PL": ("Poland", "Polish", "Warsaw", "Kraków"),
    "PT": ("Portugal", "Portuguese", "Lisbon", "Porto"),
    "IN": ("India", "Indian", "Mumbai", "Delhi", "Bangalore", "Bengaluru", "Chennai",
           "Hyderabad"),
    "BR": ("Brazil", "Brazilian", "Brasil", "São Paulo", "Sao Paulo", "Rio de Janeiro"),
    "MX": ("Mexico", "Mexican", "México"),
    "NZ": ("New Zealand", "Auckland", "Wellington"),
    "ZA": ("South Africa", "Johannesburg", "Cape Town"),
    "SG": ("Singapore",),
    "CN": ("China", "Chinese", "Beijing", "Shanghai", "Shenzhen"),
    "KR": ("Korea", "Korean", "Seoul"),
}  # fmt: skip
_WORD_TO_REGION = {w: r for r, words in _REGION_WORDS.items() for w in words}
_REGION_WORD = re.compile(
    r"(?<![\w.])(?:"
    + "|".join(re.escape(w) for w in sorted(_WORD_TO_REGION, key=len, reverse=True))
    + r")(?![\w])"
)
# "+44 ..." elsewhere in the text: the country code names a region.
_COUNTRY_CODE = re.compile(r"\+(?<![\w+]\+)([1-9][0-9]{0,2})(?=[\s.\-(]?[0-9])")


def _region_of_code(digits: str) -> str | None:
    # Country codes are prefix-free: at most one of "4", "44", "442" is a code.
    for n in range(1, len(digits) + 1):
        region = phonenumbers.region_code_for_country_code(int(digits[:n]))
        if region != "ZZ":
            return region
    return None


# Tried in this order when nothing in the text names a region, only for numbers with a
# trunk prefix written in groups. Regions with strict number plans only: Germany's
# variable-length area codes make almost any 0-led run of 9-12 digits "valid" there, so
# German numbers need a hint ("Berlin", "+49", "Germany").
FALLBACK_REGIONS: tuple[str, ...] = ("GB", "FR", "AU")


def located_region_hints(text: str) -> list[tuple[int, str]]:
    """(position, region) of every region named in ``text``: words and "+<code>" prefixes."""
    located = [(m.start(), _WORD_TO_REGION[m.group()]) for m in _REGION_WORD.finditer(text)]
    for m in _COUNTRY_CODE.finditer(text):
        region = _region_of_code(m.group(1))
        if region is not None:
            located.append((m.start(), region))
    return located


def nearest_regions(located: list[tuple[int, str]], near: int) -> list[str]:
    """Regions of ``located`` ordered by distance to position ``near``, without repeats."""
    ordered: list[str] = []
    for _, region in sorted(located, key=lambda pr: abs(pr[0] - near)):
        if region not in ordered:
            ordered.append(region)
    return ordered
