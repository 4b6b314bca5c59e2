"""Light results document and paged browsing (issue 12 point 2, issue 13 "fast").

On a generated claude.ai export: the size of ``GET /api/analysis/{id}``'s light document
against the whole result as JSON (what the endpoint returned before), and the gateway's
work behind the web app's pages, each beside a plain ``msgspec.json.decode`` of the
export with the collector off (the yardstick):

- light: ``light_results`` + JSON encode (per GET of a complete job);
- index: decoding results and redacted corpus and building the browse index (once per
  analysis per gateway, then cached);
- page: one page of 50 conversations, one conversation, a filtered overview.

Figures only, no assertions.

    python bench/bench_light.py --size-mb 20
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

import msgspec
from multidict import MultiDict

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_export import write_export  # noqa: E402 - found through HERE


def _timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=20.0)
    parser.add_argument("--unique", action="store_true", help=">= 95 %% distinct message texts")
    args = parser.parse_args(argv)

    from convoscope_analyzer.pipeline import run_pipeline
    from convoscope_analyzer.privacy import PrivacyConfig
    from convoscope_common.corpus import decode_corpus, encode_corpus
    from convoscope_common.light import light_results
    from convoscope_common.options import AnalysisOptions
    from convoscope_common.results import decode_results, encode_results
    from convoscope_gateway.browse_filters import matching_conversations, parse_query
    from convoscope_gateway.browse_index import build_index, conversation_messages, message_detail
    from convoscope_gateway.overview import filtered_results
    from convoscope_ingest.limits import ParseLimits
    from convoscope_ingest.parsing import parse_export

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "conversations.json"
        write_export("claude", int(args.size_mb * 1_000_000), path, seed=3, unique=args.unique)
        data = path.read_bytes()
    gc.disable()
    _, floor = _timed(lambda: msgspec.json.decode(data))
    gc.enable()
    parsed = parse_export(data, limits=ParseLimits(max_bytes=len(data) + 1))
    output = run_pipeline(parsed.corpus, AnalysisOptions(), PrivacyConfig(), in_place=True)
    results_blob = encode_results(output.results)
    corpus_blob = encode_corpus(output.redacted_corpus)
    messages = output.results.summary.messages
    full_json = msgspec.json.encode(output.results)
    del output, parsed

    def rebuild():  # type: ignore[no-untyped-def]
        return build_index(decode_results(results_blob), decode_corpus(corpus_blob))

    index, t_index = _timed(rebuild)
    light_json, t_light = _timed(lambda: msgspec.json.encode(light_results(index.results)))
    query = parse_query(MultiDict())
    rows, t_page = _timed(lambda: matching_conversations(index, query)[:50])
    cid = max(index.conversation, key=lambda c: len(index.conversation[c].messages))
    _, t_conv = _timed(
        lambda: [message_detail(index, k) for k in conversation_messages(index, cid)][:200]
    )
    month = (rows[0].first_date or "")[:7]
    flt = parse_query(MultiDict({"date_from": f"{month}-01", "date_to": f"{month}-28"}))
    _, t_overview = _timed(lambda: msgspec.json.encode(filtered_results(index, flt)))

    print(
        f"export: {len(data) / 1e6:.1f} MB, {messages:,} messages, "
        f"{len(index.conversations):,} conversations"
    )
    print(f"yardstick: plain decode (gc off) {floor:.3f} s")
    print(f"whole result as JSON: {len(full_json) / 1e6:.2f} MB (the old GET /api/analysis body)")
    print(
        f"light document: {len(light_json) / 1e3:.1f} kB = {len(full_json) / len(light_json):.0f}x "
        f"smaller; built + encoded in {t_light * 1000:.1f} ms ({t_light / floor:.2f}x floor)"
    )
    print(
        f"browse index (decode results + corpus, build): {t_index:.2f} s "
        f"({t_index / floor:.1f}x floor), once per analysis"
    )
    print(f"first page of 50 conversations: {t_page * 1000:.1f} ms")
    print(
        f"one conversation ({len(index.conversation[cid].messages)} messages): "
        f"{t_conv * 1000:.1f} ms"
    )
    print(
        f"filtered overview (one month): {t_overview * 1000:.1f} ms "
        f"({t_overview / floor:.2f}x floor)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
