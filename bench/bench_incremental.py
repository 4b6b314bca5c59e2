"""Incremental analysis: re-analysing a newer export with 5 % new conversations, against
analysing it from scratch.

Two generated claude.ai exports of one account (``--unique`` texts, >= 95 % distinct, so
no per-text cache could flatter a figure): the older one with N conversations, the newer
one holding the same N plus 5 % more (``--new``). Both modes print the full time, the
incremental time and their ratio (the issue's target: <= 0.15), and whether the
incremental results equal the from-scratch ones.

``--mode inprocess`` (default): the analyzer's own pipelines on loaded corpora, as a job
runs them: ``run_pipeline`` (redaction + engine) on the merged newer corpus is the full
time; ``run_incremental`` on the same corpus with the pieces an analysis of the older
export left is the incremental time (its reuse and step times are printed too).

``--mode api``: a running stack's public API (start one yourself, e.g.
``python -m convoscope_stack --port 5105 --nats-port 4305 --data-dir /tmp/x``):
upload both exports; collection A = [older], analyse (its pieces are kept); add the
newer export, analyse again (incremental, timed); a second collection B = [newer] is
analysed from scratch (timed: the full time). Times run from ``POST .../analysis``
until the job is complete; the two results are compared section by section. Then a
third export (the newer plus as many new conversations again) is added to A and A is
analysed once more; each analysis prints its ``estimated_duration`` beside its time.

    python bench/bench_incremental.py --messages 60000
    python bench/bench_incremental.py --mode api --url http://127.0.0.1:5105
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_export import _ITERATORS  # noqa: E402 - found through HERE

_encoder = msgspec.json.Encoder()


def write_exports(
    directory: Path, messages: int, new_share: float, seed: int
) -> tuple[Path, Path, Path]:
    """The older export (about ``messages`` messages), the newer one (the same
    conversations plus ``new_share`` more, newer) and the newest (the newer one's plus
    ``new_share`` more again), as files."""
    conversations = _ITERATORS["claude"](seed, True)
    older: list[bytes] = []
    counted = 0
    while counted < messages:
        item = next(conversations)
        counted += len(item["chat_messages"])
        older.append(_encoder.encode(item))
    added = round(len(older) * new_share)
    newer = older + [_encoder.encode(next(conversations)) for _ in range(added)]
    newest = newer + [_encoder.encode(next(conversations)) for _ in range(added)]
    paths = (directory / "older.json", directory / "newer.json", directory / "newest.json")
    for path, items in zip(paths, (older, newer, newest), strict=True):
        path.write_bytes(b"[" + b",".join(items) + b"]")
    print(
        f"exports: {len(older)} conversations ({counted} messages), "
        f"then {len(newer)}, then {len(newest)}"
    )
    return paths


def _load() -> Any:
    os.environ.setdefault("CONVOSCOPE_LOG_LEVEL", "WARNING")


def in_process(older: Path, newer: Path) -> None:
    """Full and incremental analysis of the merged newer corpus, in this process."""
    from convoscope_analyzer.engine import warm_up
    from convoscope_analyzer.incremental_pipeline import run_incremental
    from convoscope_analyzer.pieces_codec import decode_pieces, encode_pieces
    from convoscope_analyzer.pipeline import run_pipeline
    from convoscope_analyzer.privacy import PrivacyConfig
    from convoscope_common.corpus import decode_corpus, encode_corpus
    from convoscope_common.options import AnalysisOptions
    from convoscope_common.results import encode_results
    from convoscope_ingest.merge import merge_corpora
    from convoscope_ingest.parsing import ParseLimits, parse_export

    def parse(path: Path) -> Any:
        data = path.read_bytes()
        return parse_export(data, limits=ParseLimits(max_bytes=len(data) + 1)).corpus

    first, second = parse(older), parse(newer)
    before = encode_corpus(merge_corpora([first]))
    after = encode_corpus(merge_corpora([first, second]))
    del first, second
    warm_up()
    options, privacy = AnalysisOptions(), PrivacyConfig()
    previous = run_incremental(decode_corpus(before), options, privacy, None, in_place=True)
    blob = encode_pieces(previous.pieces)
    del previous
    print(f"pieces of the older analysis: {len(blob) / 1e6:.1f} MB")

    corpus = decode_corpus(after)
    started = time.perf_counter()
    full = run_pipeline(corpus, options, privacy, in_place=True)
    full_s = time.perf_counter() - started
    del corpus

    corpus = decode_corpus(after)
    started = time.perf_counter()
    pieces = decode_pieces(blob)
    run = run_incremental(corpus, options, privacy, pieces, in_place=True)
    kept = encode_pieces(run.pieces)
    incremental_s = time.perf_counter() - started
    del corpus

    stats = run.stats
    print(
        f"reused {stats.chunks_reused}/{stats.chunks} chunks, "
        f"{stats.conversations_reused}/{stats.conversations} conversations; "
        f"scanned for personal data afresh: {run.texts_scanned}; "
        f"pieces kept {len(kept) / 1e6:.1f} MB"
    )
    print("incremental steps: " + ", ".join(f"{k} {v:.2f} s" for k, v in stats.timings.items()))
    a, b = full.results, run.output.results
    b.generated_at = a.generated_at
    print(f"full (from scratch)   {full_s:8.2f} s")
    print(
        f"incremental           {incremental_s:8.2f} s   (pieces decoded and re-encoded included)"
    )
    print(f"ratio                 {incremental_s / full_s:8.3f}   (target <= 0.15)")
    print(f"results identical     {encode_results(a) == encode_results(b)}")
    print(
        "redacted corpus identical "
        f"{encode_corpus(full.redacted_corpus) == encode_corpus(run.output.redacted_corpus)}"
    )


# --- through the API -------------------------------------------------------------------


async def _json(resp: Any) -> Any:
    body = await resp.json()
    if resp.status >= 300:
        raise SystemExit(f"{resp.method} {resp.url}: {resp.status} {body}")
    return body


async def _upload(http: Any, path: Path) -> str:
    import aiohttp

    form = aiohttp.FormData()
    form.add_field("file", path.open("rb"), filename=path.name, content_type="application/json")
    async with http.post("/api/upload", data=form) as resp:
        return str((await _json(resp))["file_id"])


# Seconds the stack is left alone before each timed analysis: work a job leaves behind
# after it completed (its pieces written in the background) must not be charged to the
# next one, nor make the full time longer.
SETTLE = 3.0


async def _analyse(http: Any, collection_id: str) -> tuple[str, float]:
    """POST the collection's analysis and poll until complete: (job id, seconds). Prints
    the ``estimated_duration`` the POST answered beside the time it took."""
    await asyncio.sleep(SETTLE)
    started = time.perf_counter()
    async with http.post(f"/api/collections/{collection_id}/analysis", json={}) as resp:
        accepted = await _json(resp)
        job_id, estimate = str(accepted["job_id"]), float(accepted["estimated_duration"])
    while True:
        async with http.get(f"/api/analysis/{job_id}") as resp:
            state = await _json(resp)
        if state["status"] in ("complete", "failed", "cancelled"):
            break
        await asyncio.sleep(0.1)
    took = time.perf_counter() - started
    if state["status"] != "complete":
        raise SystemExit(f"analysis {job_id} ended {state['status']}: {state.get('error')}")
    print(f"  {job_id}: estimated {estimate:.1f} s, took {took:.2f} s")
    return job_id, took


async def _results(http: Any, job_id: str) -> dict[str, Any]:
    """The whole results document (the ``json`` export)."""
    async with http.post("/api/export", json={"job_id": job_id, "formats": ["json"]}) as resp:
        state = await _json(resp)
    while state.get("status") not in ("complete", "failed"):
        await asyncio.sleep(0.2)
        async with http.get(f"/api/export/{state['export_id']}") as resp:
            state = await _json(resp)
    async with http.get(state["files"][0]["url"]) as resp:
        document: dict[str, Any] = msgspec.json.decode(await resp.read())
    return document


async def through_api(
    url: str, older: Path, newer: Path, newest: Path, api_key: str | None
) -> None:
    """Collection A: older, then + newer (incremental); collection B: newer alone; then
    A + newest (incremental again, once the incremental duration model has a run: its
    estimate is what a person would be told)."""
    import aiohttp

    headers = {"X-API-Key": api_key} if api_key else {}
    timeout = aiohttp.ClientTimeout(total=None, sock_read=3600)
    async with aiohttp.ClientSession(url, headers=headers, timeout=timeout) as http:
        old_id, new_id = await _upload(http, older), await _upload(http, newer)
        async with http.post("/api/collections", json={"name": "A", "file_ids": [old_id]}) as r:
            a = (await _json(r))["collection_id"]
        async with http.post("/api/collections", json={"name": "B", "file_ids": [new_id]}) as r:
            b = (await _json(r))["collection_id"]
        _, first_s = await _analyse(http, a)
        async with http.post(f"/api/collections/{a}/uploads", json={"file_ids": [new_id]}) as r:
            await _json(r)
        incremental_job, incremental_s = await _analyse(http, a)
        full_job, full_s = await _analyse(http, b)
        one, two = await _results(http, full_job), await _results(http, incremental_job)
        newest_id = await _upload(http, newest)
        async with http.post(f"/api/collections/{a}/uploads", json={"file_ids": [newest_id]}) as r:
            await _json(r)
        _, again_s = await _analyse(http, a)
    # The json export: {"manifest", "results"}; every section but the time it was made.
    first, second = one["results"], two["results"]
    sections = [k for k in first if k != "generated_at"]
    differing = [k for k in sections if first.get(k) != second.get(k)]
    print(f"first analysis (older export)     {first_s:8.2f} s")
    print(f"full (newer export, from scratch) {full_s:8.2f} s")
    print(f"incremental (older + newer)       {incremental_s:8.2f} s")
    print(f"ratio                             {incremental_s / full_s:8.3f}   (target <= 0.15)")
    print(f"incremental again (+ newest)      {again_s:8.2f} s")
    print(f"sections compared {len(sections)}, differing: {differing or 'none'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("inprocess", "api"), default="inprocess")
    parser.add_argument("--messages", type=int, default=60_000)
    parser.add_argument("--new", type=float, default=0.05, help="share of new conversations")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--url", default="http://127.0.0.1:5105")
    parser.add_argument("--api-key")
    parser.add_argument("--dir", type=Path, help="keep the exports here (default: a temp dir)")
    args = parser.parse_args(argv)
    print(f"load: {os.getloadavg()[0]:.2f} (1 min average)")
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.dir or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        older, newer, newest = write_exports(directory, args.messages, args.new, args.seed)
        if args.mode == "inprocess":
            _load()
            in_process(older, newer)
        else:
            asyncio.run(through_api(args.url, older, newer, newest, args.api_key))
    print(f"load: {os.getloadavg()[0]:.2f} (1 min average)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
