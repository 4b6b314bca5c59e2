"""PDF export (reportlab platypus): a multi-page report with vector charts and real text.

Text is set in embedded Unicode fonts with per-character fallback (:mod:`convoscope_exporter
.fonts`), so every script extracts back as text. Tables wrap their cells; a table too wide
for a portrait page gets a landscape page. The first page carries a table of contents and
every page a "page N of M" footer (two layout passes: ``multiBuild``).
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable
from reportlab.platypus.tableofcontents import TableOfContents

from convoscope_common.corpus import Corpus
from convoscope_common.results import AnalysisResults
from convoscope_exporter.charts.data import report_charts
from convoscope_exporter.charts.reportlab_charts import chart_drawing
from convoscope_exporter.fonts import BASE, FontSet, font_set
from convoscope_exporter.manifest import ExportManifest, manifest_rows
from convoscope_exporter.render.files import RenderedFile, rendered
from convoscope_exporter.render.report_text import (
    REPORT_SECTIONS,
    format_number,
    headline_cards,
    section_notes,
)
from convoscope_exporter.tables import (
    Cell,
    conversations_table,
    failure_types_table,
    privacy_table,
    topics_table,
)
from convoscope_exporter.tables import Table as DataTable

_MAX_TABLE_ROWS = 40  # long lists belong in CSV/XLSX; the report shows the top rows
_MARGIN = 15 * mm
_PORTRAIT_WIDTH = A4[0] - 2 * _MARGIN
_LANDSCAPE_WIDTH = A4[1] - 2 * _MARGIN
_CELL_SIZE = 7.5
_CELL_PADDING = 3
_MIN_COLUMN = 14 * mm
# A column never gets more than this share of the width from its content alone, so one long
# column (terms, titles) wraps instead of squeezing the others.
_MAX_SHARE = 0.45
_HEADER_BG = colors.HexColor("#E8EEF4")
_RULE = colors.HexColor("#BFC9CA")
_ACCENT = colors.HexColor("#154360")


class _Styles:
    def __init__(self) -> None:
        self.title = ParagraphStyle("title", fontName=BASE, fontSize=22, leading=28)
        self.h1 = ParagraphStyle(
            "h1",
            fontName=BASE,
            fontSize=15,
            leading=19,
            spaceBefore=10,
            spaceAfter=5,
            textColor=_ACCENT,
        )
        self.h2 = ParagraphStyle("h2", fontName=BASE, fontSize=10, leading=13, spaceBefore=6)
        self.body = ParagraphStyle("body", fontName=BASE, fontSize=9, leading=12, spaceAfter=3)
        self.small = ParagraphStyle("small", fontName=BASE, fontSize=7.5, leading=9.5)
        self.cell = ParagraphStyle("cell", fontName=BASE, fontSize=_CELL_SIZE, leading=9.5)
        self.head = ParagraphStyle("head", parent=self.cell, textColor=_ACCENT, wordWrap="CJK")
        self.num = ParagraphStyle("num", parent=self.cell, alignment=2)
        self.toc = [
            ParagraphStyle("toc1", fontName=BASE, fontSize=10, leading=15, leftIndent=6),
        ]


class _Heading(Paragraph):
    """A section heading: goes into the table of contents and the PDF outline."""

    def __init__(self, text: str, style: ParagraphStyle, fonts: FontSet, key: str) -> None:
        super().__init__(fonts.markup(text), style)
        self.plain = text
        self.key = key


class _Chart(Flowable):
    """A chart drawn only on the layout pass whose pages are kept.

    ``multiBuild`` lays the document out until the table of contents stops changing
    (three passes) and keeps only the last; drawing the charts was two thirds of every
    pass. A chart's size does not depend on whether it is drawn, so the earlier passes
    lay it out without drawing it (:meth:`_Report._allSatisfied`)."""

    def __init__(self, drawing: Drawing) -> None:
        super().__init__()
        self.drawing = drawing
        self.hAlign = drawing.hAlign

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width, self.height = self.drawing.wrap(availWidth, availHeight)
        return self.width, self.height

    def draw(self) -> None:
        doc = getattr(self.canv, "_doctemplate", None)
        if doc is None or getattr(doc, "draw_charts", True):
            self.drawing.drawOn(self.canv, 0, 0)


class _Report(BaseDocTemplate):
    """Portrait pages with a landscape template for wide tables; headings feed the TOC."""

    # Charts are drawn on the final pass only (see _Chart).
    draw_charts = False

    def __init__(self, buffer: io.BytesIO, title: str) -> None:
        super().__init__(
            buffer,
            pagesize=A4,
            title=title,
            author="ConvoScope",
            subject="Conversation analytics report",
            leftMargin=_MARGIN,
            rightMargin=_MARGIN,
            topMargin=_MARGIN,
            bottomMargin=18 * mm,
        )
        portrait = Frame(_MARGIN, 18 * mm, _PORTRAIT_WIDTH, A4[1] - _MARGIN - 18 * mm, id="p")
        wide = Frame(_MARGIN, 18 * mm, _LANDSCAPE_WIDTH, A4[0] - _MARGIN - 18 * mm, id="l")
        self.addPageTemplates(
            [
                PageTemplate("portrait", [portrait], onPage=_footer, pagesize=A4),
                PageTemplate("landscape", [wide], onPage=_footer, pagesize=landscape(A4)),
            ]
        )

    def _allSatisfied(self) -> bool:
        happy = bool(super()._allSatisfied())
        if happy and not self.draw_charts:
            # The layout is settled: one more pass, the one multiBuild keeps, draws the
            # charts (the same pages: a chart's size does not depend on its drawing).
            self.draw_charts = True
            return False
        return happy

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, _Heading):
            self.notify("TOCEntry", (0, escape(flowable.plain), self.page, flowable.key))
            self.canv.bookmarkPage(flowable.key)
            self.canv.addOutlineEntry(flowable.plain, flowable.key, level=0)


class _NumberedCanvas(Canvas):
    """Holds pages back until the end so each footer can say "page N of M"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            width = self._pagesize[0]
            self.setFont(BASE, 7)
            self.setFillColor(colors.grey)
            self.drawRightString(width - _MARGIN, 10 * mm, f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


def _footer(canvas: Canvas, doc: BaseDocTemplate) -> None:
    canvas.saveState()
    canvas.setFont(BASE, 7)
    canvas.setFillColor(colors.grey)
    canvas.drawString(_MARGIN, 10 * mm, f"ConvoScope report · {doc.title}")
    canvas.restoreState()


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return format_number(value)
    return str(value)


def _natural_width(texts: list[str], size: float) -> float:
    """Width a column wants: its longest line, measured in the base font (+ padding)."""
    return max((pdfmetrics.stringWidth(t, BASE, size) for t in texts), default=0.0) + 8


def column_widths(header: list[str], body: list[list[str]], available: float) -> list[float]:
    """Widths that share ``available`` by content: each column its natural width, capped at
    a share of the page. When they do not fit, only the part of a column above its floor
    (its longest word, at least ``_MIN_COLUMN``) shrinks, so headers never break mid-word
    while a long text column wraps; spare width goes to the columns that wanted more."""
    columns = list(zip(header, *body, strict=True)) if body else [(h,) for h in header]
    # A column's floor: its longest word (header included), so no word breaks mid-way.
    heads = [
        min(_natural_width([w for cell in col for w in cell.split()], _CELL_SIZE), 32 * mm)
        for col in columns
    ]
    wanted = [
        max(_MIN_COLUMN, head, _natural_width(list(col[1:]) or [""], _CELL_SIZE))
        for col, head in zip(columns, heads, strict=True)
    ]
    capped = [min(w, available * _MAX_SHARE) for w in wanted]
    floors = [min(c, max(_MIN_COLUMN, h)) for c, h in zip(capped, heads, strict=True)]
    total = sum(capped)
    if total > available:
        room = sum(capped) - sum(floors)
        keep = max(0.0, (room - (total - available)) / room) if room else 0.0
        widths = [f + (c - f) * keep for c, f in zip(capped, floors, strict=True)]
        if sum(widths) > available:  # even the floors do not fit: scale everything
            widths = [w * available / sum(widths) for w in widths]
        return widths
    hungry = [i for i, (w, c) in enumerate(zip(wanted, capped, strict=True)) if w > c]
    for i in hungry:
        capped[i] += (available - total) / len(hungry)
    return capped


def needs_landscape(header: list[str], body: list[list[str]]) -> bool:
    """True when a table cannot fit portrait without cramping every column."""
    columns = list(zip(header, *body, strict=True)) if body else [(h,) for h in header]
    wanted = sum(
        min(max(_MIN_COLUMN, _natural_width(list(c), _CELL_SIZE)), _PORTRAIT_WIDTH * 0.3)
        for c in columns
    )
    return len(header) > 7 or wanted > _PORTRAIT_WIDTH * 1.15


def _grid(rows: list[list[Flowable]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), _HEADER_BG),
                ("GRID", (0, 0), (-1, -1), 0.25, _RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
            ]
        )
    )
    return table


def _data_table(
    table: DataTable,
    styles: _Styles,
    fonts: FontSet,
    lead: list[Flowable] | None = None,
    total: int | None = None,
) -> list[Flowable]:
    """A wrapped-cell table (landscape pages when it is too wide), top rows only, after
    ``lead`` (its heading: on the landscape page with the table, never left behind).
    ``total``: the table's length when ``table`` holds only its first rows."""
    lead = lead or []
    total = len(table.rows) if total is None else total
    if not table.rows:
        return lead
    header = [c.name for c in table.columns]
    numeric = [c.kind in ("integer", "number") for c in table.columns]
    body = [[_text(v) for v in row] for row in table.rows[:_MAX_TABLE_ROWS]]
    wide = needs_landscape(header, body)
    widths = column_widths(header, body, _LANDSCAPE_WIDTH if wide else _PORTRAIT_WIDTH)
    rows: list[list[Flowable]] = [[Paragraph(fonts.markup(h), styles.head) for h in header]]
    inner = [w - 2 * _CELL_PADDING for w in widths]
    for row in body:
        rows.append(
            [
                Paragraph(
                    fonts.wrapped_markup(t, room, _CELL_SIZE), styles.num if n else styles.cell
                )
                for t, n, room in zip(row, numeric, inner, strict=True)
            ]
        )
    out: list[Flowable] = []
    if wide:
        out += [NextPageTemplate("landscape"), PageBreak()]
    out += [*lead, Spacer(1, 4), _grid(rows, widths)]
    if total > _MAX_TABLE_ROWS:
        out.append(
            Paragraph(
                f"First {_MAX_TABLE_ROWS} of {total} rows; the CSV and XLSX exports hold them all.",
                styles.small,
            )
        )
    if wide:
        out += [NextPageTemplate("portrait"), PageBreak()]
    return out


# The conversations table's columns a reader needs on paper; CSV/XLSX hold all 21.
_CONVERSATION_COLUMNS = (
    "title",
    "created_at",
    "messages",
    "words",
    "primary_topic",
    "sentiment_label",
    "failures",
)


def select_columns(table: DataTable, names: tuple[str, ...]) -> DataTable:
    """``table`` with only the named columns, in that order."""
    index = [next(i for i, c in enumerate(table.columns) if c.name == n) for n in names]
    return DataTable(
        name=table.name,
        description=table.description,
        columns=[table.columns[i] for i in index],
        rows=[[row[i] for i in index] for row in table.rows],
    )


def _used_topics(results: AnalysisResults) -> DataTable:
    """The topics table without topics no conversation has (the CSV/XLSX list them all)."""
    table = topics_table(results)
    count = next(i for i, c in enumerate(table.columns) if c.name == "conversations")
    table.rows = [r for r in table.rows if r[count]]
    return table


def _section_tables(key: str, results: AnalysisResults) -> list[DataTable]:
    return {
        "topics": [_used_topics(results)],
        "quality": [failure_types_table(results)],
        "privacy": [privacy_table(results)],
    }.get(key, [])


def _cover(
    results: AnalysisResults, manifest: ExportManifest, styles: _Styles, fonts: FontSet
) -> list[Flowable]:
    toc = TableOfContents()
    toc.levelStyles = styles.toc
    toc.dotsMinLevel = 0
    story: list[Flowable] = [
        Paragraph("ConvoScope report", styles.title),
        Paragraph(
            escape(
                f"Job {manifest.job_id} · exported "
                f"{manifest.created_at.isoformat(timespec='seconds')} · engine "
                f"{manifest.engine_version}"
            ),
            styles.small,
        ),
        Spacer(1, 8),
        Paragraph("Contents", styles.h2),
        toc,
        _Heading("Executive summary", styles.h1, fonts, "summary"),
        _grid(
            [
                [Paragraph("Figure", styles.head), Paragraph("Value", styles.head)],
                *[
                    [
                        Paragraph(fonts.markup(label), styles.cell),
                        Paragraph(fonts.markup(value), styles.cell),
                    ]
                    for label, value in headline_cards(results)
                ],
            ],
            [80 * mm, 60 * mm],
        ),
    ]
    if manifest.filter_applied:
        story.append(
            Paragraph(
                "A filter was applied: the figures describe the filtered "
                "conversations; see the manifest for which were recomputed.",
                styles.small,
            )
        )
    return story


def render_pdf(
    results: AnalysisResults, corpus: Corpus, *, manifest: ExportManifest
) -> list[RenderedFile]:
    """The report: contents, executive summary, topics, sentiment, quality and failures,
    temporal patterns, privacy summary, manifest."""
    fonts = font_set()
    styles = _Styles()
    charts = report_charts(results, corpus)
    notes = section_notes(results)
    story = _cover(results, manifest, styles, fonts)
    for key, title, chart_ids in REPORT_SECTIONS:
        story.append(CondPageBreak(90 * mm))
        story.append(_Heading(title, styles.h1, fonts, key))
        story.extend(Paragraph(fonts.markup(line), styles.body) for line in notes[key])
        for chart_id in chart_ids:
            if chart_id in charts:
                chart = charts[chart_id]
                heading = Paragraph(fonts.markup(chart.title), styles.h2)
                story.append(KeepTogether([heading, _Chart(chart_drawing(chart))]))
        for table in _section_tables(key, results):
            story.extend(_data_table(table, styles, fonts))
    story.append(CondPageBreak(60 * mm))
    story.extend(
        _data_table(
            select_columns(
                conversations_table(results, corpus, limit=_MAX_TABLE_ROWS),
                _CONVERSATION_COLUMNS,
            ),
            styles,
            fonts,
            lead=[_Heading("Conversations", styles.h1, fonts, "conversations")],
            total=len(corpus.conversations),
        )
    )
    if not isinstance(story[-1], PageBreak):  # a landscape table ends with its own break
        story.append(PageBreak())
    story.append(_Heading("Manifest", styles.h1, fonts, "manifest"))
    story.append(
        _grid(
            [[Paragraph("Key", styles.head), Paragraph("Value", styles.head)]]
            + [
                [Paragraph(fonts.markup(k), styles.small), Paragraph(fonts.markup(v), styles.small)]
                for k, v in manifest_rows(manifest)
            ],
            [55 * mm, _PORTRAIT_WIDTH - 55 * mm],
        )
    )
    buffer = io.BytesIO()
    _Report(buffer, title=manifest.job_id).multiBuild(story, canvasmaker=_NumberedCanvas)
    return [rendered(manifest.job_id, "pdf", buffer.getvalue())]
