"""The share-safe report: a usage picture a person can hand to someone else.

It holds counts and measures only: no message text, no conversation title, no learned
topic (its terms come from the messages), no file name, no id of a conversation or
message. Every count below ``k`` (default 5) is shown as "< k", and a measure computed
from fewer than ``k`` items (a mean, a rate) is hidden, so nobody can single out one
small conversation. Pure: results in, :class:`Report` out; html/pdf renderers draw it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from convoscope_common.comparison_types import CompareGroup, UsageCell
from convoscope_common.results import AnalysisResults

# The formats a share-safe report is rendered in.
SHARE_SAFE_FORMATS: tuple[str, ...] = ("html", "pdf")

DEFAULT_K = 5
HIDDEN = "—"


@dataclass(frozen=True)
class ReportTable:
    """One section: a title, a sentence saying what it shows, a header and string rows."""

    title: str
    note: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    """Everything the share-safe report shows, already formatted and small-cell safe."""

    title: str
    intro: str
    sections: list[ReportTable]


class _Cells:
    """Formats values with the small-cell rule for one ``k``."""

    def __init__(self, k: int) -> None:
        self.k = k

    def count(self, value: int) -> str:
        return f"< {self.k}" if value < self.k else f"{value:,}"

    def measure(self, value: float | None, support: int, digits: int = 1) -> str:
        """A mean or rate, hidden when fewer than ``k`` items are behind it."""
        if value is None or support < self.k:
            return HIDDEN
        return f"{value:,.{digits}f}"


def _overview(results: AnalysisResults, c: _Cells) -> ReportTable:
    s = results.summary
    months = sorted((results.temporal.monthly if results.temporal else {}).keys())
    rows = [
        ["Conversations", c.count(s.conversations)],
        ["Messages", c.count(s.messages)],
        ["Your messages", c.count(s.messages_by_role.get("user", 0))],
        ["Assistant replies", c.count(s.messages_by_role.get("assistant", 0))],
        ["Months with activity", c.count(len(months))],
        ["Period", f"{months[0]} to {months[-1]}" if months else HIDDEN],
    ]
    return ReportTable("Overview", "How much, in total.", ["measure", "value"], rows)


def _monthly(results: AnalysisResults, c: _Cells) -> ReportTable:
    monthly = results.temporal.monthly if results.temporal else {}
    rows = [[month, c.count(count)] for month, count in sorted(monthly.items())]
    return ReportTable("Activity by month", "Messages per month.", ["month", "messages"], rows)


def _group_row(g: CompareGroup, c: _Cells, quality: bool) -> list[str]:
    label = g.model or f"{g.vendor} (all)"
    completed = g.task_completion.get("completed", 0)
    return [
        g.vendor,
        label,
        c.count(g.conversations),
        c.count(g.replies),
        c.measure(g.mean_reply_words, g.replies, 0),
        c.measure(g.failures_per_100_replies, g.replies) if quality else HIDDEN,
        c.measure(g.refusals_per_100_replies, g.replies) if quality else HIDDEN,
        c.count(g.replies_with_tools),
        c.measure(g.next_turn_sentiment, g.next_turn_scored, 2),
        c.count(completed) if quality else HIDDEN,
    ]


_COMPARE_HEADER = [
    "vendor",
    "model",
    "conversations",
    "replies",
    "words per reply",
    "failures per 100 replies",
    "refusals per 100 replies",
    "replies using tools",
    "mood of the next message",
    "conversations completed",
]


def _comparison(results: AnalysisResults, c: _Cells) -> list[ReportTable]:
    section = results.comparison
    if section is None:
        return []
    quality = section.quality_measured
    overall = [_group_row(g, c, quality) for g in [*section.vendors, *section.models]]
    by_month = [[g.month, *_group_row(g, c, quality)] for g in section.monthly if not g.model]
    return [
        ReportTable(
            "Assistants and models",
            "Each vendor, then each model, side by side (mood: mean sentiment from -1 to 1 "
            "of your message right after a reply).",
            _COMPARE_HEADER,
            overall,
        ),
        ReportTable(
            "Assistants by month",
            "The same, month by month.",
            ["month", *_COMPARE_HEADER],
            by_month,
        ),
    ]


def _usage_row(key: str, cell: UsageCell, c: _Cells, currency: str | None) -> list[str]:
    cost = (
        HIDDEN
        if cell.estimated_cost is None or cell.messages < c.k
        else f"{cell.estimated_cost:,.2f} {currency or ''}".strip()
    )
    return [
        key,
        c.count(cell.messages),
        c.measure(cell.input_tokens, cell.messages, 0),
        c.measure(cell.output_tokens, cell.messages, 0),
        cost,
    ]


def _usage(results: AnalysisResults, c: _Cells) -> list[ReportTable]:
    usage = results.usage
    if usage is None:
        return []
    rows = [_usage_row("total", usage.total, c, usage.currency)]
    rows += [_usage_row(k, v, c, usage.currency) for k, v in usage.by_vendor.items()]
    rows += [_usage_row(k, v, c, usage.currency) for k, v in usage.by_model.items()]
    rows += [_usage_row(k, v, c, usage.currency) for k, v in usage.by_month.items()]
    return [
        ReportTable(
            "Usage estimate",
            "Tokens are an estimate (characters weighted by script), not a tokenizer's count"
            + ("; costs use prices the operator configured." if usage.currency else "."),
            [
                "vendor, model or month",
                "messages",
                "estimated tokens in",
                "estimated tokens out",
                "estimated cost",
            ],
            rows,
        )
    ]


def _topics(results: AnalysisResults, c: _Cells) -> list[ReportTable]:
    if results.topics is None:
        return []
    # Taxonomy topics only: their labels are configuration. Learned topics are named
    # after words of the messages, so they never appear here.
    rows = [
        [t.label, c.count(t.conversations)]
        for t in sorted(results.topics.taxonomy, key=lambda t: -t.conversations)
        if t.conversations
    ]
    return [ReportTable("Topics", "Conversations per topic.", ["topic", "conversations"], rows)]


def _feelings_and_failures(results: AnalysisResults, c: _Cells) -> list[ReportTable]:
    tables = []
    if results.sentiment is not None:
        rows = [[label, c.count(n)] for label, n in results.sentiment.labels.items()]
        tables.append(
            ReportTable("Sentiment", "Your messages by tone.", ["tone", "messages"], rows)
        )
    if results.quality is not None:
        by_type = results.quality.failures.by_type
        rows = [[kind, c.count(n)] for kind, n in sorted(by_type.items()) if n]
        tables.append(
            ReportTable(
                "Assistant failures", "Failures found, by type.", ["type", "failures"], rows
            )
        )
    return tables


def build_report(results: AnalysisResults, k: int = DEFAULT_K) -> Report:
    """The share-safe report of ``results`` with small cells below ``k`` hidden."""
    if k < 2:
        raise ValueError("k must be at least 2")
    c = _Cells(k)
    sections = [
        _overview(results, c),
        _monthly(results, c),
        *_comparison(results, c),
        *_usage(results, c),
        *_topics(results, c),
        *_feelings_and_failures(results, c),
    ]
    return Report(
        title="ConvoScope usage picture (share-safe)",
        intro=(
            "Counts and measures only: no message text, no conversation title. Any count "
            f'below {k} is shown as "< {k}" and measures over fewer than {k} items are '
            f"hidden ({HIDDEN})."
        ),
        sections=[s for s in sections if s.rows],
    )
