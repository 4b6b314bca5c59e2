"""Is a user's turn a complaint about the assistant's last answer? Read from the
conversation, not only from keywords.

Each cue that fires is a :class:`Signal` with a weight; a turn is a complaint when the
weights add up to :data:`COMPLAINT_THRESHOLD`. Strong signals (an explicit complaint
phrase, negativity aimed at the assistant, error output right after the assistant's
code, "still" after a fix, the same question asked again, the next answer conceding a
mistake) suffice alone; weak ones (all caps, profanity not aimed at anyone, a redo
request, a bare concession) need company.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import filterfalse

from convoscope_analyzer.engine.cue_scan import Scan, cue_group
from convoscope_analyzer.engine.cues import CueBook, CueMatch, normalise, profanity_words
from convoscope_common.results import FailureType, Severity

# Only the start of the user's turn is read: a long paste later in the message is not
# a complaint about the previous answer.
COMPLAINT_WINDOW = 400
COMPLAINT_THRESHOLD = 1.0
STRONG = 1.0
WEAK = 0.5
# All caps: at least this many letters, this share of them upper case.
CAPS_MIN_LETTERS = 12
CAPS_SHARE = 0.7
# A re-ask: content words (Jaccard) and their order both this similar to the question
# the answer replied to.
REASK_OVERLAP = 0.7
REASK_ORDER = 0.6
REASK_MIN_WORDS = 3

_SENTENCES = re.compile(r"(?<=[.!?;\n])\s+|(?<=[。！？])")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
# _WORD on ASCII text: its word characters are exactly the ASCII letters and digits.
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z0-9]+)?")
# Every ASCII character is a key (letters and digits map to themselves): str.translate
# caches a character it finds in the table, but looks a missing one up (and raises
# LookupError inside) again in every call.
_ASCII_NON_WORD = str.maketrans(
    {chr(code): chr(code) if chr(code).isalnum() else " " for code in range(128)}
)
_STOP = frozenset(
    "a an the to of in on for and or but is are was be do does did i me my you your it "
    "this that how what why when where which who can could would should will with at by "
    "from as so if please just now then there here some any get".split()
)
_CAPITALS = string.ascii_uppercase.encode()
_LETTERS = string.ascii_letters.encode()
# The sections read on a user's turn (with every complaint rule), found in one pass.
TURN_SECTIONS = ("aimed_negativity", "error_output", "still", "still_exclude", "redo")
FRUSTRATION_SECTIONS = ("aimed_negativity", "frustration")
# Read on the opening of the assistant's next answer.
OPENING_SECTIONS = ("refusal", "apology_exclude", "apology", "concession")
# A user message's head read once for both its readers (the sentiment's frustration cue,
# the failures' complaint rules): every section either reads, in one automaton pass.
USER_SECTIONS = (*TURN_SECTIONS, "frustration")


@dataclass(frozen=True, slots=True)
class Signal:
    """One cue that fired for a turn: what kind, the words, where, and its weight."""

    kind: str
    cue: str
    language: str
    message_id: str
    weight: float
    type: FailureType | None = None  # the failure type an explicit phrase names
    severity: Severity | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    """A user turn with the messages around it (ids and text only)."""

    message_id: str
    text: str
    answer_id: str  # the assistant answer it follows
    answer: str
    question: str | None = None  # the user turn that answer replied to
    next_id: str | None = None  # the assistant's next answer
    next_text: str | None = None
    # The question's content words when the caller already has them (the question was
    # the previous turn, read whole): saves splitting it again.
    question_words: list[str] | None = None


def sentences(text: str) -> list[str]:
    """The text split into rough sentences (and lines)."""
    return [s for s in _SENTENCES.split(text) if s.strip()]


def words_of(text: str) -> list[str]:
    """The words of ``text`` (letters and digits, an inner apostrophe allowed), in order:
    ``_WORD.findall(text)``, quicker on ASCII text."""
    if not text.isascii():
        return _WORD.findall(text)
    if "'" in text:
        return _ASCII_WORD.findall(text)
    # Without apostrophes a word is a run of letters and digits: the rest becomes spaces.
    return text.translate(_ASCII_NON_WORD).split()


def content_words(text: str) -> list[str]:
    """Lower-cased words without the commonest function words."""
    return list(filterfalse(_STOP.__contains__, words_of(text.lower())))


def caps_share(text: str) -> tuple[int, float]:
    """(letters, share of them upper case), ignoring code fences."""
    prose = text.split("```")[0]
    ascii_prose = prose.encode("ascii") if prose.isascii() else None
    if ascii_prose is not None:
        # ASCII capitals are exactly A-Z: count them by deleting them (bytes, in C).
        upper = len(ascii_prose) - len(ascii_prose.translate(None, _CAPITALS))
    else:
        upper = sum(map(str.isupper, prose))
    if upper < CAPS_MIN_LETTERS:
        return upper, 0.0  # too few capitals to matter: skip counting the rest
    if ascii_prose is not None:
        letters = len(ascii_prose) - len(ascii_prose.translate(None, _LETTERS))
    else:
        letters = sum(map(str.isalpha, prose))
    return letters, upper / letters


def is_reask(turn: str, question: str) -> float:
    """How much ``turn`` repeats ``question`` (0 when it does not)."""
    return _reask(content_words(turn), question)


def _reask(a: list[str], question: str, b: list[str] | None = None) -> float:
    """:func:`is_reask` from the turn's content words (and the question's, if known)."""
    if len(a) < REASK_MIN_WORDS:
        return 0.0  # the question's words are not needed
    if b is None:
        b = content_words(question)
    if len(b) < REASK_MIN_WORDS:
        return 0.0
    first, second = set(a), set(b)
    common = len(first & second)
    overlap = common / (len(first) + len(second) - common)  # Jaccard: common / union
    if overlap < REASK_OVERLAP:
        return 0.0
    order = SequenceMatcher(None, a, b).ratio()
    return round(order, 2) if order >= REASK_ORDER else 0.0


def _aimed(book: CueBook, scan: Scan) -> CueMatch | None:
    """Negative words in a sentence that also points at the assistant or its answer."""
    if scan.section("aimed_negativity") is None:
        return None  # the common case: no negative word at all
    negative, target = book.section("aimed_negativity"), book.section("target")
    for sentence in sentences(scan.text):
        hit = negative.search(sentence)
        if hit and target.search(sentence.strip()):
            return hit
    return None


def _profanity(book: CueBook, text: str, lowered_words: list[str]) -> tuple[list[str], bool]:
    """Profane words (maintained list) and whether one shares a sentence with a target;
    ``lowered_words``: the words of ``text.lower()``."""
    words = profanity_words()
    if words.isdisjoint(lowered_words):
        return [], False  # the common case, in one pass
    found: list[str] = []
    aimed = False
    target = book.section("target")
    for sentence in sentences(text):
        hits = [w for w in words_of(sentence.lower()) if w in words]
        if hits:
            found.extend(hits)
            aimed = aimed or bool(target.search(sentence.strip()))
    return found, aimed


def _error_after_code(book: CueBook, turn: Turn, scan: Scan) -> CueMatch | None:
    """Error output pasted right after an answer that gave code or a command (and did
    not ask for that output)."""
    # Cheapest test first: most turns hold no error output.
    hit = scan.section("error_output")
    if hit is None or not book.section("code").search(turn.answer):
        return None
    if book.section("asks_for_output").search(turn.answer):
        return None
    return hit


def _still(book: CueBook, scan: Scan) -> CueMatch | None:
    """ "Still" / "again" / "doesn't work" after a fix, but not "I still don't get it"."""
    hit = scan.section("still")
    if hit is None:
        return None
    exclude = scan.section("still_exclude")
    if exclude is None:
        return hit
    return book.section("still").search(scan.text.replace(exclude.text, " "))


# The opening of an answer read for an apology (the head of the answer is read for a
# refusal: COMPLAINT_WINDOW).
OPENING_WINDOW = 200


def opening_scan(book: CueBook, text: str) -> Scan:
    """The :data:`OPENING_SECTIONS` of ``book`` scanned over the head of an answer that
    :func:`~convoscope_analyzer.engine.failures.is_refusal` reads (``COMPLAINT_WINDOW``):
    its refusal section answers as ``is_refusal``'s, and its mask serves the shorter
    opening :func:`read_turn` reads for an apology (``opening``)."""
    head = normalise(text[:COMPLAINT_WINDOW])
    return cue_group(book, OPENING_SECTIONS).scan(head, head.lower())


def _apology(
    book: CueBook, turn: Turn, opening: Scan | None = None
) -> tuple[CueMatch, float] | None:
    """The next answer opens by conceding a mistake (not when it refuses or condoles):
    an apology is strong, a bare "sorry," or "fair enough" weak."""
    if not turn.next_text:
        return None
    head = normalise(turn.next_text[:OPENING_WINDOW])
    if opening is None:
        scan = cue_group(book, OPENING_SECTIONS).scan(head)
    else:
        # A longer head's mask: every gate string of the opening is in it, and a list
        # whose gate is not in the opening cannot match there, so the answers are the
        # opening's own (its searches read the opening's text).
        scan = Scan(opening.group, head, head.lower(), opening.mask)
    if scan.section("refusal") or scan.section("apology_exclude"):
        return None
    if (hit := scan.section("apology")) is not None:
        return hit, STRONG
    if (hit := scan.section("concession")) is not None:
        return hit, WEAK
    return None


def user_scan(book: CueBook, text: str) -> Scan:
    """The head of a user message (``COMPLAINT_WINDOW``, apostrophes normalised) scanned
    for ``book``'s complaint rules and :data:`USER_SECTIONS`: what :func:`read_turn` and
    :func:`frustration_cue` read of it (``scan``), computed once per message. A section's
    answer does not depend on the other lists scanned with it."""
    head = normalise(text[:COMPLAINT_WINDOW])
    return cue_group(book, USER_SECTIONS, complaints=True).scan(head, head.lower())


def turn_signals(book: CueBook, turn: Turn) -> list[Signal]:
    """Every complaint cue that fires for one user turn, strongest kinds first."""
    return read_turn(book, turn)[0]


def read_turn(
    book: CueBook, turn: Turn, opening: Scan | None = None, scan: Scan | None = None
) -> tuple[list[Signal], list[str] | None]:
    """:func:`turn_signals`, and the turn's content words when the head read was the
    whole text (then they are its :func:`content_words`, for the next turn's re-ask test).

    ``opening``: the next answer's :func:`opening_scan` with ``book``, and ``scan``: the
    turn's :func:`user_scan` with ``book``, when the caller has them (then they are not
    scanned again)."""
    if scan is None:
        head = normalise(turn.text[:COMPLAINT_WINDOW])
        lowered = head.lower()
        # One automaton pass finds the complaint rules and sections that may match.
        scan = cue_group(book, TURN_SECTIONS, complaints=True).scan(head, lowered)
    else:
        head = scan.text
        lowered = scan.lowered or head.lower()  # ("": a book without any cue)
    uid = turn.message_id
    signals: list[Signal] = []
    for rule, match in scan.complaints():
        signals.append(
            Signal(
                "phrase",
                match.group(0).lower(),
                rule.cues.language,
                uid,
                STRONG,
                rule.type,
                rule.severity,
            )
        )
    if (hit := _aimed(book, scan)) is not None:
        signals.append(Signal("aimed_negativity", hit.text.lower(), hit.language, uid, STRONG))
    if (hit := _error_after_code(book, turn, scan)) is not None:
        signals.append(Signal("error_after_code", hit.text.strip()[:80], "*", uid, STRONG))
    if (hit := _still(book, scan)) is not None:
        signals.append(Signal("still_after_fix", hit.text.lower(), hit.language, uid, STRONG))
    # One word split of the lower-cased head serves the re-ask and the profanity tests.
    words = words_of(lowered)
    content = list(filterfalse(_STOP.__contains__, words))
    if turn.question is not None and (
        similar := _reask(content, turn.question, turn.question_words)
    ):
        signals.append(Signal("reask", f"same question again ({similar:.2f})", "*", uid, STRONG))
    if (hit := scan.section("redo")) is not None:
        signals.append(Signal("redo", hit.text.lower(), hit.language, uid, WEAK))
    letters, share = caps_share(head)
    if letters >= CAPS_MIN_LETTERS and share >= CAPS_SHARE:
        signals.append(Signal("caps", f"{share:.0%} capitals", "*", uid, WEAK))
    profane, aimed = _profanity(book, head, words)
    if profane:
        weight = STRONG if aimed else WEAK
        cue = ", ".join(sorted(set(profane)))
        signals.append(Signal("profanity", cue, "*", uid, weight))
    if turn.next_id is not None and (conceded := _apology(book, turn, opening)) is not None:
        hit, weight = conceded
        signals.append(Signal("apology_next", hit.text.lower(), hit.language, turn.next_id, weight))
    return signals, (content if head == turn.text else None)


def frustration_cue(book: CueBook, text: str, scan: Scan | None = None) -> str | None:
    """Frustration in the writer's own words, without the conversation: negativity or
    profanity aimed at the assistant, or a frustration phrase ("still doesn't work").
    ``scan``: the text's :func:`user_scan` with ``book``, when the caller has it."""
    if scan is None:
        head = normalise(text[:COMPLAINT_WINDOW])
        lowered = head.lower()
        scan = cue_group(book, FRUSTRATION_SECTIONS).scan(head, lowered)
    else:
        head = scan.text
        lowered = scan.lowered or head.lower()  # ("": a book without any cue)
    if (hit := _aimed(book, scan)) is not None:
        return hit.text.lower()
    profane, aimed = _profanity(book, head, words_of(lowered))
    if profane and aimed:
        return ", ".join(sorted(set(profane)))
    if (hit := scan.section("frustration")) is not None:
        return hit.text.lower()
    return None


def is_complaint(signals: list[Signal]) -> bool:
    """Do the signals add up to a complaint?"""
    return sum(s.weight for s in signals) >= COMPLAINT_THRESHOLD
