"""Draw the share-safe report (:mod:`convoscope_exporter.share_safe`) as HTML or PDF.

Both draw only the report's strings, never the results or the corpus, so nothing beyond
what :func:`~convoscope_exporter.share_safe.build_report` chose can reach the file.
"""

from __future__ import annotations

import io
from html import escape
from xml.sax.saxutils import escape as xml_escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from convoscope_exporter.render.files import RenderedFile, rendered
from convoscope_exporter.render.html_assets import CONTENT_SECURITY_POLICY, CSS
from convoscope_exporter.share_safe import Report


def share_safe_html(report: Report) -> bytes:
    """One static page (no script, no network)."""
    sections = []
    for table in report.sections:
        head = "".join(f'<th scope="col">{escape(h)}</th>' for h in table.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in table.rows
        )
        sections.append(
            f"<section><h2>{escape(table.title)}</h2><p>{escape(table.note)}</p>"
            f'<div class="table-wrap"><table class="data"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div></section>"
        )
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(report.title)}</title><style>{CSS}</style></head>"
        f"<body><header><h1>{escape(report.title)}</h1><p>{escape(report.intro)}</p></header>"
        f"<main>{''.join(sections)}</main></body></html>\n"
    )
    return page.encode("utf-8")


def share_safe_pdf(report: Report) -> bytes:
    """A landscape A4 document of the same tables."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=report.title,
        author="ConvoScope",
    )
    h1 = ParagraphStyle("h1", fontName="Helvetica-Bold", fontSize=16, leading=20)
    h2 = ParagraphStyle("h2", fontName="Helvetica-Bold", fontSize=12, leading=15, spaceBefore=8)
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=9, leading=12)
    cell = ParagraphStyle("cell", fontName="Helvetica", fontSize=7.5, leading=9)
    story: list[object] = [
        Paragraph(xml_escape(report.title), h1),
        Paragraph(xml_escape(report.intro), body),
    ]
    for table in report.sections:
        story += [Paragraph(xml_escape(table.title), h2), Paragraph(xml_escape(table.note), body)]
        data = [[Paragraph(f"<b>{xml_escape(h)}</b>", cell) for h in table.header]]
        data += [[Paragraph(xml_escape(v), cell) for v in row] for row in table.rows]
        grid = Table(data, repeatRows=1, hAlign="LEFT")
        grid.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EEF4")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story += [Spacer(1, 3 * mm), grid]
    doc.build(story)
    return buffer.getvalue()


def render_share_safe(fmt: str, report: Report, job_id: str) -> list[RenderedFile]:
    """The share-safe report as ``fmt`` (html or pdf)."""
    data = share_safe_html(report) if fmt == "html" else share_safe_pdf(report)
    return [rendered(f"{job_id}-share-safe", fmt, data)]
