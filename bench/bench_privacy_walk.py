"""The corpus redaction's field walk: the one walk (privacy/text_fields.py) against the
walk it replaced (tests/unit/privacy/reference_walk.py), in one run.

    .venv/bin/python bench/bench_privacy_walk.py --conversations 3000 --rounds 5

A generated claude.ai export (bench/generate_export.py) is redacted with
``redact_corpus`` (a new corpus) and ``redact_corpus_in_place``, each with the real
redactor (detection included, as a job runs it) and with a redactor that detects nothing
(the walk alone: what changed). Rounds alternate old and new; the best CPU time of each
is printed with the ratio new / old (below 1: the one walk is faster). Figures only.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_export import generate_claude_export

from convoscope_analyzer.privacy import (
    Detection,
    PrivacyConfig,
    Redactor,
    redact_corpus,
    redact_corpus_in_place,
)
from convoscope_common.corpus import Corpus, decode_corpus, encode_corpus
from convoscope_ingest.parsing import ParseLimits, parse_export


class _Nothing(Redactor):
    """Finds nothing: what is left is the walk."""

    def redact_text(self, text: str) -> tuple[str, list[Detection]]:
        return text, []


def _reference() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "tests/unit/privacy/reference_walk.py"
    spec = importlib.util.spec_from_file_location("reference_walk", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cpu(fn: Callable[[], object]) -> float:
    started = time.process_time()
    fn()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    reference = _reference()
    data = generate_claude_export(args.conversations, seed=5)
    blob = encode_corpus(parse_export(data, limits=ParseLimits(max_bytes=len(data) + 1)).corpus)
    corpus = decode_corpus(blob)
    messages = sum(len(c.messages) for c in corpus.conversations)
    print(
        f"load: {os.getloadavg()[0]:.2f}; "
        f"{len(corpus.conversations)} conversations, {messages} messages"
    )
    del corpus
    config = PrivacyConfig()
    redactors: dict[str, Callable[[], Redactor]] = {
        "detection": lambda: Redactor(config),
        "walk only": lambda: _Nothing(config),
    }
    # (label, old, new): each takes a corpus of its own and a fresh redactor.
    variants: list[
        tuple[str, Callable[[Corpus, Redactor], object], Callable[[Corpus, Redactor], object]]
    ] = [
        (
            "redact_corpus",
            lambda c, r: reference.reference_redact_corpus(c, config, r),
            lambda c, r: redact_corpus(c, config, redactor=r),
        ),
        (
            "in place",
            lambda c, r: reference.reference_redact_in_place(c, config, r),
            lambda c, r: redact_corpus_in_place(c, config, redactor=r),
        ),
    ]
    for kind, make in redactors.items():
        for label, old, new in variants:
            best = {"old": float("inf"), "new": float("inf")}
            for _ in range(args.rounds):
                for which, fn in (("old", old), ("new", new)):
                    subject, redactor = decode_corpus(blob), make()  # not timed
                    best[which] = min(
                        best[which], _cpu(lambda f=fn, c=subject, r=redactor: f(c, r))
                    )
            print(
                f"{label + ', ' + kind:28s} old {best['old']:7.3f} s  new {best['new']:7.3f} s  "
                f"new / old {best['new'] / best['old']:.3f}"
            )
    print(f"load: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
