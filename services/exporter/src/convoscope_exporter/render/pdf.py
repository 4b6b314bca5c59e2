"""PDF export (reportlab platypus): a multi-page report with vector charts and real text."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from convoscope_common.corpus import Corpus
from convoscope_common.results import AnalysisResults
from convoscope_exporter.charts.data import report_charts
from convoscope_exporter.charts.reportlab_charts import chart_drawing
from convoscope_exporter.manifest import ExportManifest, manifest_rows
from convoscope_exporter.render.files import RenderedFile, rendered
from convoscope_exporter.render.report_text import (
    REPORT_SECTIONS,
    format_number,
    headline_cards,
    section_notes,
)
from convoscope_exporter.tables import Table as DataTable
from convoscope_exporter.tables import failure_types_table, privacy_table, topics_table

_MAX_TABLE_ROWS = 40  # long lists belong in CSV/XLSX; the report shows the top rows


class _Styles:
    def __init__(self) -> None:
        base = getSampleStyleSheet()
        self.title = base["Title"]
        self.h1 = base["Heading1"]
        self.h2 = base["Heading3"]
        self.body = base["BodyText"]
        self.small = ParagraphStyle("small", parent=base["BodyText"], fontSize=8, leading=10)


def _grid(rows: list[list[str]], widths: list[float] | None = None) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF4")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#BFC9CA")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _data_table(table: DataTable, styles: _Styles) -> list[Flowable]:
    if not table.rows:
        return []
    rows = [[c.name for c in table.columns]]
    for row in table.rows[:_MAX_TABLE_ROWS]:
        rows.append(
            [
                "" if v is None else format_number(v) if isinstance(v, int | float) else str(v)[:60]
                for v in row
            ]
        )
    out: list[Flowable] = [Spacer(1, 4), _grid(rows)]
    if len(table.rows) > _MAX_TABLE_ROWS:
        out.append(
            Paragraph(
                f"First {_MAX_TABLE_ROWS} of {len(table.rows)} rows; the CSV and "
                f"XLSX exports hold them all.",
                styles.small,
            )
        )
    return out


def _section_tables(key: str, results: AnalysisResults) -> list[DataTable]:
    return {
        "topics": [topics_table(results)],
        "quality": [failure_types_table(results)],
        "privacy": [privacy_table(results)],
    }.get(key, [])


def _footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 7)
    canvas.setFillColor(colors.grey)
    canvas.drawString(15 * mm, 10 * mm, f"ConvoScope report · {doc.title}")
    canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"Page {doc.page}")
    canvas.restoreState()


def render_pdf(
    results: AnalysisResults, corpus: Corpus, *, manifest: ExportManifest
) -> list[RenderedFile]:
    """The report: executive summary, topics, sentiment, quality and failures, temporal
    patterns, privacy summary, manifest."""
    styles = _Styles()
    charts = report_charts(results, corpus)
    notes = section_notes(results)
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
        Paragraph("Executive summary", styles.h1),
        _grid(
            [["Figure", "Value"], *[[label, value] for label, value in headline_cards(results)]],
            widths=[80 * mm, 60 * mm],
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
    for key, title, chart_ids in REPORT_SECTIONS:
        story.append(CondPageBreak(90 * mm))
        story.append(Paragraph(escape(title), styles.h1))
        story.extend(Paragraph(escape(line), styles.body) for line in notes[key])
        for chart_id in chart_ids:
            if chart_id in charts:
                chart = charts[chart_id]
                story.append(
                    KeepTogether([Paragraph(escape(chart.title), styles.h2), chart_drawing(chart)])
                )
        for table in _section_tables(key, results):
            story.extend(_data_table(table, styles))
    story.append(PageBreak())
    story.append(Paragraph("Manifest", styles.h1))
    story.append(
        _grid(
            [["Key", "Value"]]
            + [
                [Paragraph(escape(k), styles.small), Paragraph(escape(v), styles.small)]
                for k, v in manifest_rows(manifest)
            ],
            widths=[55 * mm, 115 * mm],
        )
    )
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{manifest.job_id}",
        author="ConvoScope",
        subject="Conversation analytics report",
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
    )
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return [rendered(manifest.job_id, "pdf", buffer.getvalue())]
