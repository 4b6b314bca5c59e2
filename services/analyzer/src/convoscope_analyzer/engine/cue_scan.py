"""One automaton pass over a text for many cue lists at once.

Every compiled cue list (:class:`~convoscope_analyzer.engine.cues.Cues`) has a gate:
literal strings one of which any of its matches contains. A :class:`CueGroup` puts
the gates of all cue lists searched on the same text (a user's turn: every complaint
phrase, aimed negativity, "still", redo, error output) into one Aho-Corasick automaton
(pyahocorasick, in C), with the first (most selective) mandatory part of each cue; one
pass over the text yields every such string in it, hence the cue lists, and in them the
cues, that may match (:class:`Scan`). Only those cues run their remaining requirement
checks, and a list with one that passes runs its regex, exactly as :meth:`Cues.search`
would: the same results as searching list by list, without a Python loop over every list
for every text. A group is built once per cue book and spec (:func:`cue_group`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import NamedTuple

import ahocorasick

from convoscope_analyzer.engine.cues import ComplaintCue, CueBook, CueMatch, Cues

_VALUE = itemgetter(1)


def cue_group(book: CueBook, sections: tuple[str, ...], complaints: bool = False) -> CueGroup:
    """The group of ``book``'s complaint rules (if ``complaints``) and ``sections``,
    built on first use and kept with the book (one per book and spec, never per text)."""
    key = (complaints, sections)
    group = book.scan_groups.get(key)
    if group is None:
        group = CueGroup(
            book.complaints if complaints else (),
            {name: book.section(name).patterns for name in sections},
        )
        book.scan_groups[key] = group
    return group


# Up to this many strings, substring tests (``in``, a fast search in C) beat one
# automaton pass, whose cost is per character of the text.
SMALL_SET = 12


def _automaton(
    masks: dict[str, int],
) -> ahocorasick.Automaton | tuple[tuple[str, int], ...] | None:
    """An automaton whose value for each string is the mask of the bits it sets (for a
    few strings, the (string, mask) pairs to test one by one)."""
    if not masks:
        return None
    if len(masks) <= SMALL_SET:
        return tuple(masks.items())
    automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
    for string, mask in masks.items():
        automaton.add_word(string, mask)
    automaton.make_automaton()
    return automaton


class _List(NamedTuple):
    """A cue list in a group: where its cue bits start, their mask, and per cue the
    mandatory parts after the first (each: strings one of which must occur)."""

    cues: Cues
    first: int
    cue_mask: int
    rest: tuple[tuple[tuple[str, ...], ...], ...]
    checked: bool  # the list has requirements (else its regex runs once its gate occurs)


class CueGroup:
    """Cue lists searched on the same text, in a fixed order: the complaint rules
    first (``complaints``), then each named section's lists (one per language)."""

    __slots__ = (
        "_folded",
        "_raw",
        "_ungated",
        "complaints",
        "lists",
        "members",
        "section_masks",
        "sections",
    )

    def __init__(
        self, complaints: Sequence[ComplaintCue], sections: dict[str, Sequence[Cues]]
    ) -> None:
        self.complaints = tuple(complaints)
        members: list[Cues] = [rule.cues for rule in self.complaints]
        self.sections: dict[str, tuple[int, ...]] = {}
        for name, lists in sections.items():
            self.sections[name] = tuple(range(len(members), len(members) + len(lists)))
            members.extend(lists)
        self.members = tuple(members)
        self.section_masks = {
            name: sum(1 << index for index in indexes) for name, indexes in self.sections.items()
        }
        # Bits 0..n-1: a list's gate occurs. Above them, one bit per cue of a list with
        # requirements: the cue's first (most selective) mandatory part occurs.
        folded: dict[str, int] = {}
        raw: dict[str, int] = {}
        ungated = 0
        self.lists: list[_List] = []
        bit = len(self.members)
        for index, cues in enumerate(self.members):
            if cues.gate is None:
                ungated |= 1 << index  # no gate known: its regex always runs
                self.lists.append(_List(cues, 0, 0, (), False))
                continue
            masks = folded if cues.folded else raw
            for string in cues.gate:
                masks[string] = masks.get(string, 0) | 1 << index
            requirements = cues.requirements if cues.requirements is not None else ()
            for parts in requirements:
                for string in parts[0]:
                    masks[string] = masks.get(string, 0) | 1 << bit
                bit += 1
            first = bit - len(requirements)
            self.lists.append(
                _List(
                    cues,
                    first,
                    (1 << len(requirements)) - 1,
                    tuple(parts[1:] for parts in requirements),
                    cues.requirements is not None,
                )
            )
        self._folded = _automaton(folded)
        self._raw = _automaton(raw)
        self._ungated = ungated

    def scan(self, text: str, lowered: str | None = None) -> Scan:
        """One pass over ``text`` (and its lower-cased form, given or computed)."""
        if not self.members:
            return Scan(self, text, "", 0)  # nothing to look for (no cue in this language)
        if lowered is None:
            lowered = text.lower()
        mask = self._ungated
        for strings, haystack in ((self._folded, lowered), (self._raw, text)):
            if strings is None:
                continue
            if isinstance(strings, tuple):
                for string, bits in strings:
                    if string in haystack:
                        mask |= bits
                continue
            # Distinct masks first (in C), then one OR each: "the" may occur often.
            for bits in set(map(_VALUE, strings.iter(haystack))):
                mask |= bits
        return Scan(self, text, lowered, mask)


class Scan:
    """The cue lists of a group whose gate occurs in one text; searches answer as
    :meth:`Cues.search` and :meth:`CueSection.search` would on that text."""

    __slots__ = ("group", "lowered", "mask", "text")

    def __init__(self, group: CueGroup, text: str, lowered: str, mask: int) -> None:
        self.group = group
        self.text = text
        self.lowered = lowered
        self.mask = mask

    def _search(self, index: int) -> re.Match[str] | None:
        mask = self.mask
        if not (mask >> index) & 1:
            return None
        entry = self.group.lists[index]
        cues = entry.cues
        if entry.checked:
            # Cue.search's requirement check, only over the cues whose first part occurs.
            haystack = self.lowered if cues.folded else self.text
            contains = haystack.__contains__
            candidates = (mask >> entry.first) & entry.cue_mask
            rest = entry.rest
            met: list[int] = []
            while candidates:
                low = candidates & -candidates
                candidates ^= low
                cue = low.bit_length() - 1
                for alternatives in rest[cue]:
                    if not any(map(contains, alternatives)):
                        break
                else:
                    met.append(cue)
            if not met:
                return None
            # Only the cues met can match: their own alternation answers for the list.
            return cues.narrowed(tuple(met), self.text).search(self.text)
        return cues.pattern.search(self.text)

    def complaints(self) -> Iterator[tuple[ComplaintCue, re.Match[str]]]:
        """Each complaint rule that matches, in the book's order, with its first match."""
        rules = self.group.complaints
        pending = self.mask & ((1 << len(rules)) - 1)
        while pending:  # the rules whose gate occurs, lowest bit (book order) first
            low = pending & -pending
            pending ^= low
            index = low.bit_length() - 1
            match = self._search(index)
            if match:
                yield rules[index], match

    def section(self, name: str) -> CueMatch | None:
        """The first language whose lists of section ``name`` match, as
        :meth:`CueSection.search` would (``name`` must be one of the group's)."""
        indexes = self.group.sections[name]
        mask = self.mask
        if not mask & self.group.section_masks[name]:
            return None  # the common case: no gate of the section occurs
        for index in indexes:
            if (mask >> index) & 1 and (match := self._search(index)):
                return CueMatch(self.group.members[index].language, match.group(0))
        return None
