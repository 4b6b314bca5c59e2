"""Throughput of privacy detection and corpus redaction on a synthetic corpus.

Run: .venv/bin/python bench/bench_privacy.py [--conversations N]
Prints messages/s, MB/s and µs per message (CPU time) for: short chat messages, long
assistant answers, PII-dense pasted documents, and redact_corpus over a mixed
corpus (no message text is printed). Each is measured twice in the same run: with
the current scan (one candidate pass) and with the old scanning layer kept as the
reference in tests/unit/privacy/reference_scan.py (each detector looking for its own
anchors), and the ratio old / new is printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from convoscope_analyzer.privacy import PrivacyConfig, Redactor, detect, redact_corpus
from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.evaluation import generate_corpus
from convoscope_common.corpus import Conversation, Corpus, Message

WORDS = (
    "the a to of and in that is for it you with on this be as are can your we at have not "
    "or by from will but an they which one all would there their what so if about out up "
    "function value return error data model file code test user request response server "
    "python rust deploy config build query index cache thread memory token prompt answer "
    "sure here is how you can fix it first second then finally note that because example"
).split()
SHORT = (
    "Thanks, that worked!",
    "Can you explain the second part again?",
    "Hi! Quick question about async generators in Python.",
    "That's not what I asked, try again please.",
    "Perfect, thank you so much",
    "Why does it fail on step 3?",
    "Make it shorter and more formal.",
    "ok",
)


def prose(rng: random.Random, words: int) -> str:
    out: list[str] = []
    for i in range(words):
        w = rng.choice(WORDS)
        if i % 12 == 0:
            w = w.capitalize()
        if rng.random() < 0.02:
            w = str(rng.randint(1, 2025))
        out.append(w)
        if i % 12 == 11:
            out[-1] += "."
    return " ".join(out)


def measure(label: str, texts: list[str], fn: Callable[[str], object], repeat: int = 3) -> float:
    size = sum(len(t.encode()) for t in texts)
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for t in texts:
            fn(t)
        best = min(best, time.process_time() - start)
    print(
        f"{label:<34}{len(texts) / best:>12,.0f} msg/s{size / best / 1e6:>9.2f} MB/s"
        f"{best / len(texts) * 1e6:>10.1f} µs/msg  ({len(texts)} msgs, {size / 1e6:.2f} MB)"
    )
    return best


def build_corpus(rng: random.Random, conversations: int, dense: list[str]) -> Corpus:
    convs: list[Conversation] = []
    now = datetime(2025, 1, 1, tzinfo=UTC)
    for c in range(conversations):
        msgs: list[Message] = []
        for m in range(rng.randint(4, 16)):
            if m % 2 == 0:
                roll = rng.random()
                text = (
                    rng.choice(dense)
                    if roll < 0.1
                    else rng.choice(SHORT)
                    if roll < 0.6
                    else prose(rng, rng.randint(10, 60))
                )
                msgs.append(Message(id=f"{c}-{m}", role="user", text=text, created_at=now))
            else:
                msgs.append(
                    Message(
                        id=f"{c}-{m}",
                        role="assistant",
                        text=prose(rng, rng.randint(80, 400)),
                        created_at=now,
                    )
                )
        convs.append(Conversation(id=str(c), title=prose(rng, 5), messages=msgs))
    return Corpus(conversations=convs)


def _reference() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "tests/unit/privacy/reference_scan.py"
    spec = importlib.util.spec_from_file_location("reference_scan", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=1500)
    args = parser.parse_args()
    reference = _reference()
    rng = random.Random(7)
    short = [rng.choice(SHORT) for _ in range(20000)]
    long_answers = [prose(rng, rng.randint(150, 500)) for _ in range(2000)]
    dense = [example.text for example in generate_corpus(600, seed=99)]

    print("detect() (new: one candidate pass; old: the reference scans)")
    for label, texts in (
        ("short chat messages", short),
        ("long assistant answers (prose)", long_answers),
        ("PII-dense pasted documents", dense),
    ):
        new = measure(f"  {label}, new", texts, detect)
        old = measure(f"  {label}, old", texts, reference.detect)
        print(f"  {label}: old / new = {old / new:.2f}")

    class OldRedactor(Redactor):
        def detect(self, text: str) -> list[Detection]:
            return reference.detect(
                text, region=self.config.default_region, detect_names=self.config.detect_names
            )

    corpus = build_corpus(rng, args.conversations, dense)
    texts = [m.text for c in corpus.conversations for m in c.messages]
    size = sum(len(t.encode()) for t in texts)
    print("redact_corpus() over a mixed corpus (10% of user messages are pasted documents)")
    elapsed: dict[str, float] = {}
    # Alternating, best of 3 each: the first run also fills libphonenumber's caches.
    for _ in range(3):
        for label, redactor in (("new", None), ("old", OldRedactor(PrivacyConfig()))):
            start = time.process_time()
            _, report = redact_corpus(corpus, PrivacyConfig(), redactor=redactor)
            took = time.process_time() - start
            elapsed[label] = min(elapsed.get(label, took), took)
    for label in ("new", "old"):
        print(
            f"  {label}: {len(texts):,} messages, {size / 1e6:.2f} MB in {elapsed[label]:.2f} s: "
            f"{len(texts) / elapsed[label]:,.0f} msg/s, {size / elapsed[label] / 1e6:.2f} MB/s, "
            f"{report.total:,} detections"
        )
    print(f"  old / new = {elapsed['old'] / elapsed['new']:.2f}")


if __name__ == "__main__":
    main()
