"""Person names (BEST EFFORT): only in places where a name is announced.

Cues: "my name is X", "Dear X", "Hi/Hello X,", "Name: X", and a name line right
after a sign-off ("Best regards,\\nJane Doe"). Precision over recall: anything
that is not a cue is left alone ("Our CEO Satya said..." is not found).
"""

from __future__ import annotations

import re

from convoscope_analyzer.privacy.candidates import Candidates, find_candidates
from convoscope_analyzer.privacy.casefold import lower_same_length
from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.entities import PERSON_NAME

NAME_PRIORITY = 20

_WORD = r"(?:[A-Z]')?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"  # Anna, O'Brien, Smith-Jones
_NAME = rf"{_WORD}(?:[ ][A-Z]\.)?(?:[ ]{_WORD}){{0,2}}"
_TITLE = r"(?:(?:Dr|Mr|Mrs|Ms|Mx|Prof)\.?[ ])?"
# Line cues, matched at the start of the text and after each newline (the candidate
# pass found the newlines).
_LINE_CUE = re.compile(
    rf"[ \t]*(?:"
    rf"(?:Dear|Hi|Hello|Hey)[ ]{_TITLE}({_NAME})[ \t]*[,!:]"
    rf"|(?:Name|Full name|Contact|Customer|Patient|Author|From|Signed)[ \t]*:[ \t]*{_TITLE}"
    rf"({_NAME})[ \t]*(?=$|\n|<|,)"
    rf"|(?:Best(?: regards)?|Kind regards|Regards|Cheers|Thanks|Thank you|Sincerely"
    rf"|Warm regards|Best wishes|All the best),?[ \t]*\n[ \t]*({_NAME})[ \t]*(?=$|\n))"
)
_INTRO_CUES = ("my name is ", "my name's ")
_TEXT_START = (-1,)  # the "newline" before the first line
_INTRO_NAME = re.compile(_NAME)
# Capitalised words that follow cues but are not people.
_NOT_NAMES = frozenset(
    "All Team Everyone Everybody There Sir Madam Sirs Customer Support Hiring Manager Claude "
    "ChatGPT Assistant World Folks Guys Friends Colleagues Again Both You Ai Gpt Bot Admin "
    "Administrator User Sales Billing Service Services Recruiter Committee Board Reader "
    "Editor Doctor The Our My Your This That".split()
)


def find_names(
    text: str, lowered: str | None = None, candidates: Candidates | None = None
) -> list[Detection]:
    """Names announced by a cue; the span is the name only, never the cue word.

    Line cues are tried at the line starts of ``candidates``, "my name is" at its hits
    (``candidates`` are found here when not given).
    """
    if candidates is None:
        lowered = lower_same_length(text) if lowered is None else lowered
        candidates = find_candidates(text, lowered)
    found: list[Detection] = []
    newlines = candidates.newlines
    end = -1  # where the last cue ended: a cue never starts inside another (sign-offs span lines)
    for newline in (-1, *newlines) if newlines else _TEXT_START:
        if newline < end:
            continue
        m = _LINE_CUE.match(text, newline + 1)
        if m is None:
            continue
        end = m.end()
        group = next(g for g in (1, 2, 3) if m.group(g) is not None)
        _add(found, m.group(group), m.start(group))
    if "my name" not in candidates.hits:
        return found
    for cue in _INTRO_CUES:
        for hit in candidates.hits_of(cue):
            intro = _INTRO_NAME.match(text, hit + len(cue))
            if intro is not None:
                _add(found, intro.group(), intro.start())
    return found


def _add(found: list[Detection], name: str, start: int) -> None:
    if name.split()[0] in _NOT_NAMES or name in _NOT_NAMES:
        return
    found.append(Detection(PERSON_NAME, start, start + len(name), "name", NAME_PRIORITY))
