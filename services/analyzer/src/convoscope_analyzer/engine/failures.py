"""Assistant failures, each detected from the evidence that shows it.

- user_complaint: the user's next turn complains (:mod:`complaints` reads the turn with
  the answer before it, the question that answer replied to and the next answer);
  attributed to the assistant message right before the turn.
- refusal: the assistant's own text refuses (raised to high severity when the user
  pushes back in the next turn).
- tool_error: a tool result the export flags as an error.
- regeneration: the user regenerated the answer or edited the prompt
  (``Message.abandoned_alternatives``); the cause is unknown, so low severity.

Every finding carries its ``signals``: the kind of each cue, the words, the language
of the cue file and the message it was read in. Cue lists live in ``data/cues/``.
"""

from __future__ import annotations

from convoscope_analyzer.engine.complaints import (
    COMPLAINT_WINDOW,
    STRONG,
    Signal,
    Turn,
    is_complaint,
    opening_scan,
    read_turn,
)
from convoscope_analyzer.engine.cue_scan import Scan, cue_group
from convoscope_analyzer.engine.cues import CueBook, cues_for, normalise
from convoscope_analyzer.engine.prepared import PreparedConversation
from convoscope_analyzer.engine.progress import ProgressTracker
from convoscope_common.aggregates.sections import failure_summary
from convoscope_common.corpus import Message
from convoscope_common.results import (
    SEVERITIES,
    Failure,
    FailureEvidence,
    FailureSignal,
    FailureSummary,
    FailureType,
    Severity,
)

__all__ = ["COMPLAINT_WINDOW", "analyze_failures", "detect_conversation_failures", "is_refusal"]

# Evidence severity for findings without a complaint phrase.
REFUSAL_SEVERITY: Severity = "medium"
TOOL_ERROR_SEVERITY: Severity = "medium"
REGENERATION_SEVERITY: Severity = "low"
# A complaint without an explicit phrase: what its strongest signal says went wrong.
_GENERIC: dict[str, tuple[FailureType, Severity]] = {
    "error_after_code": ("accuracy_error", "high"),
    "still_after_fix": ("accuracy_error", "high"),
    "reask": ("misunderstanding", "medium"),
}
_GENERIC_DEFAULT: tuple[FailureType, Severity] = ("accuracy_error", "medium")
_REFUSAL = ("refusal",)


def _public(signal: Signal) -> FailureSignal:
    return FailureSignal(
        kind=signal.kind,  # type: ignore[arg-type]
        cue=signal.cue[:80],
        language=signal.language,
        message_id=signal.message_id,
        weight=signal.weight,
    )


def _finding(
    conversation_id: str,
    message: Message,
    type_: FailureType,
    severity: Severity,
    evidence: FailureEvidence,
    evidence_ids: list[str],
    matched: str,
    signals: list[FailureSignal],
) -> Failure:
    return Failure(
        id=f"{conversation_id}:{message.id}:{type_}:{evidence}",
        type=type_,
        severity=severity,
        evidence=evidence,
        conversation_id=conversation_id,
        message_id=message.id,
        evidence_message_ids=evidence_ids,
        matched=matched[:80],
        signals=signals,
    )


def is_refusal(book: CueBook, text: str) -> str | None:
    """The refusal words at the start of an assistant answer, if it refuses."""
    hit = cue_group(book, _REFUSAL).scan(normalise(text[:COMPLAINT_WINDOW])).section("refusal")
    return hit.text.lower() if hit else None


def _refusal_in(opening: Scan) -> str | None:
    # is_refusal from the answer's opening_scan (the same head, the same refusal lists).
    hit = opening.section("refusal")
    return hit.text.lower() if hit else None


def _complaint_findings(
    cid: str, answer: Message, turn: Turn, signals: list[Signal]
) -> list[Failure]:
    if not signals or not is_complaint(signals):
        return []  # (most turns fire no cue at all)
    public = [_public(s) for s in signals]
    ids = [turn.message_id]  # the next answer's concession is named in its signal
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


def detect_conversation_failures(
    item: PreparedConversation,
    book: CueBook | None = None,
    scans: dict[int, tuple[CueBook, Scan]] | None = None,
) -> list[Failure]:
    """Every finding in one conversation, in message order.

    Without ``book`` each message is read with the cues of its detected language
    (an answer with its own, a user turn with the user's); a language without a cue
    file gets the language-independent ones only. ``scans``: user messages'
    :func:`~.complaints.user_scan` by ``id`` of the prepared message, with the book
    each was made with (the sentiment's); one made with the turn's book is read instead
    of scanning the turn again (and taken out of ``scans``)."""
    findings: list[Failure] = []
    messages = [pm.message for pm in item.messages]
    languages = [pm.language for pm in item.messages]
    cid = item.id
    # The last user turn read whole, with its content words: the next turn's question.
    carried: tuple[Message, list[str]] | None = None
    # Each answer's opening_scan, by position, with the book it was made with: made for
    # the turn before the answer (its apology test) or for the answer itself (refusal),
    # and used by both when the books agree.
    openings: dict[int, tuple[CueBook, Scan]] = {}
    for index, message in enumerate(messages):
        if message.role != "assistant":
            continue
        following = messages[index + 1] if index + 1 < len(messages) else None
        reply = following if following is not None and following.role == "user" else None
        answer_book = book or cues_for(languages[index])
        reply_book = book or cues_for(languages[index + 1] if reply is not None else None)
        known = openings.pop(index, None)
        if known is not None and known[0] is answer_book:
            opening = known[1]
        else:
            opening = opening_scan(answer_book, message.text)
        refusal = _refusal_in(opening)
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
        errors = (
            [result for result in message.tool_results if result.is_error]
            if message.tool_results
            else None
        )
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
            # An edited prompt: the user rephrased because the answer missed the point.
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
            question_words=carried[1] if carried is not None and carried[0] is question else None,
        )
        next_opening = None
        if answer_next is not None:
            next_opening = opening_scan(reply_book, answer_next.text)
            openings[index + 2] = (reply_book, next_opening)
        scanned = scans.pop(id(item.messages[index + 1]), None) if scans else None
        cues_fired, content = read_turn(
            reply_book,
            turn,
            next_opening,
            scanned[1] if scanned is not None and scanned[0] is reply_book else None,
        )
        carried = (reply, content) if content is not None else None
        findings.extend(_complaint_findings(cid, message, turn, cues_fired))
    return _dedupe(findings)


def _dedupe(findings: list[Failure]) -> list[Failure]:
    """One finding per (message, type): the most severe; on ties a user complaint, else
    the first seen."""
    rank = {severity: i for i, severity in enumerate(SEVERITIES)}

    # A complaint wins a tie (a tool error and "wrong tool" are both medium tool_misuse):
    # it names the user's turn, which quality scores as a complaint and drill-down shows.
    def order(finding: Failure) -> tuple[int, bool]:
        return rank[finding.severity], finding.evidence != "user_complaint"

    best: dict[tuple[str, str], Failure] = {}
    for finding in findings:
        key = (finding.message_id, finding.type)
        old = best.get(key)
        if old is None or order(finding) < order(old):
            best[key] = finding
    return list(best.values())


def analyze_failures(
    conversations: list[PreparedConversation],
    tracker: ProgressTracker,
    scans: dict[int, tuple[CueBook, Scan]] | None = None,
) -> FailureSummary:
    """All findings plus counts; failure rate = assistant messages with a finding / all.
    ``scans``: what :func:`~.sentiment.score_messages` left (see
    :func:`detect_conversation_failures`)."""
    findings: list[Failure] = []
    assistant_messages = 0
    for item in conversations:
        tracker.tick(len(item.messages))
        assistant_messages += sum(1 for pm in item.messages if pm.message.role == "assistant")
        findings.extend(detect_conversation_failures(item, None, scans))
    return failure_summary(findings, assistant_messages)
