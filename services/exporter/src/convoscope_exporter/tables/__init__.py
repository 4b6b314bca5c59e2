"""Tidy tables built from results + corpus: the shared model behind CSV, XLSX and reports.

One row per observation (message, conversation, conversation x topic, failure...), one
column per variable, typed so each writer can store real numbers and dates. Every column
is declared once (:class:`Column`: name, type, description, getter); rows, headers and
the data dictionary all come from those declarations.
"""

from __future__ import annotations

from convoscope_common.corpus import Corpus
from convoscope_common.results import AnalysisResults
from convoscope_exporter.tables.comparison_tables import comparison_table, usage_table
from convoscope_exporter.tables.corpus_tables import (
    conversations_table,
    message_words,
    messages_table,
    summary_metrics,
    summary_table,
)
from convoscope_exporter.tables.language_tables import languages_table
from convoscope_exporter.tables.model import (
    Cell,
    Column,
    ColumnKind,
    Table,
    data_dictionary,
    row_batches,
    streamed_table,
    table_of,
)
from convoscope_exporter.tables.result_tables import (
    RESULT_TABLES,
    conversation_topics_table,
    failure_types_table,
    failures_table,
    heatmap_table,
    length_trends_table,
    monthly_activity_table,
    privacy_findings_table,
    privacy_table,
    quality_table,
    sentiment_monthly_table,
    sentiment_table,
    temporal_table,
    topics_table,
)


def build_tables(results: AnalysisResults, corpus: Corpus, *, stream: bool = False) -> list[Table]:
    """Every tidy table of an export, in output order (without the data dictionary).
    ``stream=True``: the messages table (as long as the corpus, with every text) is
    streamed (:func:`~convoscope_exporter.tables.model.streamed_table`), read once."""
    words = message_words(corpus)
    return [
        summary_table(results),
        conversations_table(results, corpus, words=words),
        messages_table(results, corpus, words=words, stream=stream),
        *(build(results) for build in RESULT_TABLES),
        comparison_table(results),
        usage_table(results),
    ]


__all__ = [
    "Cell",
    "Column",
    "ColumnKind",
    "Table",
    "build_tables",
    "comparison_table",
    "conversation_topics_table",
    "conversations_table",
    "data_dictionary",
    "failure_types_table",
    "failures_table",
    "heatmap_table",
    "languages_table",
    "length_trends_table",
    "messages_table",
    "monthly_activity_table",
    "privacy_findings_table",
    "privacy_table",
    "quality_table",
    "row_batches",
    "sentiment_monthly_table",
    "sentiment_table",
    "streamed_table",
    "summary_metrics",
    "summary_table",
    "table_of",
    "temporal_table",
    "topics_table",
    "usage_table",
]
