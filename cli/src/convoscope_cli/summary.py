"""The end of a run: a short table for people, or one JSON object for scripts."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from rich.console import Console
from rich.table import Table

from convoscope_cli.local import RunOutcome

TOP_TOPICS = 5


def summarize(outcome: RunOutcome, *, mode: str, out_dir: str) -> dict[str, Any]:
    """The summary as plain data (what ``--json`` prints)."""
    results = outcome.results
    summary = results.summary
    topics: list[dict[str, Any]] = []
    if results.topics is not None:
        every = [*results.topics.taxonomy, *results.topics.learned]
        ranked = sorted(
            (t for t in every if t.conversations), key=lambda t: (-t.conversations, t.label)
        )
        topics = [
            {"id": t.id, "label": t.label, "conversations": t.conversations, "share": t.share}
            for t in ranked[:TOP_TOPICS]
        ]
    failures = results.quality.failures if results.quality is not None else None
    privacy = results.privacy
    sentiment = results.sentiment
    return {
        "status": "complete",
        "mode": mode,
        "file_hash": outcome.file_hash,
        "engine_version": results.engine_version,
        "source": outcome.metadata.source,
        "format": outcome.metadata.format,
        "conversations": summary.conversations,
        "messages": summary.messages,
        "date_range": list(summary.date_range or outcome.metadata.date_range),
        "timezone": results.options.timezone,
        "top_topics": topics,
        "failures": failures.total if failures is not None else None,
        "failure_rate": failures.failure_rate if failures is not None else None,
        "pii_by_type": dict(privacy.counts) if privacy is not None and privacy.enabled else {},
        "languages": dict(results.languages.messages) if results.languages is not None else {},
        "sentiment_coverage": sentiment.coverage if sentiment is not None else None,
        "sentiment_languages": list(sentiment.languages) if sentiment is not None else [],
        "not_scored_by_language": (
            dict(sentiment.not_scored_by_language) if sentiment is not None else {}
        ),
        "out_dir": out_dir,
        "files": [str(p) for p in outcome.paths],
    }


def language_name(code: str) -> str:
    """English name of an ISO 639-1 code (the reports' names; the code when unknown)."""
    from convoscope_exporter.render.report_text import LANGUAGE_NAMES

    return LANGUAGE_NAMES.get(code, code)


def coverage_sentence(data: dict[str, Any]) -> str:
    """ "covers 71 % of your messages; 29 % Portuguese not scored" (issue 19)."""
    unscored = data["not_scored_by_language"]
    coverage = data["sentiment_coverage"]
    if not unscored:
        return "covers all of your messages"
    scored_share = coverage if coverage is not None else 0.0
    # Shares of all messages: the scored ones are coverage of the total.
    unscored_total = sum(unscored.values())
    parts = [
        f"{(1 - scored_share) * n / unscored_total:.0%} {language_name(lang)}"
        for lang, n in unscored.items()
    ]
    read = ", ".join(language_name(lang) for lang in data["sentiment_languages"])
    return (
        f"covers {scored_share:.0%} of your messages; {', '.join(parts)} not scored "
        f"(the model reads {read} only)"
    )


def print_json(data: dict[str, Any], stream: IO[str] | None = None) -> None:
    """One JSON object on one line."""
    print(json.dumps(data, ensure_ascii=False), file=stream or sys.stdout, flush=True)


def print_table(data: dict[str, Any], stream: IO[str] | None = None) -> None:
    """The summary table and the paths written."""
    console = Console(file=stream or sys.stdout)
    table = Table(title="ConvoScope summary", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("conversations", f"{data['conversations']:,}")
    table.add_row("messages", f"{data['messages']:,}")
    dates = data["date_range"]
    table.add_row(
        "date range", f"{dates[0]} … {dates[-1]} ({data['timezone']})" if dates else "no dates"
    )
    topics = ", ".join(f"{t['label']} ({t['conversations']})" for t in data["top_topics"])
    table.add_row("top topics", topics or "none found")
    if data["failure_rate"] is not None:
        table.add_row(
            "assistant failures",
            f"{data['failures']:,} ({data['failure_rate'] * 100:.1f} % of assistant messages)",
        )
    languages = data["languages"]
    if languages:
        total = sum(languages.values())
        table.add_row(
            "languages",
            ", ".join(f"{language_name(lang)} {n / total:.0%}" for lang, n in languages.items()),
        )
    if data["sentiment_coverage"] is not None:
        table.add_row("sentiment", coverage_sentence(data))
    pii = data["pii_by_type"]
    table.add_row(
        "personal data found",
        ", ".join(f"{kind} {count:,}" for kind, count in pii.items()) if pii else "none",
    )
    console.print(table)
    console.print(f"Reports in {data['out_dir']}:", highlight=False)
    for path in data["files"]:
        console.print(f"  {path}", highlight=False, soft_wrap=True)
