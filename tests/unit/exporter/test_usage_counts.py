"""What people do besides typing (issue 21) reaches the reports: the summary table of
CSV/XLSX and the headline cards of HTML/PDF."""

from __future__ import annotations

from convoscope_common.results import AnalysisResults, Summary
from convoscope_exporter.render.report_text import headline_cards
from convoscope_exporter.tables.corpus_tables import summary_metrics

SUMMARY = Summary(
    conversations=3,
    messages=12,
    voice_turns=4,
    images_generated=2,
    images_uploaded=1,
    canvas_documents=5,
    thinking_blocks=7,
    tool_calls_by_tool={"web_search": 3, "Linear:create_issue": 2},
    tool_calls_by_mcp_server={"Linear": 2},
)


def test_summary_table_has_the_usage_counts() -> None:
    rows = {name: value for name, value, _ in summary_metrics(AnalysisResults(summary=SUMMARY))}
    assert rows["voice_turns"] == 4
    assert rows["images_generated"] == 2
    assert rows["images_uploaded"] == 1
    assert rows["canvas_documents"] == 5
    assert rows["tool_calls_by_tool.web_search"] == 3
    assert rows["tool_calls_by_mcp_server.Linear"] == 2


def test_cards_show_usage_only_when_present() -> None:
    cards = dict(headline_cards(AnalysisResults(summary=SUMMARY)))
    assert cards["Voice turns"] == "4" and cards["MCP servers used"] == "1"
    plain = dict(headline_cards(AnalysisResults(summary=Summary(conversations=1, messages=2))))
    assert "Voice turns" not in plain and "Images generated" not in plain
