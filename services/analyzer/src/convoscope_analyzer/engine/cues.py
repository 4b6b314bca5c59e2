"""Cue lists per language, read from the data files in ``engine/data/cues/``.

One TOML file per language (``en.toml``, ``fr.toml``, ...; ``common.toml`` holds the
language-independent cues such as error output). A file with ``word_boundaries = false``
(Chinese, Japanese) matches its cues anywhere, case-sensitively. Every section has ``cues`` (regular
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
from typing import Any, get_args

from convoscope_analyzer.engine.cue_narrowing import narrowable_cue
from convoscope_analyzer.engine.errors import EngineError
from convoscope_common.results import FailureType, Severity

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
class Cues:
    """One language's compiled cues of a section, with the literal prefixes one of
    which any match must start with (``None``: no such prefixes known), and per cue
    every literal part a match of that cue must contain (``requirements``)."""

    language: str
    pattern: re.Pattern[str]
    gate: tuple[str, ...] | None = None
    folded: bool = True  # the gate is checked against lower-cased text
    requirements: tuple[tuple[tuple[str, ...], ...], ...] | None = None
    # The cues the pattern alternates (one per requirement), when a regex of some of
    # them may stand for the whole pattern (:meth:`narrowed`); empty: never.
    sources: tuple[str, ...] = ()
    # Narrowed patterns by the positions of the cues they hold (one per set of cues met,
    # a few per list; never per text).
    _narrow: dict[tuple[int, ...], re.Pattern[str]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        """The first match, skipping the regex when no prefix occurs (a substring
        test costs a fraction of a microsecond, a large alternation ~100), or when no
        cue has all its literal parts in the text ("at " is in most English
        sentences, "at " and "line " and ":" together are not)."""
        if self.gate is not None:
            haystack = (lowered if lowered is not None else text.lower()) if self.folded else text
            if not any(map(haystack.__contains__, self.gate)):
                return None
            if self.requirements is not None and not meets_requirements(
                self.requirements, haystack
            ):
                return None
        return self.pattern.search(text)

    def narrowed(self, met: tuple[int, ...], text: str) -> re.Pattern[str]:
        """The regex to search ``text`` with when only the cues at ``met`` (positions in
        the list, ascending) have all their literal parts in it: the alternation of
        those cues alone, same wrapper and flags. A cue missing one of its parts cannot
        match anywhere in the text, so the leftmost match, and the first alternative
        that matches there, are the whole pattern's; the regex engine just tries fewer
        alternatives at every position (a large list's alternation costs ~13 µs a
        turn, the cues met ~5). Case-insensitive lists are narrowed on ASCII text only
        (and ``sources`` holds no non-ASCII literal with an ASCII case form): there
        lower-casing is exactly the regex engine's case folding, so "a part occurs in
        the lower-cased text" is "the part can match". The whole pattern otherwise."""
        if not self.sources or (self.folded and not text.isascii()):
            return self.pattern
        if len(met) == len(self.sources):
            return self.pattern
        found = self._narrow.get(met)
        if found is None:
            if len(self._narrow) >= _MAX_NARROWED:
                return self.pattern
            found = compile_cues([self.sources[i] for i in met], raw=not self.folded)
            self._narrow[met] = found
        return found


# Narrowed patterns kept per cue list (the sets of cues met that a corpus shows are
# few; past this the whole pattern serves).
_MAX_NARROWED = 256


def meets_requirements(
    requirements: tuple[tuple[tuple[str, ...], ...], ...], haystack: str
) -> bool:
    """Whether some cue has, for each of its mandatory parts, one string in ``haystack``."""
    contains = haystack.__contains__
    for parts in requirements:
        for alternatives in parts:
            if not any(map(contains, alternatives)):
                break
        else:
            return True
    return False


def cues_met(
    requirements: tuple[tuple[tuple[str, ...], ...], ...], haystack: str
) -> tuple[int, ...]:
    """The positions of the cues that have, for each of their mandatory parts, one
    string in ``haystack`` (empty: none; then no cue can match)."""
    contains = haystack.__contains__
    met: list[int] = []
    for index, parts in enumerate(requirements):
        for alternatives in parts:
            if not any(map(contains, alternatives)):
                break
        else:
            met.append(index)
    return tuple(met)


@dataclass(frozen=True, slots=True)
class CueSection:
    """One section's cues, one compiled alternation per language."""

    patterns: tuple[Cues, ...] = ()

    def search(self, text: str, lowered: str | None = None) -> CueMatch | None:
        """The first language whose cues match ``text``, with the matched words."""
        for cues in self.patterns:
            match = cues.search(text, lowered)
            if match:
                return CueMatch(cues.language, match.group(0))
        return None


@dataclass(frozen=True, slots=True)
class ComplaintCue:
    """Explicit complaint phrases of one failure type in one language."""

    type: FailureType
    severity: Severity
    cues: Cues


@dataclass(frozen=True, slots=True)
class CueBook:
    """All cue sections of the loaded languages."""

    languages: tuple[str, ...]
    complaints: tuple[ComplaintCue, ...]
    sections: dict[str, CueSection] = field(default_factory=dict)
    neutral_terms: frozenset[str] = frozenset()
    profanity_exempt: frozenset[str] = frozenset()
    # The automaton groups built from this book (engine/cue_scan.py), by spec.
    scan_groups: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

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


def _compile(
    name: str,
    section: str,
    language: str,
    cues: list[str],
    raw: bool,
    gate: list[str] | None = None,
) -> Cues:
    return _compiled(name, section, language, tuple(cues), raw, tuple(gate) if gate else None)


# Every book of a process shares one compiled object per cue list: the all-language
# book and a one-language book hold the same English lists (the key is the list itself).
@lru_cache(maxsize=4096)
def _compiled(
    name: str,
    section: str,
    language: str,
    cue_tuple: tuple[str, ...],
    raw: bool,
    gate: tuple[str, ...] | None,
) -> Cues:
    cues = list(cue_tuple)
    try:
        pattern = compile_cues(cues, raw=raw)
    except re.error as exc:
        raise CueFileError(f"{name} [{section}]: {exc}") from None
    # A section may name its gate when its cues start with a class (error output).
    derived = literal_prefixes(cues, raw=raw)
    chosen = derived if derived is not None else (gate or None)
    requirements = cue_requirements(cues, raw=raw) if derived is not None else None
    narrowable = requirements is not None and all(narrowable_cue(cue, raw) for cue in cues)
    return Cues(
        language,
        pattern,
        chosen,
        folded=not raw,
        requirements=requirements,
        sources=cue_tuple if narrowable else (),
    )


# Gate sets larger than this are not worth testing one by one.
_MAX_GATE = 32


def _mandatory_parts(items: list[tuple[Any, Any]]) -> list[set[str]]:
    """For a parsed regex sequence, its mandatory parts (literal runs, groups,
    branches), each as the strings one of which every match contains."""
    from re import _constants as c  # type: ignore[attr-defined]

    candidates: list[set[str]] = []
    run = ""
    for op, av in items:
        if op is c.LITERAL:
            run += chr(av)
            continue
        if run:
            candidates.append({run})
            run = ""
        found: set[str] | None = None
        if op is c.SUBPATTERN:
            found = _required(list(av[-1].data))
        elif op is c.BRANCH:
            parts = [_required(list(branch.data)) for branch in av[1]]
            if all(part is not None for part in parts):
                found = set().union(*(part for part in parts if part is not None))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            found = _required(list(av[2].data))
        if found and len(found) <= _MAX_GATE and "" not in found:
            candidates.append(found)
    if run:
        candidates.append({run})
    return candidates


def _required(items: list[tuple[Any, Any]]) -> set[str] | None:
    """Strings one of which every match of a parsed regex sequence contains: of all
    mandatory parts (literal runs, groups, branches), the one whose shortest string is
    longest. ``None`` when no part is mandatory and literal."""
    candidates = _mandatory_parts(items)
    if not candidates:
        return None
    return max(candidates, key=lambda strings: (min(map(len, strings)), -len(strings)))


def cue_requirements(
    cues: list[str], *, raw: bool = False
) -> tuple[tuple[tuple[str, ...], ...], ...] | None:
    """Per cue, all its mandatory literal parts (each: strings one of which a match
    contains); a cue can match only a text holding one string of every part.
    ``None`` when some cue has no mandatory literal part."""
    from re import _parser  # type: ignore[attr-defined]

    result: list[tuple[tuple[str, ...], ...]] = []
    for cue in cues:
        parts = _mandatory_parts(list(_parser.parse(cue).data))
        if not parts:
            return None
        folded = [part if raw else {s.lower() for s in part} for part in parts]
        # The most selective part first: a text usually fails on it.
        folded.sort(key=lambda strings: (-min(map(len, strings)), len(strings)))
        result.append(tuple(tuple(sorted(part)) for part in folded))
    return tuple(result)


def literal_prefixes(cues: list[str], *, raw: bool = False) -> tuple[str, ...] | None:
    """Strings one of which every match of ``cues`` contains (the gate that lets a
    search skip the regex); ``None`` when some cue has no mandatory literal part."""
    from re import _parser  # type: ignore[attr-defined]

    found: set[str] = set()
    for cue in cues:
        required = _required(list(_parser.parse(cue).data))
        if not required:
            return None
        found.update(required if raw else {r.lower() for r in required})
    # A string that contains a shorter one adds nothing to the test.
    minimal: list[str] = []
    for string in sorted(found, key=len):
        if not any(short in string for short in minimal):
            minimal.append(string)
    return tuple(minimal)


def _complaint_kind(name: str, type_: str, severity: str) -> tuple[FailureType, Severity]:
    """A complaint section's failure type and severity, checked against the result types."""
    for value, allowed in ((type_, FailureType), (severity, Severity)):
        if value not in get_args(allowed):
            raise CueFileError(f"{name}: complaint.{type_}: unknown {value!r}")
    return type_, severity  # type: ignore[return-value]  # checked just above


def build_cue_book(files: list[tuple[str, str]], languages: tuple[str, ...] | None) -> CueBook:
    """A cue book from (file name, TOML text) pairs, limited to ``languages`` if given
    (language-independent files are always kept)."""
    complaints: list[ComplaintCue] = []
    sections: dict[str, list[Cues]] = {}
    neutral: set[str] = set()
    exempt: set[str] = set()
    loaded: list[str] = []
    for name, text in files:
        data = parse_cue_file(name, text)
        language = data["language"]
        if languages is not None and language != ANY_LANGUAGE and language not in languages:
            continue
        loaded.append(language)
        # Chinese and Japanese put no spaces between words: their cues match anywhere.
        unbounded = data.get("word_boundaries", True) is False
        for key, value in data.items():
            if not isinstance(value, dict):
                continue
            if key == "complaint":
                for type_, rule in value.items():
                    failure_type, severity = _complaint_kind(name, type_, rule["severity"])
                    cues = _compile(name, f"complaint.{type_}", language, rule["cues"], unbounded)
                    complaints.append(ComplaintCue(failure_type, severity, cues))
            elif key == "sentiment":
                neutral.update(value.get("neutral_terms", []))
            elif key == "profanity":
                exempt.update(value.get("exempt", []))
            elif "cues" in value:
                raw = key in _RAW_SECTIONS or unbounded
                sections.setdefault(key, []).append(
                    _compile(name, key, language, value["cues"], raw, value.get("gate"))
                )
    return CueBook(
        languages=tuple(loaded),
        complaints=tuple(complaints),
        sections={k: CueSection(tuple(v)) for k, v in sections.items()},
        neutral_terms=frozenset(neutral),
        profanity_exempt=frozenset(exempt),
    )


@lru_cache(maxsize=64)
def default_cues(languages: tuple[str, ...] | None = None) -> CueBook:
    """The cue book shipped with the package (all languages unless ``languages``)."""
    return build_cue_book(_cue_files(), languages)


def cues_for(language: str | None) -> CueBook:
    """The cues that apply to a message in ``language``: that language's file and the
    language-independent one; ``None`` (language not detected): every file."""
    if language is None:
        return default_cues()
    return default_cues((language,))


@lru_cache(maxsize=1)
def cue_languages() -> tuple[str, ...]:
    """The languages that have a cue file (``*`` excluded), in file order."""
    return tuple(lang for lang in default_cues().languages if lang != ANY_LANGUAGE)


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
    return frozenset(w for w in words if w and " " not in w) - profanity_exempt()


@lru_cache(maxsize=1)
def profanity_exempt() -> frozenset[str]:
    """The words every cue file exempts from the profanity list (read from the files,
    without compiling any cue: the all-language book is built only where it is used)."""
    exempt: set[str] = set()
    for name, text in _cue_files():
        section = parse_cue_file(name, text).get("profanity")
        if isinstance(section, dict):
            exempt.update(section.get("exempt", []))
    return frozenset(exempt)
