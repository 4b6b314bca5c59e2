"""Person names (BEST EFFORT): only in places where a name is announced.

Cues: "my name is X", "Dear X", "Hi/Hello X,", "Name: X", and a name line right
after a sign-off ("Best regards,\\nJane Doe"). Precision over recall: anything
that is not a cue is left alone.
"""

from __future__ import annotations

import re

from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.entities import PERSON_NAME

NAME_PRIORITY = 20

_WORD = r"(?:[A-Z]')?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"  # Anna, O'Brien, Smith-Jones
_NAME = rf"{_WORD}(?:[ ][A-Z]\.)?(?:[ ]{_WORD}){{0,2}}"
_CUES = re.compile(
    rf"(?:\b(?i:my name is|my name's)[ ]({_NAME})"
    rf"|(?:^|\n)[ \t]*(?:Dear|Hi|Hello|Hey)[ ](?:(?:Dr|Mr|Mrs|Ms|Mx|Prof)\.?[ ])?({_NAME})[ \t]*[,!:]"
    rf"|(?:^|\n)[ \t]*(?:Name|Full name|Contact|Customer|Patient|Author|From|Signed)[ \t]*:[ \t]*({_NAME})[ \t]*(?=$|\n|<|,)"
    rf"|(?:^|\n)[ \t]*(?:Best(?: regards)?|Kind regards|Regards|Cheers|Thanks|Thank you|Sincerely"
    rf"|Warm regards|Best wishes|All the best),?[ \t]*\n[ \t]*({_NAME})[ \t]*(?=$|\n))"
)
NAME_CUE_HINT = re.compile(
    r"(?i)name|dear|hi |hello|hey |regards|cheers|thanks|thank you|sincerely|best"
    r"|contact|customer|patient|author|from:|signed"
)
# Capitalised words that follow cues but are not people.
_NOT_NAMES = frozenset(
    "All Team Everyone Everybody There Sir Madam Sirs Customer Support Hiring Manager Claude "
    "ChatGPT Assistant World Folks Guys Friends Colleagues Again Both You Y'all Ai Gpt Bot "
    "Admin Administrator User Sales Billing Service Services Recruiter Committee Board Reader "
    "Editor Doctor The Our My Your This That".split()
)


def find_names(text: str) -> list[Detection]:
    """Names announced by a cue; the span is the name only, never the cue word."""
    found: list[Detection] = []
    for m in _CUES.finditer(text):
        group = next(g for g in range(1, 5) if m.group(g) is not None)
        name = m.group(group)
        first = name.split()[0]
        if first in _NOT_NAMES or name in _NOT_NAMES:
            continue
        found.append(Detection(PERSON_NAME, m.start(group), m.end(group), "name", NAME_PRIORITY))
    return found
