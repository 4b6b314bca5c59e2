"""Query-string filters of the browsing routes, with the export filter's meaning.

Conversation criteria (``topic``, ``model``, ``sentiment``, ``task_completion``,
``failure_type``, ``severity``, ``conversation_id``, ``entity_type`` (personal
data of that type was found), ``language`` (the conversation's dominant language),
``q``) pick conversations;
message criteria (``date_from``/``date_to``, ``date``, ``month``, ``weekday``,
``hour``, ``role``) pick messages, and a conversation matches when at least one
of its messages does. Repeated parameters (``topic=a&topic=b``) mean "any of".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from multidict import MultiMapping

from convoscope_common.corpus import ROLES
from convoscope_common.results import FAILURE_TYPES, SENTIMENT_LABELS, SEVERITIES
from convoscope_gateway.browse_index import BrowseIndex, MsgKey
from convoscope_gateway.browse_types import ConversationRow
from convoscope_gateway.errors import ValidationError

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
TASK_COMPLETIONS = ("completed", "in_progress", "abandoned", "blocked")
MAX_VALUES = 100


@dataclass(frozen=True)
class BrowseQuery:
    """The parsed filters (empty tuple / None: no restriction)."""

    topics: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    sentiment: tuple[str, ...] = ()
    task_completion: tuple[str, ...] = ()
    failure_types: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    conversation_ids: tuple[str, ...] = ()
    entity_types: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    text: str = ""
    date_from: str | None = None
    date_to: str | None = None
    date: str | None = None
    month: str | None = None
    weekday: int | None = None
    hour: int | None = None
    roles: tuple[str, ...] = ()

    def has_message_criteria(self) -> bool:
        return bool(
            self.date_from
            or self.date_to
            or self.date
            or self.month
            or self.weekday is not None
            or self.hour is not None
            or self.roles
        )


def _values(
    query: MultiMapping[str], name: str, allowed: Iterable[str] | None = None
) -> tuple[str, ...]:
    values = tuple(v for v in query.getall(name, []) if v != "")
    if len(values) > MAX_VALUES:
        raise ValidationError(f"{name} is given more than {MAX_VALUES} times")
    if allowed is not None:
        known = tuple(allowed)
        bad = sorted(set(values) - set(known))
        if bad:
            raise ValidationError(
                f"{name}: unknown value(s) {', '.join(bad)}; use {', '.join(known)}"
            )
    return values


def _pattern(
    query: MultiMapping[str], name: str, pattern: re.Pattern[str], shape: str
) -> str | None:
    value = query.get(name) or None
    if value is not None and not pattern.match(value):
        raise ValidationError(f"{name} must look like {shape}, not {value!r}")
    return value


def _int(query: MultiMapping[str], name: str, low: int, high: int) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"{name} must be a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise ValidationError(f"{name} must be a whole number from {low} to {high}")
    return value


def parse_query(query: MultiMapping[str]) -> BrowseQuery:
    """The filters of a query string; 422 (ValidationError) for values that cannot match."""
    parsed = BrowseQuery(
        topics=_values(query, "topic"),
        models=_values(query, "model"),
        sentiment=_values(query, "sentiment", SENTIMENT_LABELS),
        task_completion=_values(query, "task_completion", TASK_COMPLETIONS),
        failure_types=_values(query, "failure_type", FAILURE_TYPES),
        severities=_values(query, "severity", SEVERITIES),
        conversation_ids=_values(query, "conversation_id"),
        entity_types=_values(query, "entity_type"),
        languages=_values(query, "language"),
        text=(query.get("q") or "").strip().casefold()[:200],
        date_from=_pattern(query, "date_from", _DATE, "YYYY-MM-DD"),
        date_to=_pattern(query, "date_to", _DATE, "YYYY-MM-DD"),
        date=_pattern(query, "date", _DATE, "YYYY-MM-DD"),
        month=_pattern(query, "month", _MONTH, "YYYY-MM"),
        weekday=_int(query, "weekday", 0, 6),
        hour=_int(query, "hour", 0, 23),
        roles=_values(query, "role", ROLES),
    )
    if parsed.date_from and parsed.date_to and parsed.date_from > parsed.date_to:
        raise ValidationError("date_from is after date_to")
    return parsed


def _conversation_matches(index: BrowseIndex, row: ConversationRow, q: BrowseQuery) -> bool:
    cid = row.conversation_id
    if q.conversation_ids and cid not in q.conversation_ids:
        return False
    if q.topics and not set(q.topics).intersection(row.topics):
        return False
    if q.models:
        conv = index.conversation[cid]
        if not set(q.models).intersection({conv.model, *(m.model for m in conv.messages)}):
            return False
    if q.sentiment and row.sentiment not in q.sentiment:
        return False
    if q.task_completion and row.task_completion not in q.task_completion:
        return False
    if q.failure_types or q.severities:
        if not any(
            (not q.failure_types or f.type in q.failure_types)
            and (not q.severities or f.severity in q.severities)
            for f in index.failures.get(cid, [])
        ):
            return False
    if q.entity_types and not set(q.entity_types).intersection(index.privacy.get(cid, ())):
        return False
    if q.languages and index.language.get(cid) not in q.languages:
        return False
    return not (q.text and q.text not in (row.title or "").casefold())


def message_matches(index: BrowseIndex, key: MsgKey, q: BrowseQuery) -> bool:
    rec = index.record.get(key)
    if rec is None:
        return False
    if q.roles and rec.role not in q.roles:
        return False
    if q.date and rec.date != q.date:
        return False
    if q.month and (rec.date or "")[:7] != q.month:
        return False
    if q.date_from and (rec.date is None or rec.date < q.date_from):
        return False
    if q.date_to and (rec.date is None or rec.date > q.date_to):
        return False
    if q.weekday is not None and rec.weekday != q.weekday:
        return False
    return q.hour is None or rec.hour == q.hour


def matching_conversations(index: BrowseIndex, q: BrowseQuery) -> list[ConversationRow]:
    """The rows of the conversations ``q`` selects, newest first."""
    found = []
    for conv in index.conversations:
        row = index.rows[conv.id]
        if not _conversation_matches(index, row, q):
            continue
        if q.has_message_criteria() and not any(
            message_matches(index, (r.conversation_id, r.message_id), q)
            for r in index.records.get(conv.id, [])
        ):
            continue
        found.append(row)
    return found


def matching_messages(index: BrowseIndex, q: BrowseQuery) -> list[MsgKey]:
    """The keys of the messages ``q`` selects, in message-index order."""
    conversation_level = (
        q.conversation_ids
        or q.topics
        or q.models
        or q.sentiment
        or q.task_completion
        or q.failure_types
        or q.severities
        or q.entity_types
        or q.languages
        or q.text
    )
    allowed: set[str] | None = None
    if conversation_level:
        no_messages = BrowseQuery(**{**q.__dict__, **_NO_MESSAGE_CRITERIA})
        allowed = {row.conversation_id for row in matching_conversations(index, no_messages)}
    return [
        key
        for key in index.message_order
        if (allowed is None or key[0] in allowed) and message_matches(index, key, q)
    ]


_NO_MESSAGE_CRITERIA: dict[str, object] = {
    "date_from": None,
    "date_to": None,
    "date": None,
    "month": None,
    "weekday": None,
    "hour": None,
    "roles": (),
}
