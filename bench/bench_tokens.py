"""How far the token estimate (convoscope_common.aggregates.tokens) is from real tokenizers.

Measurement only, never run by the service: needs Node.js and the npm packages
``gpt-tokenizer`` (OpenAI's o200k_base) and ``@anthropic-ai/tokenizer`` (Anthropic's
published tokenizer, made for older Claude models: itself an approximation of what
current models spend). Install them anywhere and point NODE_PATH at that
``node_modules``::

    npm install --prefix /tmp/tok gpt-tokenizer@4.0.0 @anthropic-ai/tokenizer@0.0.4
    NODE_PATH=/tmp/tok/node_modules .venv/bin/python bench/bench_tokens.py

Texts: every user, previous and next message of tests/data/multilingual (9 languages)
and tests/data/complaints (English), plus the messages of the sample exports. Prints,
per language, the summed error of the estimate (estimate / real - 1) and the mean
absolute error per message, for each vendor.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from convoscope_common.aggregates.tokens import estimate_tokens

ROOT = Path(__file__).resolve().parents[1]
COUNTER = Path(__file__).resolve().parent / "tokens" / "count.cjs"


def _texts() -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    files = sorted((ROOT / "tests/data/multilingual").glob("*.jsonl"))
    files.append(ROOT / "tests/data/complaints/dev.jsonl")
    for path in files:
        for line in path.read_text().splitlines():
            row = json.loads(line)
            for field in ("before", "prev", "user", "next"):
                if row.get(field):
                    texts.append((row.get("lang", "en"), row[field]))
    return texts


def main() -> None:
    if not os.environ.get("NODE_PATH"):
        sys.exit("set NODE_PATH to a node_modules with gpt-tokenizer and @anthropic-ai/tokenizer")
    texts = _texts()
    payload = "".join(json.dumps({"text": t}) + "\n" for _, t in texts)
    out = subprocess.run(
        ["node", str(COUNTER)], input=payload, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    real = [json.loads(line) for line in out]
    print(f"{len(texts)} messages; estimate / real - 1 (sum over the language), mean |error|")
    print(
        f"{'lang':6} {'n':>4} {'o200k sum':>10} {'o200k mean':>11} {'claude sum':>11} "
        f"{'claude mean':>12}"
    )
    rows: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
    for (lang, text), counts in zip(texts, real, strict=True):
        rows[lang].append(
            (
                estimate_tokens(text, "chatgpt"),
                counts["o200k"],
                estimate_tokens(text, "claude"),
                counts["claude"],
            )
        )
    rows["all"] = [r for lang in list(rows) for r in rows[lang]]
    for lang, values in rows.items():
        est_o, real_o, est_c, real_c = (sum(v[i] for v in values) for i in range(4))
        mean_o = sum(abs(v[0] / v[1] - 1) for v in values if v[1]) / len(values)
        mean_c = sum(abs(v[2] / v[3] - 1) for v in values if v[3]) / len(values)
        print(
            f"{lang:6} {len(values):>4} {est_o / real_o - 1:>+10.1%} {mean_o:>11.1%} "
            f"{est_c / real_c - 1:>+11.1%} {mean_c:>12.1%}"
        )


if __name__ == "__main__":
    main()
