"""HTML export: one self-contained page (inline CSS, JS and SVG; no network at all)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from html import escape

from convoscope_common.corpus import Corpus
from convoscope_common.results import AnalysisResults
from convoscope_exporter.charts.data import report_charts
from convoscope_exporter.charts.svg import chart_svg
from convoscope_exporter.manifest import ExportManifest, manifest_rows
from convoscope_exporter.render.files import RenderedFile, rendered
from convoscope_exporter.render.html_assets import CONTENT_SECURITY_POLICY, CSS, JS
from convoscope_exporter.render.report_text import (
    REPORT_SECTIONS,
    format_number,
    headline_cards,
    section_notes,
)
from convoscope_exporter.tables import (
    Cell,
    Table,
    comparison_table,
    conversations_table,
    failure_types_table,
    failures_table,
    monthly_activity_table,
    privacy_table,
    quality_table,
    topics_table,
    usage_table,
)

# Long free-text columns: one line each, cut with an ellipsis, the whole text on hover.
CLIPPED_COLUMNS = frozenset({"title", "label", "top_terms", "example_title"})


def _cell(value: Cell, numeric: bool, clip: bool = False) -> str:
    if value is None:
        return '<td class="num"></td>' if numeric else "<td></td>"
    if isinstance(value, datetime | date):
        shown = (
            value.isoformat(sep=" ", timespec="minutes")
            if isinstance(value, datetime)
            else value.isoformat()
        )
        return f'<td data-value="{escape(value.isoformat())}">{escape(shown)}</td>'
    if numeric and isinstance(value, int | float) and not isinstance(value, bool):
        return f'<td class="num" data-value="{value!r}">{escape(format_number(value))}</td>'
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if clip:
        text = escape(str(value), quote=True)
        # dir=auto: an Arabic or Hebrew title is laid out right to left in its cell.
        return f'<td class="clip" dir="auto" title="{text}">{text}</td>'
    return f"<td>{escape(str(value))}</td>"


# Beyond this a browser table stops being usable; the CSV and XLSX exports hold every row.
HTML_MAX_TABLE_ROWS = 5_000


def table_html(table: Table, max_rows: int = HTML_MAX_TABLE_ROWS, total: int | None = None) -> str:
    """A sortable, filterable HTML table (the page script adds the behaviour); at most
    ``max_rows`` rows, with a note when rows were left out. ``total``: the table's
    length when ``table`` holds only its first rows."""
    total = len(table.rows) if total is None else total
    numeric = [c.kind in ("integer", "number") for c in table.columns]
    clipped = [c.name in CLIPPED_COLUMNS for c in table.columns]
    head = "".join(
        f'<th scope="col" data-type="{"number" if n else "text"}" title="{escape(c.description)}">'
        f"{escape(c.name)}</th>"
        for c, n in zip(table.columns, numeric, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(_cell(v, n, c) for v, n, c in zip(row, numeric, clipped, strict=True))
        + "</tr>"
        for row in table.rows[:max_rows]
    )
    tid = f"table-{table.name}"
    note = (
        f'<p class="note">First {max_rows:,} of {total:,} rows; the CSV and XLSX '
        f"exports hold them all.</p>"
        if total > max_rows
        else ""
    )
    return (
        f'<div class="table-tools"><input type="search" data-table="{tid}" '
        f'placeholder="Filter {escape(table.name)}…" aria-label="Filter {escape(table.name)}">'
        f'<span class="count" data-table="{tid}"></span></div>{note}'
        f'<div class="table-wrap"><table class="data" id="{tid}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _notes(lines: list[str]) -> str:
    return "".join(f"<p>{escape(line)}</p>" for line in lines)


def _section_tables(key: str, results: AnalysisResults) -> list[Table]:
    # Only the section's own tables are built (the quality tables have a row per
    # failure and per conversation).
    builders: dict[str, tuple[Callable[[AnalysisResults], Table], ...]] = {
        "topics": (topics_table,),
        "quality": (failure_types_table, failures_table, quality_table),
        "temporal": (monthly_activity_table,),
        "privacy": (privacy_table,),
    }
    return [build(results) for build in builders.get(key, ())]


def render_html(
    results: AnalysisResults, corpus: Corpus, *, manifest: ExportManifest
) -> list[RenderedFile]:
    """The interactive report as one offline HTML file."""
    charts = report_charts(results, corpus)
    notes = section_notes(results)
    cards = "".join(
        f'<div class="card"><div class="value">{escape(v)}</div>'
        f'<div class="label">{escape(label)}</div></div>'
        for label, v in headline_cards(results)
    )
    sections = [
        f'<section id="summary"><h2>Executive summary</h2><div class="cards">{cards}</div>'
        + (
            '<p class="note">A filter was applied; see the manifest for which figures were '
            "recomputed.</p>"
            if manifest.filter_applied
            else ""
        )
        + "</section>"
    ]
    nav = ['<a href="#summary">Summary</a>']
    for key, title, chart_ids in REPORT_SECTIONS:
        figures = "".join(
            f"<figure><figcaption>{escape(charts[c].title)}</figcaption>{chart_svg(charts[c])}"
            f"</figure>"
            for c in chart_ids
            if c in charts
        )
        tables = "".join(table_html(t) for t in _section_tables(key, results) if t.rows)
        sections.append(
            f'<section id="{key}"><h2>{escape(title)}</h2>{_notes(notes[key])}'
            f"{figures}{tables}</section>"
        )
        nav.append(f'<a href="#{key}">{escape(title)}</a>')
    compared = [t for t in (comparison_table(results), usage_table(results)) if t.rows]
    if compared:
        sections.append(
            '<section id="comparison"><h2>Assistants and models</h2>'
            "<p>Each vendor and model side by side, overall and by month. Token counts are "
            "estimates (characters weighted by script), never a tokenizer's count"
            + (
                f"; costs use the configured prices in {escape(results.usage.currency)}"
                if results.usage and results.usage.currency
                else ""
            )
            + ".</p>"
            + "".join(table_html(t) for t in compared)
            + "</section>"
        )
        nav.append('<a href="#comparison">Assistants and models</a>')
    sections.append(
        '<section id="conversations"><h2>Conversations</h2>'
        # Only the rows the page shows are built: counting the words of conversations
        # the page then leaves out was wasted work.
        + table_html(
            conversations_table(results, corpus, limit=HTML_MAX_TABLE_ROWS),
            total=len(corpus.conversations),
        )
        + "</section>"
    )
    nav.append('<a href="#conversations">Conversations</a>')
    manifest_table = "".join(
        f'<tr><th scope="row">{escape(k)}</th><td>{escape(v)}</td></tr>'
        for k, v in manifest_rows(manifest)
    )
    sections.append(
        f'<section id="manifest"><h2>Manifest</h2><table class="manifest">'
        f"{manifest_table}</table></section>"
    )
    nav.append('<a href="#manifest">Manifest</a>')
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>ConvoScope report {escape(manifest.job_id)}</title><style>{CSS}</style></head>"
        f"<body><header><h1>ConvoScope report</h1><p>Job {escape(manifest.job_id)} · "
        f"exported {escape(manifest.created_at.isoformat(timespec='seconds'))} · engine "
        f"{escape(manifest.engine_version)}</p></header><nav>{''.join(nav)}</nav>"
        f'<main>{"".join(sections)}</main><div id="tooltip" role="tooltip"></div>'
        f"<script>{JS}</script></body></html>\n"
    )
    return [rendered(manifest.job_id, "html", page.encode("utf-8"))]
