"""``own_language`` (the plan's sample, detecting only as many user messages as it takes)
gives exactly what ``assign_languages`` gives in ``own``, on conversations that mix
languages, unsure and unreadable messages in every order."""

from __future__ import annotations

import json
import random
from datetime import UTC
from pathlib import Path

from convoscope_analyzer.engine import language
from convoscope_analyzer.engine.language import UNKNOWN, assign_languages
from convoscope_analyzer.engine.plan import own_language
from convoscope_analyzer.engine.prepared import prepare_corpus
from convoscope_common.corpus import Conversation, Corpus, Message
from tests.export_texts import load_generator, strings

MULTILINGUAL = Path(__file__).resolve().parents[2] / "data" / "multilingual"
# Too short or without letters: no language of their own.
UNSURE = ["ok", "thanks!", "42", "???", "   ", "", "1 + 1 = 2", "```\nx = 1\n```", "oui", "ja"]


def _texts() -> list[str]:
    found: list[str] = []
    for path in sorted(MULTILINGUAL.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                found += [t for t in strings(json.loads(line)) if t]
    export = json.loads(load_generator().generate_claude_export(60, seed=11))
    found += [t for t in strings(export) if t][:3000]
    return found


def _conversations(count: int, seed: int) -> list[Conversation]:
    rng = random.Random(seed)
    texts = _texts()
    made = []
    for i in range(count):
        turns = rng.randint(1, 14)
        messages = []
        for j in range(turns):
            pick = rng.random()
            text = rng.choice(UNSURE) if pick < 0.3 else rng.choice(texts)
            role = "user" if rng.random() < 0.6 else "assistant"
            messages.append(Message(id=f"c{i}-m{j}", role=role, text=text))
        made.append(Conversation(id=f"c{i}", messages=messages))
    return made


def test_own_language_is_assign_languages_own() -> None:
    conversations = _conversations(3000, seed=5)
    prepared = prepare_corpus(Corpus(conversations=conversations), UTC)
    expected = assign_languages(prepared, fallback=UNKNOWN).own
    got = [own_language(c) for c in conversations]
    assert got == expected
    # The set covers every path: decided early, decided at the end, no language at all.
    assert UNKNOWN in got and len(set(got)) >= 8


def test_own_language_detects_fewer_messages(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    conversations = _conversations(400, seed=9)
    calls = 0
    real = language.detect

    def counting(text: str) -> language.Detection:
        nonlocal calls
        calls += 1
        return real(text)

    monkeypatch.setattr(language, "detect", counting)
    [own_language(c) for c in conversations]
    ours = calls
    calls = 0
    assign_languages(prepare_corpus(Corpus(conversations=conversations), UTC), fallback=UNKNOWN)
    assert ours < calls
