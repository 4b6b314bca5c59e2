"""Which cues a narrowed regex may stand for (``cues.Cues.narrowed``).

A cue list whose gate occurs runs, instead of its whole alternation, the alternation of
the cues whose literal parts all occur in the text. That is the same search only when
the parts found in the lower-cased text are exactly what the regex engine's case-folding
can match, and when no cue refers to a group by number (numbers shift in a shorter
alternation): checked here once per cue, when a cue file is compiled.
"""

from __future__ import annotations

from typing import Any


def narrowable_cue(cue: str, raw: bool) -> bool:
    """Whether a regex of some of a list's cues may stand for the whole list (see
    :meth:`Cues.narrowed`): the cue refers to no group by number (numbers shift in a
    shorter alternation), and in a case-insensitive list no literal it matches is a
    non-ASCII character with an ASCII case form (the Kelvin sign matches "k")."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    def walk(items: Any) -> bool:
        for op, av in items:
            if op in (c.GROUPREF, c.GROUPREF_EXISTS):
                return False
            if op in (c.LITERAL, c.NOT_LITERAL):
                if not raw and _folds_to_ascii(av, av):
                    return False
            elif op is c.RANGE:
                if not raw and _folds_to_ascii(*av):
                    return False
            elif op is c.IN:
                if not walk(av):
                    return False
            elif op is c.BRANCH:
                if not all(walk(branch.data) for branch in av[1]):
                    return False
            elif op is c.SUBPATTERN:
                if not walk(av[-1].data):
                    return False
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
                if not walk(av[2].data):
                    return False
            elif op in (c.ASSERT, c.ASSERT_NOT):
                if not walk(av[1].data):
                    return False
            elif op is c.ATOMIC_GROUP:
                if not walk(av.data):
                    return False
        return True

    return walk(_parser.parse(cue).data)


def _folds_to_ascii(first: int, last: int) -> bool:
    """Whether a non-ASCII character in first..last has an ASCII letter among its case
    forms (then it may match ASCII text case-insensitively); ASCII ones are safe."""
    if last - first > 4096:
        return True  # a wide range: not worth checking, not narrowed
    for code in range(max(first, 128), last + 1):
        char = chr(code)
        if any(form.isascii() for form in char.lower() + char.upper() + char.casefold()):
            return True
    return False
