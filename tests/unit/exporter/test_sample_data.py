"""The hand-built fixture must itself be consistent, or every other test proves little."""

from __future__ import annotations


def test_fixture_summary_matches_corpus(results, corpus):
    messages = [m for c in corpus.conversations for m in c.messages]
    assert results.summary.conversations == len(corpus.conversations)
    assert results.summary.messages == len(messages)
    assert results.summary.messages_by_role == {
        "user": sum(m.role == "user" for m in messages),
        "assistant": sum(m.role == "assistant" for m in messages),
    }


def test_fixture_covers_what_the_exporter_must_handle(results, corpus):
    messages = [m for c in corpus.conversations for m in c.messages]
    weekdays = {m.created_at.weekday() for m in messages}
    months = {m.created_at.strftime("%Y-%m") for m in messages}
    assert len(months) >= 3
    assert {2, 3}.isdisjoint(weekdays)  # some weekdays have no data
    assert any(r.is_error for m in messages for r in m.tool_results)
    assert any(m.attachments for m in messages)
    assert any(not c.messages for c in corpus.conversations)
    assert len(results.temporal.heatmap) == 7
    assert sum(map(sum, results.temporal.heatmap)) == len(messages)
    finding_messages = {f.message_id for f in results.quality.failures.findings}
    assert finding_messages <= {m.id for m in messages if m.role == "assistant"}
