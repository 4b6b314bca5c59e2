"""Cue detection as it was before the single automaton pass: the reference of
test_cue_scan_equality.py and bench/bench_cues.py.

Frozen copy of the search layer (``Cues.search``: a substring gate per cue list, then
the requirement checks, then the regex; ``CueSection.search``: one language after the
other) and of every caller that searched cue by cue: complaint signals, frustration,
refusals, failures per conversation and quality per conversation. What did not change
(the compiled cue books, the result types, the finding constructors, ``_dedupe``) is
imported. Not used by the service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from convoscope_analyzer.engine import cues as cue_module
from convoscope_analyzer.engine.complaints import (
    CAPS_MIN_LETTERS,
    CAPS_SHARE,
    COMPLAINT_WINDOW,
    REASK_MIN_WORDS,
    REASK_ORDER,
    REASK_OVERLAP,
    STRONG,
    WEAK,
    Signal,
    Turn,
    is_complaint,
)
from convoscope_analyzer.engine.cues import CueBook, CueMatch, normalise, profanity_words
from convoscope_analyzer.engine.failures import (
    _GENERIC,
    _GENERIC_DEFAULT,
    REFUSAL_SEVERITY,
    REGENERATION_SEVERITY,
    TOOL_ERROR_SEVERITY,
    _dedupe,
    _finding,
    _public,
)
from convoscope_analyzer.engine.prepared import PreparedConversation
from convoscope_analyzer.engine.quality import (
    LONG_GAP_S,
    MONOLOGUE_WORDS,
    POSITIVE_COMPOUND,
    QUICK_RESPONSE_S,
)
from convoscope_analyzer.engine.text import code_blocks, is_question
from convoscope_common.corpus import Message
from convoscope_common.results import (
    ConversationQuality,
    Failure,
    FailureSignal,
    FailureType,
    MessageSentiment,
    Severity,
    TaskCompletion,
)

# --- the search layer -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cues:
    language: str
    pattern: re.Pattern[str]
    gate: tuple[str, ...] | None = None
    folded: bool = True
    requirements: tuple[tuple[tuple[str, ...], ...], ...] | None = None

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        if self.gate is not None:
            haystack = (lowered if lowered is not None else text.lower()) if self.folded else text
            if not any(map(haystack.__contains__, self.gate)):
                return None
            if self.requirements is not None and not meets_requirements(
                self.requirements, haystack
            ):
                return None
        return self.pattern.search(text)


def meets_requirements(
    requirements: tuple[tuple[tuple[str, ...], ...], ...], haystack: str
) -> bool:
    contains = haystack.__contains__
    for parts in requirements:
        for alternatives in parts:
            if not any(map(contains, alternatives)):
                break
        else:
            return True
    return False


@dataclass(frozen=True, slots=True)
class CueSection:
    patterns: tuple[Cues, ...] = ()

    def search(self, text: str, lowered: str | None = None) -> CueMatch | None:
        for cues in self.patterns:
            match = cues.search(text, lowered)
            if match:
                return CueMatch(cues.language, match.group(0))
        return None


@dataclass(frozen=True, slots=True)
class ComplaintCue:
    type: FailureType
    severity: Severity
    cues: Cues


class ReferenceBook:
    """A shipped cue book's compiled cues, searched the old way."""

    def __init__(self, book: CueBook) -> None:
        def old(c: cue_module.Cues) -> Cues:
            return Cues(c.language, c.pattern, c.gate, c.folded, c.requirements)

        self.complaints = tuple(
            ComplaintCue(rule.type, rule.severity, old(rule.cues)) for rule in book.complaints
        )
        self.sections = {
            name: CueSection(tuple(old(c) for c in section.patterns))
            for name, section in book.sections.items()
        }

    def section(self, name: str) -> CueSection:
        return self.sections.get(name, CueSection())


_WRAPPED: dict[int, tuple[CueBook, ReferenceBook]] = {}


def reference_book(language: str | None) -> ReferenceBook:
    """The reference search over the cues of ``language``: ``cues_for`` as the old code
    called it for every message, then this book's old-style wrapper (one dict lookup)."""
    book = cue_module.cues_for(language)
    entry = _WRAPPED.get(id(book))
    if entry is None or entry[0] is not book:
        entry = _WRAPPED[id(book)] = (book, ReferenceBook(book))
    return entry[1]


# --- complaints.py ----------------------------------------------------------------------

_SENTENCES = re.compile(r"(?<=[.!?;\n])\s+|(?<=[。！？])")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
_STOP = frozenset(
    "a an the to of in on for and or but is are was be do does did i me my you your it "
    "this that how what why when where which who can could would should will with at by "
    "from as so if please just now then there here some any get".split()
)


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCES.split(text) if s.strip()]


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


def caps_share(text: str) -> tuple[int, float]:
    prose = text.split("```")[0]
    upper = sum(map(str.isupper, prose))
    if upper < CAPS_MIN_LETTERS:
        return upper, 0.0
    letters = sum(map(str.isalpha, prose))
    return letters, upper / letters


def is_reask(turn: str, question: str) -> float:
    a, b = content_words(turn), content_words(question)
    if len(a) < REASK_MIN_WORDS or len(b) < REASK_MIN_WORDS:
        return 0.0
    overlap = len(set(a) & set(b)) / len(set(a) | set(b))
    if overlap < REASK_OVERLAP:
        return 0.0
    order = SequenceMatcher(None, a, b).ratio()
    return round(order, 2) if order >= REASK_ORDER else 0.0


def _aimed(book: ReferenceBook, text: str) -> CueMatch | None:
    negative, target = book.section("aimed_negativity"), book.section("target")
    if negative.search(text) is None:
        return None
    for sentence in sentences(text):
        hit = negative.search(sentence)
        if hit and target.search(sentence.strip()):
            return hit
    return None


def _profanity(book: ReferenceBook, text: str) -> tuple[list[str], bool]:
    words = profanity_words()
    if words.isdisjoint(_WORD.findall(text.lower())):
        return [], False
    found: list[str] = []
    aimed = False
    target = book.section("target")
    for sentence in sentences(text):
        hits = [w for w in _WORD.findall(sentence.lower()) if w in words]
        if hits:
            found.extend(hits)
            aimed = aimed or bool(target.search(sentence.strip()))
    return found, aimed


def _error_after_code(book: ReferenceBook, turn: Turn, head: str) -> CueMatch | None:
    hit = book.section("error_output").search(head)
    if hit is None or not book.section("code").search(turn.answer):
        return None
    if book.section("asks_for_output").search(turn.answer):
        return None
    return hit


def _still(book: ReferenceBook, head: str) -> CueMatch | None:
    still = book.section("still")
    hit = still.search(head)
    if hit is None:
        return None
    exclude = book.section("still_exclude").search(head)
    if exclude is None:
        return hit
    return still.search(head.replace(exclude.text, " "))


def _apology(book: ReferenceBook, turn: Turn) -> tuple[CueMatch, float] | None:
    if not turn.next_text:
        return None
    opening = normalise(turn.next_text[:200])
    if book.section("refusal").search(opening) or book.section("apology_exclude").search(opening):
        return None
    if (hit := book.section("apology").search(opening)) is not None:
        return hit, STRONG
    if (hit := book.section("concession").search(opening)) is not None:
        return hit, WEAK
    return None


def turn_signals(book: ReferenceBook, turn: Turn) -> list[Signal]:
    head = normalise(turn.text[:COMPLAINT_WINDOW])
    uid = turn.message_id
    signals: list[Signal] = []
    lowered = head.lower()
    for rule in book.complaints:
        match = rule.cues.search(head, lowered)
        if match:
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
    if (hit := _aimed(book, head)) is not None:
        signals.append(Signal("aimed_negativity", hit.text.lower(), hit.language, uid, STRONG))
    if (hit := _error_after_code(book, turn, head)) is not None:
        signals.append(Signal("error_after_code", hit.text.strip()[:80], "*", uid, STRONG))
    if (hit := _still(book, head)) is not None:
        signals.append(Signal("still_after_fix", hit.text.lower(), hit.language, uid, STRONG))
    if turn.question is not None and (similar := is_reask(head, turn.question)):
        signals.append(Signal("reask", f"same question again ({similar:.2f})", "*", uid, STRONG))
    if (hit := book.section("redo").search(head)) is not None:
        signals.append(Signal("redo", hit.text.lower(), hit.language, uid, WEAK))
    letters, share = caps_share(head)
    if letters >= CAPS_MIN_LETTERS and share >= CAPS_SHARE:
        signals.append(Signal("caps", f"{share:.0%} capitals", "*", uid, WEAK))
    profane, aimed = _profanity(book, head)
    if profane:
        weight = STRONG if aimed else WEAK
        cue = ", ".join(sorted(set(profane)))
        signals.append(Signal("profanity", cue, "*", uid, weight))
    if turn.next_id is not None and (conceded := _apology(book, turn)) is not None:
        hit, weight = conceded
        signals.append(Signal("apology_next", hit.text.lower(), hit.language, turn.next_id, weight))
    return signals


def frustration_cue(book: ReferenceBook, text: str) -> str | None:
    head = normalise(text[:COMPLAINT_WINDOW])
    if (hit := _aimed(book, head)) is not None:
        return hit.text.lower()
    profane, aimed = _profanity(book, head)
    if profane and aimed:
        return ", ".join(sorted(set(profane)))
    if (hit := book.section("frustration").search(head)) is not None:
        return hit.text.lower()
    return None


# --- failures.py --------------------------------------------------------------------------


def is_refusal(book: ReferenceBook, text: str) -> str | None:
    hit = book.section("refusal").search(normalise(text[:COMPLAINT_WINDOW]))
    return hit.text.lower() if hit else None


def _complaint_findings(
    cid: str, answer: Message, turn: Turn, book: ReferenceBook
) -> list[Failure]:
    signals = turn_signals(book, turn)
    if not is_complaint(signals):
        return []
    public = [_public(s) for s in signals]
    ids = [turn.message_id]
    phrases = [
        _finding(cid, answer, s.type, s.severity, "user_complaint", ids, s.cue, public)
        for s in signals
        if s.kind == "phrase" and s.type is not None and s.severity is not None
    ]
    if phrases:
        return phrases
    strongest = max(signals, key=lambda s: (s.weight, s.kind in _GENERIC))
    type_, severity = _GENERIC.get(strongest.kind, _GENERIC_DEFAULT)
    return [_finding(cid, answer, type_, severity, "user_complaint", ids, strongest.cue, public)]


def detect_conversation_failures(item: PreparedConversation) -> list[Failure]:
    findings: list[Failure] = []
    messages = [pm.message for pm in item.messages]
    languages = [pm.language for pm in item.messages]
    cid = item.id
    for index, message in enumerate(messages):
        if message.role != "assistant":
            continue
        following = messages[index + 1] if index + 1 < len(messages) else None
        reply = following if following is not None and following.role == "user" else None
        answer_book = reference_book(languages[index])
        reply_book = reference_book(languages[index + 1] if reply is not None else None)
        refusal = is_refusal(answer_book, message.text)
        if refusal:
            pushback = (
                reply_book.section("pushback").search(normalise(reply.text[:COMPLAINT_WINDOW]))
                if reply
                else None
            )
            ids = [message.id] + ([reply.id] if pushback and reply else [])
            severity: Severity = "high" if pushback else REFUSAL_SEVERITY
            signals = [
                FailureSignal(
                    kind="refusal_phrase", cue=refusal[:80], message_id=message.id, weight=STRONG
                )
            ]
            if pushback and reply:
                signals.append(
                    FailureSignal(
                        kind="pushback",
                        cue=pushback.text.lower()[:80],
                        language=pushback.language,
                        message_id=reply.id,
                        weight=STRONG,
                    )
                )
            findings.append(
                _finding(
                    cid, message, "unnecessary_refusal", severity, "refusal", ids, refusal, signals
                )
            )
        errors = [result for result in message.tool_results if result.is_error]
        if errors:
            names = sorted({result.name or "tool" for result in errors})
            matched = f"{len(errors)} tool error(s): {', '.join(names)}"
            findings.append(
                _finding(
                    cid,
                    message,
                    "tool_misuse",
                    TOOL_ERROR_SEVERITY,
                    "tool_error",
                    [message.id],
                    matched,
                    [
                        FailureSignal(
                            kind="tool_error", cue=matched, message_id=message.id, weight=STRONG
                        )
                    ],
                )
            )
        if message.abandoned_alternatives:
            matched = f"regenerated {message.abandoned_alternatives}x"
            findings.append(
                _finding(
                    cid,
                    message,
                    "accuracy_error",
                    REGENERATION_SEVERITY,
                    "regeneration",
                    [message.id],
                    matched,
                    [
                        FailureSignal(
                            kind="regeneration", cue=matched, message_id=message.id, weight=STRONG
                        )
                    ],
                )
            )
        if reply is None:
            continue
        if reply.abandoned_alternatives:
            matched = f"prompt edited {reply.abandoned_alternatives}x"
            findings.append(
                _finding(
                    cid,
                    message,
                    "misunderstanding",
                    REGENERATION_SEVERITY,
                    "regeneration",
                    [reply.id],
                    matched,
                    [
                        FailureSignal(
                            kind="regeneration", cue=matched, message_id=reply.id, weight=STRONG
                        )
                    ],
                )
            )
        question = messages[index - 1] if index > 0 and messages[index - 1].role == "user" else None
        after = messages[index + 2] if index + 2 < len(messages) else None
        answer_next = after if after is not None and after.role == "assistant" else None
        turn = Turn(
            message_id=reply.id,
            text=reply.text,
            answer_id=message.id,
            answer=message.text,
            question=question.text if question is not None else None,
            next_id=answer_next.id if answer_next is not None else None,
            next_text=answer_next.text if answer_next is not None else None,
        )
        findings.extend(_complaint_findings(cid, message, turn, reply_book))
    return _dedupe(findings)


# --- quality.py ---------------------------------------------------------------------------


def _completion(item: PreparedConversation, failed: set[str]) -> tuple[TaskCompletion, float]:
    messages = [pm.message for pm in item.messages]
    last = messages[-1]
    user_pm = next((pm for pm in reversed(item.messages) if pm.message.role == "user"), None)
    assistant_pm = next(
        (pm for pm in reversed(item.messages) if pm.message.role == "assistant"), None
    )
    last_user = user_pm.message if user_pm is not None else None
    last_assistant = assistant_pm.message if assistant_pm is not None else None
    user_book = reference_book(user_pm.language if user_pm is not None else None)
    success = user_book.section("thanks")
    if last_user is not None and success.search(last_user.text) and last_user is messages[-1]:
        return "completed", 0.9
    if last_user is not None and user_book.section("blocked").search(last_user.text):
        return "blocked", 0.8
    if assistant_pm is not None and is_refusal(
        reference_book(assistant_pm.language), assistant_pm.message.text
    ):
        return "blocked", 0.7
    if last_user is not None and success.search(last_user.text):
        return "completed", 0.8
    if last.role == "user":
        return "abandoned", 0.6
    if last_assistant is not None and last_assistant.id in failed:
        return "abandoned", 0.5
    if last.text.rstrip().endswith("?"):
        return "in_progress", 0.6
    return "completed", 0.5


def assess_conversation(
    item: PreparedConversation,
    findings: list[Failure],
    sentiments: dict[str, MessageSentiment],
) -> ConversationQuality:
    complaint_targets = {f.message_id for f in findings if f.evidence == "user_complaint"}
    failed = {f.message_id for f in findings}
    turns = questions = blocks = clarifications = 0
    interruptions = monologues = quick = gaps = 0
    collaborative = 0
    effectiveness: list[float] = []
    previous = None
    for pm in item.messages:
        message = pm.message
        book = reference_book(pm.language)
        blocks += code_blocks(message.text)
        if pm.words >= MONOLOGUE_WORDS:
            monologues += 1
        if message.role == "user":
            turns += 1
            questions += is_question(message.text)
            sentiment = sentiments.get(message.id)
            collaborative += bool(sentiment and sentiment.collaborative)
            if previous is not None and previous.message.role == "user":
                interruptions += 1
            if previous is not None and previous.message.role == "assistant":
                if previous.message.id in complaint_targets:
                    effectiveness.append(0.0)
                elif book.section("thanks").search(message.text[:400]) or (
                    sentiment is not None and sentiment.compound >= POSITIVE_COMPOUND
                ):
                    effectiveness.append(1.0)
                else:
                    effectiveness.append(0.5)
                if previous.local and pm.local:
                    if (pm.local - previous.local).total_seconds() <= QUICK_RESPONSE_S:
                        quick += 1
        elif book.section("clarification").search(message.text):
            clarifications += 1
        if previous is not None and previous.local and pm.local:
            if (pm.local - previous.local).total_seconds() > LONG_GAP_S:
                gaps += 1
        previous = pm
    assistant = sum(1 for pm in item.messages if pm.message.role == "assistant")
    failed_share = len(failed) / assistant if assistant else 0.0
    collaboration = (
        0.35 * min(1.0, turns / 4)
        + 0.35 * (1.0 - failed_share)
        + 0.3 * (collaborative / turns if turns else 0.0)
    )
    completion, confidence = _completion(item, failed)
    return ConversationQuality(
        conversation_id=item.id,
        task_completion=completion,
        completion_confidence=confidence,
        collaboration_score=round(collaboration, 4),
        turns=turns,
        user_questions=questions,
        code_blocks=blocks,
        clarification_requests=clarifications,
        interruptions=interruptions,
        monologues=monologues,
        quick_responses=quick,
        long_gaps=gaps,
        response_effectiveness=(
            round(sum(effectiveness) / len(effectiveness), 4) if effectiveness else None
        ),
        failures=len(findings),
    )
