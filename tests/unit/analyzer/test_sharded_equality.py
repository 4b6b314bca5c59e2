"""A corpus analysed in shards gives exactly the results of one process, section by section."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from convoscope_analyzer.engine.merge import ShardsIncompleteError, merge_partials
from convoscope_analyzer.engine.options import EngineOptions
from convoscope_analyzer.engine.plan import ShardPlan, make_plan
from convoscope_analyzer.engine.sharding import corpus_shards, shard_bounds
from convoscope_analyzer.engine.topics import apply_learned
from convoscope_analyzer.pipeline import PipelineOutput, run_pipeline
from convoscope_analyzer.privacy import PrivacyConfig
from convoscope_analyzer.shard_corpus import DecodedShards
from convoscope_analyzer.shard_redaction import ReplayRedactor, record_detections
from convoscope_analyzer.sharded import run_sharded, shard_partial
from convoscope_common.comparison_types import PriceEntry, PriceTable
from convoscope_common.corpus import Corpus, decode_corpus, encode_corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.results import AnalysisResults
from convoscope_ingest.parsing import parse_export
from tests.export_texts import load_generator

DATA = Path(__file__).resolve().parents[2] / "data"
SHARD_COUNTS = (1, 2, 3, 7)
SECTIONS = [f for f in AnalysisResults.__struct_fields__ if f != "generated_at"]


def _corpus_bytes(name: str) -> bytes:
    generator = load_generator()
    if name == "generated-claude":
        export = generator.generate_claude_export(120, seed=7)
    elif name == "generated-chatgpt":
        export = generator.generate_chatgpt_export(90, seed=3)
    else:
        export = (DATA / name).read_bytes()
    return encode_corpus(parse_export(export).corpus)


CORPORA = [
    "generated-claude",
    "generated-chatgpt",
    "claude_sample.json",
    "chatgpt_sample.json",
    "multilingual_conversations.json",
    "real_shapes/chatgpt_reasoning.json",
    "real_shapes/claude_mcp_tools.json",
]


def sharded(
    corpus: Corpus,
    options: AnalysisOptions,
    privacy: PrivacyConfig,
    *,
    shards: int,
    in_place: bool = False,
    prices: PriceTable | None = None,
) -> PipelineOutput:
    """The decoded corpus through the sharded driver, shards run here in turn."""
    access = DecodedShards(corpus, hand_over=in_place and options.enable_privacy)
    output = run_sharded(access, options, privacy, shards=shards, prices=prices)
    assert output.redacted is not None
    return PipelineOutput(results=output.results, redacted_corpus=output.redacted)


def _part(corpus: Corpus, start: int, end: int) -> Corpus:
    return msgspec.structs.replace(corpus, conversations=corpus.conversations[start:end])


@pytest.fixture(scope="module", params=CORPORA)
def corpus_bytes(request: pytest.FixtureRequest) -> bytes:
    return _corpus_bytes(request.param)


def _sections(results: AnalysisResults) -> dict[str, bytes]:
    return {name: msgspec.msgpack.encode(getattr(results, name)) for name in SECTIONS}


@pytest.fixture(scope="module")
def one_process(corpus_bytes: bytes) -> tuple[dict[str, bytes], bytes]:
    output = run_pipeline(decode_corpus(corpus_bytes), AnalysisOptions(), PrivacyConfig())
    return _sections(output.results), encode_corpus(output.redacted_corpus)


@pytest.mark.parametrize("shards", SHARD_COUNTS)
def test_every_section_equals_one_process(
    corpus_bytes: bytes, one_process: tuple[dict[str, bytes], bytes], shards: int
) -> None:
    expected, expected_corpus = one_process
    output = sharded(decode_corpus(corpus_bytes), AnalysisOptions(), PrivacyConfig(), shards=shards)
    got = _sections(output.results)
    for name in SECTIONS:
        assert got[name] == expected[name], f"section {name} differs with {shards} shards"
    assert encode_corpus(output.redacted_corpus) == expected_corpus


def test_options_off_a_timezone_pseudonyms_and_prices() -> None:
    data = _corpus_bytes("generated-claude")
    options = AnalysisOptions(
        enable_quality=False, enable_visualizations=False, timezone="America/Sao_Paulo"
    )
    config = PrivacyConfig(operators={"phone": "mask", "email": "pseudonym"}, secret="s3cret")
    prices = PriceTable(
        prices={"claude": PriceEntry(input=3.0, output=15.0), "x": PriceEntry(input=1.0)}
    )
    one = run_pipeline(decode_corpus(data), options, config, prices=prices)
    assert one.results.usage is not None and one.results.usage.total.estimated_cost
    for shards in (2, 5):
        output = sharded(
            decode_corpus(data), options, config, shards=shards, in_place=True, prices=prices
        )
        assert _sections(output.results) == _sections(one.results)
        assert encode_corpus(output.redacted_corpus) == encode_corpus(one.redacted_corpus)


def test_placeholders_are_numbered_across_shards() -> None:
    """The first address of the corpus is <EMAIL_1> even when its shard is not the first."""
    data = _corpus_bytes("generated-claude")
    output = sharded(decode_corpus(data), AnalysisOptions(), PrivacyConfig(), shards=7)
    text = "\n".join(m.text for c in output.redacted_corpus.conversations for m in c.messages)
    numbers = [int(n) for n in re.findall(r"<EMAIL_(\d+)>", text)]
    assert numbers, "the generated export holds e-mail addresses"
    assert numbers[0] == 1
    # One counter for the whole corpus, not 1..k again in every shard: the last shard's
    # conversations use numbers no one-shard-only counter would reach.
    last = output.redacted_corpus.conversations[-10:]
    tail = "\n".join(m.text for c in last for m in c.messages)
    assert max(int(n) for n in re.findall(r"<EMAIL_(\d+)>", text)) > 7
    assert max((int(n) for n in re.findall(r"<EMAIL_(\d+)>", tail)), default=8) > 7


def test_partials_survive_msgpack_and_arrive_in_any_order() -> None:
    corpus = decode_corpus(_corpus_bytes("generated-claude"))
    options = EngineOptions()
    plan = make_plan(corpus)
    ranges = corpus_shards(corpus, 4)
    partials = [shard_partial(_part(corpus, a, b), a, plan, options) for a, b in ranges]
    decoder = msgspec.msgpack.Decoder(type(partials[0]))
    wire = [decoder.decode(msgspec.msgpack.encode(p)) for p in reversed(partials)]
    n = len(corpus.conversations)
    merged = merge_partials(wire, plan, options, conversations=n)
    direct = merge_partials(partials, plan, options, conversations=n)
    assert _sections(merged) == _sections(direct)
    with pytest.raises(ShardsIncompleteError):
        merge_partials(partials[:-1], plan, options, conversations=n)
    with pytest.raises(ShardsIncompleteError):
        merge_partials([*partials, partials[1]], plan, options, conversations=n)


def test_a_recording_out_of_step_is_refused() -> None:
    corpus = decode_corpus(_corpus_bytes("claude_sample.json"))
    config = PrivacyConfig()
    recorded = record_detections(corpus, config, 1, len(corpus.conversations))
    replay = ReplayRedactor(config, iter(recorded))
    first = corpus.conversations[0]
    with pytest.raises(RuntimeError, match="out of step"):
        replay.detect(first.title or first.messages[0].text)


@pytest.mark.parametrize(
    ("sizes", "shards"),
    [([5, 1, 1, 1, 1, 1], 3), ([1] * 10, 4), ([3], 7), ([100, 1, 1], 2), ([], 3), ([2, 2], 1)],
)
def test_shards_are_contiguous_balanced_and_cover_everything(sizes: list[int], shards: int) -> None:
    bounds = shard_bounds(sizes, shards)
    assert len(bounds) <= max(1, shards)
    position = 0
    for start, end in bounds:
        assert start == position and end > start
        position = end
    assert position == len(sizes)
    if sizes and shards > 1 and len(sizes) >= shards and max(sizes) == min(sizes):
        assert len(bounds) == shards


@pytest.mark.parametrize("name", ["generated-claude", "generated-chatgpt"])
def test_learned_rows_read_later_equal_those_read_in_the_shard(name: str) -> None:
    """A shard started without topic models records each conversation's terms; reading
    them with the fitted models later gives the rows a shard with the models computes."""
    corpus = decode_corpus(_corpus_bytes(name))
    plan = make_plan(corpus)
    assert plan.learned is not None and plan.learned.models
    options = EngineOptions()
    later = ShardPlan(fallback_language=plan.fallback_language)
    for a, b in corpus_shards(corpus, 3):
        here = shard_partial(_part(corpus, a, b), a, plan, options)
        deferred = shard_partial(_part(corpus, a, b), a, later, options)
        assert not deferred.topics.learned
        assert len(deferred.topics.deferred) == len(deferred.topics.ids)
        wire = msgspec.msgpack.Decoder(type(deferred)).decode(msgspec.msgpack.encode(deferred))
        apply_learned(wire.topics, plan.learned)
        assert not wire.topics.deferred
        assert msgspec.msgpack.encode(wire) == msgspec.msgpack.encode(here)
    # The merge reads what is still deferred.
    n = len(corpus.conversations)
    whole = shard_partial(corpus, 0, later, options)
    direct = shard_partial(corpus, 0, plan, options)
    merged = merge_partials([whole], plan, options, conversations=n)
    assert _sections(merged) == _sections(merge_partials([direct], plan, options, conversations=n))
