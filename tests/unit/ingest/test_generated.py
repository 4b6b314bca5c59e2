"""The export generator feeds the benchmark; here it is used at small sizes."""

from __future__ import annotations

import pytest

from convoscope_ingest.parsing import parse_export


@pytest.mark.parametrize("vendor", ["claude", "chatgpt"])
def test_generated_export_parses_with_rich_content(generator, vendor):
    data = getattr(generator, f"generate_{vendor}_export")(60, seed=3)
    parsed = parse_export(data)
    corpus = parsed.corpus
    assert parsed.metadata.source == vendor
    assert len(corpus.conversations) == 60
    messages = [m for c in corpus.conversations for m in c.messages]
    assert parsed.metadata.messages == len(messages) > 60
    assert {m.role for m in messages} == {"user", "assistant"}
    assert any(m.thinking for m in messages)
    assert any(m.tool_uses for m in messages) and any(m.tool_results for m in messages)
    assert corpus.health.abandoned_messages > 0
    assert any("@" in m.text for m in messages)  # PII-like values for the analyzer
    if vendor == "chatgpt":
        assert corpus.health.hidden_messages > 0
    else:
        assert any(m.citations for m in messages) and any(m.attachments for m in messages)


def test_generator_is_deterministic_per_seed(generator):
    assert generator.generate_claude_export(5, seed=1) == generator.generate_claude_export(5, 1)
    assert generator.generate_claude_export(5, seed=1) != generator.generate_claude_export(5, 2)


def test_write_export_reaches_the_requested_size(generator, tmp_path):
    path = tmp_path / "export.json"
    count = generator.write_export("chatgpt", 200_000, path, seed=0)
    assert path.stat().st_size >= 200_000 and count > 0
    assert parse_export(path.read_bytes()).metadata.conversations == count
