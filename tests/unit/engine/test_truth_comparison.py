"""Truth tests of the comparison and usage sections on the hand-made collection exports
(tests/data/collections/make_exports.py): two vendors, a duplicate in each, an edited
conversation, a model switch mid-conversation."""

from __future__ import annotations

from pathlib import Path

import pytest

from convoscope_analyzer.engine import EngineOptions, analyze
from convoscope_common.aggregates.tokens import estimate_tokens, message_tokens
from convoscope_common.comparison_types import CompareGroup, PriceEntry, PriceTable
from convoscope_common.corpus import Corpus
from convoscope_common.results import AnalysisResults
from convoscope_ingest.merge import merge_corpora
from convoscope_ingest.parsing import parse_export

DATA = Path(__file__).resolve().parents[2] / "data" / "collections"
NAMES = ("claude_jan", "claude_mar", "chatgpt_a", "chatgpt_b")


def _merged() -> Corpus:
    return merge_corpora([parse_export((DATA / f"{n}.json").read_bytes()).corpus for n in NAMES])


@pytest.fixture(scope="module")
def results() -> AnalysisResults:
    return analyze(_merged(), EngineOptions())


def _row(rows: list[CompareGroup], vendor: str, model: str = "", month: str = "") -> CompareGroup:
    return next(r for r in rows if (r.vendor, r.model, r.month) == (vendor, model, month))


def test_each_vendor_counts_its_conversations_once(results: AnalysisResults) -> None:
    assert results.comparison is not None
    claude = _row(results.comparison.vendors, "claude")
    chatgpt = _row(results.comparison.vendors, "chatgpt")
    # tomato 2 + taxes 4 (the March version) + bikes 2; switch 4 + poems 2 + default 2
    assert (claude.conversations, claude.messages, claude.replies) == (3, 8, 4)
    assert (chatgpt.conversations, chatgpt.messages, chatgpt.replies) == (3, 8, 4)


def test_the_model_switch_splits_one_conversation_between_two_models(
    results: AnalysisResults,
) -> None:
    assert results.comparison is not None
    models = results.comparison.models
    assert {r.model for r in models if r.vendor == "chatgpt"} == {"gpt-4o", "o3", "gpt-4o-mini"}
    o3 = _row(models, "chatgpt", "o3")
    # The second question and its answer belong to o3; the first pair to gpt-4o.
    assert (o3.conversations, o3.messages, o3.replies) == (1, 2, 1)
    gpt4o = _row(models, "chatgpt", "gpt-4o")
    assert (gpt4o.conversations, gpt4o.messages, gpt4o.replies) == (2, 4, 2)
    # "Great, thanks!" answered gpt-4o's first reply: the next turn is positive.
    assert gpt4o.next_turn_scored == 1 and gpt4o.next_turn_sentiment is not None
    assert gpt4o.next_turn_sentiment > 0.5
    assert o3.next_turn_scored == 0 and o3.next_turn_sentiment is None
    # The conversation counts once for task completion: for gpt-4o (first of a tie).
    assert sum(o3.task_completion.values()) == 0
    # The model only in default_model_slug is kept.
    assert _row(models, "chatgpt", "gpt-4o-mini").replies == 1


def test_claude_is_compared_per_vendor_and_the_refusal_counts_there(
    results: AnalysisResults,
) -> None:
    assert results.comparison is not None
    (claude_model,) = [r for r in results.comparison.models if r.vendor == "claude"]
    assert claude_model.model == "claude: model not in export"
    claude = _row(results.comparison.vendors, "claude")
    # The March continuation of c-taxes ends in a refusal.
    assert claude.refusals == 1
    assert claude.failures_per_100_by_type == {"unnecessary_refusal": 25.0}
    assert claude.refusals_per_100_replies == 25.0
    assert _row(results.comparison.vendors, "chatgpt").refusals == 0


def test_months_split_the_rows(results: AnalysisResults) -> None:
    assert results.comparison is not None
    monthly = results.comparison.monthly
    claude_months = {r.month: r.messages for r in monthly if r.vendor == "claude" and not r.model}
    # January: tomato 2 + the first half of taxes 2; March: the continuation 2 + bikes 2.
    assert claude_months == {"2026-01": 4, "2026-03": 4}
    chatgpt_months = {r.month for r in monthly if r.vendor == "chatgpt" and not r.model}
    assert chatgpt_months == {"2026-02", "2026-03"}


def test_usage_sums_the_estimate_of_every_message(results: AnalysisResults) -> None:
    corpus = _merged()
    sent = produced = 0
    for conversation in corpus.conversations:
        for message in conversation.messages:
            i, o = message_tokens(message, conversation.source)
            sent, produced = sent + i, produced + o
    usage = results.usage
    assert usage is not None and usage.estimate
    assert (usage.total.input_tokens, usage.total.output_tokens) == (sent, produced)
    assert usage.total.messages == 16
    assert sum(c.input_tokens + c.output_tokens for c in usage.by_model.values()) == sent + produced
    assert sum(c.messages for c in usage.by_month.values()) == 16
    assert usage.total.estimated_cost is None and usage.currency is None


def test_a_price_table_gives_an_estimated_cost_per_model_and_vendor_fallback() -> None:
    prices = PriceTable(
        currency="EUR",
        prices={"gpt-4o": PriceEntry(input=1_000_000, output=2_000_000), "claude": PriceEntry()},
    )
    usage = analyze(_merged(), EngineOptions(prices=prices)).usage
    assert usage is not None and usage.currency == "EUR"
    gpt4o = usage.by_model["gpt-4o"]
    assert gpt4o.estimated_cost == gpt4o.input_tokens * 1 + gpt4o.output_tokens * 2
    assert usage.by_model["claude: model not in export"].estimated_cost == 0.0
    assert usage.unpriced == ["gpt-4o-mini", "o3"]
    assert usage.total.estimated_cost == gpt4o.estimated_cost


def test_estimates_follow_the_script() -> None:
    english = "The quick brown fox jumps over the lazy dog. " * 4
    assert estimate_tokens(english, "chatgpt") == pytest.approx(len(english) / 4, rel=0.1)
    chinese = "今天天气很好我们去公园散步吧" * 3
    assert estimate_tokens(chinese, "chatgpt") > len(chinese) / 2
    assert estimate_tokens(chinese, "claude") > estimate_tokens(chinese, "chatgpt")
    assert estimate_tokens("", "claude") == 0
