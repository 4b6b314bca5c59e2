"""Cue lists per language, read from the data files in ``engine/data/cues/``.

One TOML file per language (``en.toml``, ``fr.toml``, ...; ``common.toml`` holds the
language-independent cues such as error output). Every section has ``cues`` (regular
expressions), ``examples`` and ``counter_examples``; the files are reviewed like code
and a unit test checks every example. Failures, quality and sentiment read their
phrases from here, never from inline lists.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from convoscope_analyzer.engine.errors import EngineError

ANY_LANGUAGE = "*"
# Sections of common.toml are matched as written (case-sensitive, no word boundaries):
# "ERROR:" and "Error:" say different things than "error" in a sentence.
_RAW_SECTIONS = frozenset({"error_output", "code"})


class CueFileError(EngineError):
    """A cue file that cannot be read or holds an invalid pattern."""


@dataclass(frozen=True, slots=True)
class CueMatch:
    """Where a section matched: the cue file's language and the matched words."""

    language: str
    text: str


@dataclass(frozen=True, slots=True)
class CueSection:
    """One section's patterns, one compiled alternation per language."""

    patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()

    def search(self, text: str) -> CueMatch | None:
        """The first language whose cues match ``text``, with the matched words."""
        for language, pattern in self.patterns:
            match = pattern.search(text)
            if match:
                return CueMatch(language, match.group(0))
        return None

    def find_all(self, text: str) -> list[CueMatch]:
        """Every match of every language, in language order."""
        return [
            CueMatch(language, m.group(0))
            for language, pattern in self.patterns
            for m in pattern.finditer(text)
        ]


@dataclass(frozen=True, slots=True)
class ComplaintCue:
    """Explicit complaint phrases of one failure type in one language."""

    type: str
    severity: str
    language: str
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class CueBook:
    """All cue sections of the loaded languages."""

    languages: tuple[str, ...]
    complaints: tuple[ComplaintCue, ...]
    sections: dict[str, CueSection] = field(default_factory=dict)
    neutral_terms: frozenset[str] = frozenset()
    profanity_exempt: frozenset[str] = frozenset()

    def section(self, name: str) -> CueSection:
        """A section by name (empty when no loaded language has it)."""
        return self.sections.get(name, CueSection())


def normalise(text: str) -> str:
    """Typographic apostrophes as ASCII, so one cue covers both."""
    return text.replace("\u2019", "'").replace("\u2018", "'")


def compile_cues(cues: list[str], *, raw: bool = False) -> re.Pattern[str]:
    """One alternation of cues: word-bounded and case-insensitive unless ``raw``."""
    body = "|".join(cues)
    if raw:
        return re.compile(f"(?:{body})", re.MULTILINE)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE | re.MULTILINE)


def _cue_files() -> list[tuple[str, str]]:
    folder = resources.files("convoscope_analyzer.engine").joinpath("data", "cues")
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )


def parse_cue_file(name: str, text: str) -> dict[str, Any]:
    """A cue file's TOML as a dict; raises :class:`CueFileError` with the file name."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CueFileError(f"{name}: {exc}") from None
    if not isinstance(data.get("language"), str):
        raise CueFileError(f"{name}: missing 'language'")
    return data


def _compile(name: str, section: str, cues: list[str], raw: bool) -> re.Pattern[str]:
    try:
        return compile_cues(cues, raw=raw)
    except re.error as exc:
        raise CueFileError(f"{name} [{section}]: {exc}") from None


def build_cue_book(files: list[tuple[str, str]], languages: tuple[str, ...] | None) -> CueBook:
    """A cue book from (file name, TOML text) pairs, limited to ``languages`` if given
    (language-independent files are always kept)."""
    complaints: list[ComplaintCue] = []
    sections: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    neutral: set[str] = set()
    exempt: set[str] = set()
    loaded: list[str] = []
    for name, text in files:
        data = parse_cue_file(name, text)
        language = data["language"]
        if languages is not None and language != ANY_LANGUAGE and language not in languages:
            continue
        loaded.append(language)
        for key, value in data.items():
            if not isinstance(value, dict):
                continue
            if key == "complaint":
                for type_, rule in value.items():
                    pattern = _compile(name, f"complaint.{type_}", rule["cues"], False)
                    complaints.append(ComplaintCue(type_, rule["severity"], language, pattern))
            elif key == "sentiment":
                neutral.update(value.get("neutral_terms", []))
            elif key == "profanity":
                exempt.update(value.get("exempt", []))
            elif "cues" in value:
                raw = key in _RAW_SECTIONS
                sections.setdefault(key, []).append(
                    (language, _compile(name, key, value["cues"], raw))
                )
    return CueBook(
        languages=tuple(loaded),
        complaints=tuple(complaints),
        sections={k: CueSection(tuple(v)) for k, v in sections.items()},
        neutral_terms=frozenset(neutral),
        profanity_exempt=frozenset(exempt),
    )


@lru_cache(maxsize=8)
def default_cues(languages: tuple[str, ...] | None = None) -> CueBook:
    """The cue book shipped with the package (all languages unless ``languages``)."""
    return build_cue_book(_cue_files(), languages)


def cue_file_paths() -> list[Path]:
    """The shipped cue files (for the example checks)."""
    folder = Path(str(resources.files("convoscope_analyzer.engine").joinpath("data", "cues")))
    return sorted(folder.glob("*.toml"))


@lru_cache(maxsize=1)
def profanity_words() -> frozenset[str]:
    """better-profanity's maintained word list, less the words the cue files exempt."""
    import better_profanity

    path = Path(better_profanity.__file__).with_name("profanity_wordlist.txt")
    words = {w.strip().lower() for w in path.read_text(encoding="utf-8").splitlines()}
    return frozenset(w for w in words if w and " " not in w) - default_cues().profanity_exempt
