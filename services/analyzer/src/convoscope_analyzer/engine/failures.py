"""Assistant failures, each detected from the evidence that shows it.

- user_complaint: the user's next turn complains; attributed to the assistant
  message right before it.
- refusal: the assistant's own text refuses (raised to high severity when the
  user pushes back in the next turn).
- tool_error: a tool result the export flags as an error.
- regeneration: the user regenerated the answer or edited the prompt
  (``Message.abandoned_alternatives``); the cause is unknown, so low severity.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from convoscope_analyzer.engine.prepared import PreparedConversation
from convoscope_analyzer.engine.progress import ProgressTracker
from convoscope_analyzer.engine.text import compile_phrases
from convoscope_common.corpus import Message
from convoscope_common.results import (
    FAILURE_TYPES,
    SEVERITIES,
    Failure,
    FailureEvidence,
    FailureSummary,
    FailureType,
    Severity,
)

# Complaints are read from the start of the next user turn: a long paste later in
# the message is not a complaint about the previous answer.
COMPLAINT_WINDOW = 400


@dataclass(frozen=True, slots=True)
class ComplaintRule:
    """Phrases in a user's turn that point at one failure type."""

    type: FailureType
    severity: Severity
    pattern: re.Pattern[str]


# Ordered: the first rule that matches a turn wins for that type; several types may match.
COMPLAINT_RULES: tuple[ComplaintRule, ...] = (
    ComplaintRule(
        "hallucination",
        "high",
        compile_phrases(
            [
                r"(?:that|this|it) (?:doesn't|does not|didn't) (?:even )?exist",
                r"you made (?:that|this|it) up",
                r"made[- ]up",
                r"hallucinat\w*",
                r"there is no such",
                r"no such (?:function|method|library|package|module|file|option|command)",
                r"not a real",
                r"fabricat\w+",
            ]
        ),
    ),
    ComplaintRule(
        "accuracy_error",
        "high",
        compile_phrases(
            [
                r"(?:that|this|it)(?:'s| is) (?:wrong|incorrect|not correct|not right)",
                r"(?:you're|you are) wrong",
                r"wrong answer",
                r"incorrect",
                r"(?:that|this) is not true",
                r"you made a mistake",
                r"there(?:'s| is) (?:a|an) (?:mistake|error) in your",
                r"(?:the|your) (?:math|calculation) is (?:off|wrong)",
            ]
        ),
    ),
    ComplaintRule(
        "misunderstanding",
        "medium",
        compile_phrases(
            [
                r"(?:that's|that is|this is) not what i (?:asked|meant|wanted|said)",
                r"not what i (?:asked|meant|wanted)",
                r"you misunderst\w+",
                r"you misread",
                r"i didn't ask (?:for|you)",
                r"no,? i meant",
            ]
        ),
    ),
    ComplaintRule(
        "ignored_instructions",
        "medium",
        compile_phrases(
            [
                r"i (?:said|told you|asked you) (?:not )?to",
                r"you ignored",
                r"i specifically",
                r"i explicitly",
                r"(?:didn't|did not|don't) follow (?:my|the) instructions",
                r"follow (?:my|the) instructions",
                r"i asked for (?:only|just)",
            ]
        ),
    ),
    ComplaintRule(
        "context_loss",
        "medium",
        compile_phrases(
            [
                r"i already (?:told|gave|said|mentioned|explained)",
                r"you forgot",
                r"we already (?:discussed|covered|did|went over)",
                r"as i (?:said|mentioned) (?:before|earlier|above)",
                r"you lost track",
                r"(?:remember|recall) (?:that|what) i (?:said|told)",
            ]
        ),
    ),
    ComplaintRule(
        "incomplete_response",
        "medium",
        compile_phrases(
            [
                r"you (?:stopped|got cut off|cut off)",
                r"(?:got|was) cut off",
                r"(?:is|was|it's) incomplete",
                r"you didn't finish",
                r"(?:not|isn't) finished",
                r"unfinished",
                r"truncated",
                r"you left out",
                r"you (?:skipped|missed) (?:the|a|some)",
                r"(?:the )?rest of the (?:code|answer|list|file)",
            ]
        ),
    ),
    ComplaintRule(
        "performance_theater",
        "medium",
        compile_phrases(
            [
                r"you didn't actually",
                r"you did not actually",
                r"stop pretending",
                r"you (?:said|claimed) you (?:ran|tested|checked|ran|verified|did)",
                r"you never (?:ran|tested|checked|verified)",
                r"pretend(?:ed|ing) to",
            ]
        ),
    ),
    ComplaintRule(
        "tool_misuse",
        "medium",
        compile_phrases(
            [
                r"wrong tool",
                r"why did you (?:search|browse|run|use the tool)",
                r"(?:don't|do not) (?:search|browse|use (?:the|a) tool)",
                r"you (?:didn't|did not) (?:search|use the tool|run the code|look it up)",
            ]
        ),
    ),
    ComplaintRule(
        "repetition",
        "low",
        compile_phrases(
            [
                r"you(?:'re| are)? (?:keep |just )?repeating",
                r"repeating yourself",
                r"(?:stop|quit) repeating",
                r"you (?:already said|said that already|keep saying)",
                r"same (?:thing|answer|code) (?:again|as before)",
            ]
        ),
    ),
    ComplaintRule(
        "formatting",
        "low",
        compile_phrases(
            [
                r"(?:wrong|bad|broken|messy) format\w*",
                r"format(?:ting)? is (?:off|broken|wrong|messed up)",
                r"(?:don't|do not|stop) use (?:markdown|bullet points|tables|headers|emojis)",
                r"no (?:bullet points|markdown)",
                r"(?:way )?too (?:long|verbose|wordy)",
                r"not (?:properly )?formatted",
            ]
        ),
    ),
)

REFUSAL = compile_phrases(
    [
        r"i (?:can't|cannot|can not|won't|will not) "
        r"(?:help|assist|provide|do that|comply|create|write)",
        r"i(?:'m| am) (?:not able|unable) to (?:help|assist|provide|comply)",
        r"i must decline",
        r"i(?:'m| am) sorry,? but i (?:can't|cannot|won't)",
        r"as an ai(?: language model)?,? i (?:can't|cannot|don't)",
        r"i(?:'m| am) not comfortable",
    ]
)
PUSHBACK = compile_phrases(
    [
        r"why not",
        r"(?:it's|it is|this is) (?:fine|harmless|legal|for (?:a|my) (?:project|class|story))",
        r"just (?:do|answer|tell|help)",
        r"you can (?:do|answer|help)",
        r"that's not (?:harmful|dangerous|illegal)",
        r"come on",
    ]
)
# Evidence severity for findings without a complaint rule.
REFUSAL_SEVERITY: Severity = "medium"
TOOL_ERROR_SEVERITY: Severity = "medium"
REGENERATION_SEVERITY: Severity = "low"


def _finding(
    conversation_id: str,
    message: Message,
    type_: FailureType,
    severity: Severity,
    evidence: FailureEvidence,
    evidence_ids: list[str],
    matched: str,
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
    )


def _complaints(text: str) -> list[tuple[ComplaintRule, str]]:
    window = text[:COMPLAINT_WINDOW]
    found = []
    for rule in COMPLAINT_RULES:
        match = rule.pattern.search(window)
        if match:
            found.append((rule, match.group(0).lower()))
    return found


def detect_conversation_failures(item: PreparedConversation) -> list[Failure]:
    """Every finding in one conversation, in message order."""
    findings: list[Failure] = []
    messages = [pm.message for pm in item.messages]
    cid = item.id
    for index, message in enumerate(messages):
        if message.role != "assistant":
            continue
        following = messages[index + 1] if index + 1 < len(messages) else None
        reply = following if following is not None and following.role == "user" else None
        refusal = REFUSAL.search(message.text[:COMPLAINT_WINDOW])
        if refusal:
            pushback = PUSHBACK.search(reply.text[:COMPLAINT_WINDOW]) if reply else None
            ids = [message.id] + ([reply.id] if pushback and reply else [])
            severity: Severity = "high" if pushback else REFUSAL_SEVERITY
            findings.append(
                _finding(
                    cid,
                    message,
                    "unnecessary_refusal",
                    severity,
                    "refusal",
                    ids,
                    refusal.group(0).lower(),
                )
            )
        errors = [result for result in message.tool_results if result.is_error]
        if errors:
            names = sorted({result.name or "tool" for result in errors})
            findings.append(
                _finding(
                    cid,
                    message,
                    "tool_misuse",
                    TOOL_ERROR_SEVERITY,
                    "tool_error",
                    [message.id],
                    f"{len(errors)} tool error(s): {', '.join(names)}",
                )
            )
        if message.abandoned_alternatives:
            findings.append(
                _finding(
                    cid,
                    message,
                    "accuracy_error",
                    REGENERATION_SEVERITY,
                    "regeneration",
                    [message.id],
                    f"regenerated {message.abandoned_alternatives}x",
                )
            )
        if reply is not None:
            if reply.abandoned_alternatives:
                # An edited prompt: the user rephrased because the answer missed the point.
                findings.append(
                    _finding(
                        cid,
                        message,
                        "misunderstanding",
                        REGENERATION_SEVERITY,
                        "regeneration",
                        [reply.id],
                        f"prompt edited {reply.abandoned_alternatives}x",
                    )
                )
            for rule, phrase in _complaints(reply.text):
                findings.append(
                    _finding(
                        cid, message, rule.type, rule.severity, "user_complaint", [reply.id], phrase
                    )
                )
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
    conversations: list[PreparedConversation], tracker: ProgressTracker
) -> FailureSummary:
    """All findings plus counts; failure rate = assistant messages with a finding / all."""
    findings: list[Failure] = []
    assistant_messages = 0
    for item in conversations:
        tracker.tick(len(item.messages))
        assistant_messages += sum(1 for pm in item.messages if pm.message.role == "assistant")
        findings.extend(detect_conversation_failures(item))
    with_failure = len({(f.conversation_id, f.message_id) for f in findings})
    by_type = Counter(f.type for f in findings)
    by_severity = Counter(f.severity for f in findings)
    matrix = {t: {s: 0 for s in SEVERITIES} for t in FAILURE_TYPES}
    for finding in findings:
        matrix[finding.type][finding.severity] += 1
    return FailureSummary(
        total=len(findings),
        assistant_messages=assistant_messages,
        assistant_messages_with_failure=with_failure,
        failure_rate=round(with_failure / assistant_messages, 4) if assistant_messages else 0.0,
        by_type={t: by_type.get(t, 0) for t in FAILURE_TYPES},
        by_severity={s: by_severity.get(s, 0) for s in SEVERITIES},
        by_type_and_severity=matrix,
        findings=findings,
    )
