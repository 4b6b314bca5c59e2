"""Quality per conversation: task completion, collaboration, flow, effectiveness."""

from __future__ import annotations

from convoscope_analyzer.engine.cues import CueSection, cues_for
from convoscope_analyzer.engine.failures import is_refusal
from convoscope_analyzer.engine.prepared import PreparedConversation
from convoscope_analyzer.engine.progress import ProgressTracker
from convoscope_analyzer.engine.text import code_blocks, is_question
from convoscope_common.aggregates.sections import quality_summary
from convoscope_common.results import (
    ConversationQuality,
    Failure,
    FailureSummary,
    MessageSentiment,
    Quality,
    TaskCompletion,
)

MONOLOGUE_WORDS = 500
QUICK_RESPONSE_S = 60
LONG_GAP_S = 3600
# The next user turn scores the assistant answer: success 1, neutral 0.5, complaint 0.
POSITIVE_COMPOUND = 0.5

# Thanks, "still fails" and clarification cues come from the cue files (data/cues/),
# in the message's detected language (every language when it was not detected).


def _completion(item: PreparedConversation, failed: set[str]) -> tuple[TaskCompletion, float]:
    messages = [pm.message for pm in item.messages]
    last = messages[-1]
    user_pm = next((pm for pm in reversed(item.messages) if pm.message.role == "user"), None)
    assistant_pm = next(
        (pm for pm in reversed(item.messages) if pm.message.role == "assistant"), None
    )
    last_user = user_pm.message if user_pm is not None else None
    last_assistant = assistant_pm.message if assistant_pm is not None else None
    user_book = cues_for(user_pm.language if user_pm is not None else None)
    # Whether the last user message thanks: searched once, read by two rules.
    thanked = last_user is not None and user_book.section("thanks").search(last_user.text)
    if thanked and last_user is messages[-1]:
        return "completed", 0.9
    if last_user is not None and user_book.section("blocked").search(last_user.text):
        return "blocked", 0.8
    if assistant_pm is not None and is_refusal(
        cues_for(assistant_pm.language), assistant_pm.message.text
    ):
        return "blocked", 0.7
    if thanked:
        return "completed", 0.8
    if last.role == "user":
        return "abandoned", 0.6  # the last request never got an answer
    if last_assistant is not None and last_assistant.id in failed:
        return "abandoned", 0.5
    if last.text.rstrip().endswith("?"):
        return "in_progress", 0.6  # the assistant is waiting for the user
    return "completed", 0.5


def assess_conversation(
    item: PreparedConversation,
    findings: list[Failure],
    sentiments: dict[str, MessageSentiment],
) -> ConversationQuality:
    """Quality figures for one non-empty conversation."""
    complaint_targets = {f.message_id for f in findings if f.evidence == "user_complaint"}
    failed = {f.message_id for f in findings}
    turns = questions = blocks = clarifications = 0
    interruptions = monologues = quick = gaps = 0
    collaborative = 0
    effectiveness: list[float] = []
    previous = None
    # The thanks and clarification cues of each language met (cues_for, looked up once
    # per language of the conversation rather than once per message).
    sections: dict[str | None, tuple[CueSection, CueSection]] = {}
    for pm in item.messages:
        message = pm.message
        text = message.text
        cues = sections.get(pm.language)
        if cues is None:
            book = cues_for(pm.language)
            cues = sections[pm.language] = (book.section("thanks"), book.section("clarification"))
        blocks += code_blocks(text)
        if pm.words >= MONOLOGUE_WORDS:
            monologues += 1
        if message.role == "user":
            turns += 1
            questions += is_question(text)
            sentiment = sentiments.get(message.id)
            collaborative += bool(sentiment and sentiment.collaborative)
            if previous is not None and previous.message.role == "user":
                interruptions += 1
            if previous is not None and previous.message.role == "assistant":
                if previous.message.id in complaint_targets:
                    effectiveness.append(0.0)
                elif (sentiment is not None and sentiment.compound >= POSITIVE_COMPOUND) or cues[
                    0
                ].search(text[:400]):
                    # (the score first: a positive message needs no search for thanks)
                    effectiveness.append(1.0)
                else:
                    effectiveness.append(0.5)
                if previous.local and pm.local:
                    if (pm.local - previous.local).total_seconds() <= QUICK_RESPONSE_S:
                        quick += 1
        elif cues[1].search(text):
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


def analyze_quality(
    conversations: list[PreparedConversation],
    failures: FailureSummary,
    sentiments: list[MessageSentiment],
    tracker: ProgressTracker,
) -> Quality:
    """Quality of every non-empty conversation and the corpus-wide means."""
    by_conversation: dict[str, list[Failure]] = {}
    for finding in failures.findings:
        by_conversation.setdefault(finding.conversation_id, []).append(finding)
    by_message = {s.message_id: s for s in sentiments}
    results = []
    for item in conversations:
        tracker.tick(len(item.messages))
        if item.messages:
            results.append(assess_conversation(item, by_conversation.get(item.id, []), by_message))
    return quality_summary(results, failures)
