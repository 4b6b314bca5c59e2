"""The texts the privacy scan is compared on (test_single_pass.py, test_detect_gates.py).

More than 10,000: every text of a generated claude.ai and ChatGPT export
(bench/generate_export.py), of a synthetic corpus (bench/synthetic_corpus.py), the
labelled privacy sets (synthetic, tricky, held-out, URL secrets, the multilingual names
and addresses), and generated strings that pile up the things the candidate pass looks
for (keywords in odd case, digit runs around separators, colons, "@", line starts,
look-alike characters such as the Kelvin sign and the long s).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from itertools import islice
from pathlib import Path

from convoscope_analyzer.privacy import PrivacyConfig, Redactor
from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.evaluation import generate_corpus, load_tricky_cases
from tests.export_texts import bench_module, strings

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "tests" / "data"
CASES = REPO / "tests" / "privacy_eval"

# Pieces the generated strings are made of: each is a candidate of some detector, a near
# miss of one, or a character whose lower case is special.
FRAGMENTS = [
    "password", "PassWord", "passwd", "pass", "pw", "PWD", "pwd:", "secret", "SECRET_KEY",
    "token", "api_key", "apikey", "key", "KEY", "credential", "creds", "bearer", "login",
    "user", "username / password", "mysql -u app -p", "mariadb", "--password=", "sshpass -p",
    "hooks.", "HOOKS.", "webhook", "discord", "my name is ", "My Name's ", "-----BEGIN",
    "-----begin", "eyJ", "EYJ", "://", "https://", "user:pa55w0rd@", "@", "a@b.co",
    "jane.doe@example.com", ":", "::", "fe80::1", "2001:db8::8a2e:370:7334", ".", "..",
    "1", "12", "123", "2024", "192.168.1.20", "10.0.0.1", "1.2.3.4.5", "v1.2.3.4",
    "221B", "221B Baker Street", "1600 Pennsylvania Ave NW", "12 Main St.", "DE89",
    "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "078-05-1120", "SSN 078051120",
    "4111 1111 1111 1111", "+44 20 7946 0958", "(212) 555-0142", "020 7946 0958", "\n",
    "\nDear ", "Dear Anna,", "\nBest regards,\nJane Doe", "Name: Bob Smith", "Hi Tom!",
    "\nThank you,\nAnna Berg", "\n Signed: Max Mustermann", "\tCheers\nTom Lee", "\nHey Bo:",
    "\nFull name: Ann Lee", "Kind regards,\n", "\nAll the best,\nJo Park", "\nFrom: Eve Adams",
    " ", " ", "  ", ", ", "-", "=", ": ", "= ", "'", '"', "\t", "\u212a", "\u017f", "\u0130",
    "İstanbul", "ſecret", "\u212aey", "Ключ", "меня зовут Анна", "ул. Тверская, д. 7",
    "我叫王小明", "北京市朝阳区建国路88号", "서울특별시 강남구 테헤란로 152", "اسمي محمد",
    "sk-ant-api03-Zx81kLmP0qRsTuVwXyZ12345", "AKIAIOSFODNN7EXAMPLE", "ghp_" + "aB3" * 12,
    "xK9mQ2vL7pR4tY8wZ3nB6cD1", "Street", "St", "road", "Rd",
]  # fmt: skip


_TEXT_KEYS = frozenset({"text", "parts", "name", "title", "extracted_content", "input"})


def _export_texts() -> list[str]:
    gen = bench_module("generate_export")
    texts: list[str] = []
    for iterate, seed in (
        (gen.iter_claude_conversations, 21),
        (gen.iter_chatgpt_conversations, 22),
    ):
        for conversation in islice(iterate(seed, unique=True), 300):
            texts.extend(t for t in strings(conversation, _TEXT_KEYS) if t)
    return texts


def _synthetic_corpus_texts() -> list[str]:
    synthetic = bench_module("synthetic_corpus")
    corpus = synthetic.make_corpus(150, seed=3)
    texts: list[str] = []
    for conversation in corpus.conversations:
        texts.append(conversation.title or "")
        for m in conversation.messages:
            texts.append(m.text)
            texts.extend(m.thinking)
            texts.extend(u.input_json for u in m.tool_uses)
            texts.extend(r.text for r in m.tool_results)
            texts.extend(a.extracted_text for a in m.attachments)
    return [t for t in texts if t]


def _labelled_texts() -> list[str]:
    texts = [example.text for example in generate_corpus(1500, seed=17)]
    for path in (
        CASES / "tricky_cases.jsonl",
        CASES / "heldout_cases.jsonl",
        CASES / "url_secret_cases.jsonl",
    ):
        texts.extend(example.text for example in load_tricky_cases(path))
    for path in (DATA / "privacy_scripts.jsonl", DATA / "privacy_scripts_heldout.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


def _generated_strings(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(FRAGMENTS, k=rng.randint(1, 40))) for _ in range(count)]


def scan_texts() -> list[str]:
    """All of the above, in a fixed order."""
    return (
        _export_texts()
        + _synthetic_corpus_texts()
        + _labelled_texts()
        + _generated_strings(6000, seed=8)
    )


def assert_redactions_match(reference: Callable[..., list[Detection]], texts: list[str]) -> None:
    """One redactor over all ``texts`` gives what a redactor using the frozen
    ``reference`` detect gives: the same placeholders, numbered in the same order (and
    the other operators: mask, pseudonym, keep)."""

    class _ReferenceRedactor(Redactor):
        def detect(self, text: str) -> list[Detection]:
            return reference(
                text, region=self.config.default_region, detect_names=self.config.detect_names
            )

    operators = "email=mask,phone=pseudonym,person_name=keep"
    config = PrivacyConfig.from_mapping({"operators": operators, "secret": "s" * 32})
    new, old = Redactor(config), _ReferenceRedactor(config)
    for text in texts:
        assert new.redact_text(text) == old.redact_text(text)


def detection_key(detections: list[Detection]) -> list[tuple[str, int, int, str, int]]:
    """What two scans must agree on for each detection, in order."""
    return [(d.entity_type, d.start, d.end, d.kind, d.priority) for d in detections]
