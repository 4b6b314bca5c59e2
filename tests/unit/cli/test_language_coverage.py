"""Issue 19 on the command line: the summary says which languages sentiment covered."""

from __future__ import annotations

import re
from pathlib import Path

from tests.unit.cli.helpers import DATA, last_json, run_cli

MULTILINGUAL = DATA / "multilingual_conversations.json"


def _words(stdout: str) -> str:
    """The table's text without its borders, wrapped cells joined."""
    return " ".join(re.sub(r"[\u2500-\u257f]", " ", stdout).split())


def test_json_names_the_languages_and_what_was_not_scored(tmp_path: Path) -> None:
    done = run_cli("analyze", str(MULTILINGUAL), "--out", str(tmp_path), "--format", "json",
                   "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = last_json(done.stdout)
    languages = summary["languages"]
    assert {"zh", "ja", "ru"} <= set(languages), languages
    unscored = summary["not_scored_by_language"]
    assert unscored and "en" not in unscored
    assert summary["sentiment_languages"] == ["en"]
    assert 0 <= summary["sentiment_coverage"] < 1
    # Every non-English user message is either scored by no one or counted here.
    assert sum(unscored.values()) == sum(n for lang, n in languages.items() if lang != "en")


def test_the_table_says_the_coverage_in_words(tmp_path: Path) -> None:
    done = run_cli("analyze", str(MULTILINGUAL), "--out", str(tmp_path), "--format", "json")
    assert done.returncode == 0, done.stderr
    text = _words(done.stdout)
    assert "languages" in text
    assert "Japanese" in text and "Russian" in text and "Arabic" in text
    assert "covers" in text and "not scored" in text
    assert "(the model reads English only)" in text


def test_an_english_export_is_covered_in_full(tmp_path: Path) -> None:
    done = run_cli(
        "analyze", str(DATA / "claude_sample.json"), "--out", str(tmp_path), "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    assert "covers all of your messages" in _words(done.stdout)
