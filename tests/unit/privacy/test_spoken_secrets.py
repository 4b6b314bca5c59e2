"""Secrets outside config lines, and the look-alikes that must stay untouched."""

from __future__ import annotations

import pytest

from convoscope_analyzer.privacy import detect


def secrets(text: str) -> list[str]:
    return [text[d.start : d.end] for d in detect(text) if d.entity_type == "secret"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("honestly my password is Gr4pe-Soda! so", "Gr4pe-Soda!"),
        ("router pw: q8Lm2!zx", "q8Lm2!zx"),
        ("the passphrase for the vault is 'blue-whale-77'.", "blue-whale-77"),
        ("the login is root / Kx9#mq22 for now", "Kx9#mq22"),
        ("$ mysql -h db -u app -pZq8w2Lm9 shop", "Zq8w2Lm9"),
        ("pg_dump --password=Tq7xw2Lm9 prod", "Tq7xw2Lm9"),
        ("A=1 SERVICE_AUTH_TOKEN=f3a9c2e17b4d8a60 ./run.sh", "f3a9c2e17b4d8a60"),
        ("Endpoint=x;AccountKey=Qm8xT2vK9pL4nR7wZ3cY6bH1==;Suffix=y", "Qm8xT2vK9pL4nR7wZ3cY6bH1=="),
        (
            "token npm_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7c",
            "npm_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7c",
        ),
        ("see ghp_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7", "ghp_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7"),
    ],
)
def test_found(text: str, value: str) -> None:
    assert value in secrets(text)


@pytest.mark.parametrize(
    "text",
    [
        "the password is required and must be at least 12 characters",
        "password: ********",
        "OPENAI_API_KEY=sk-...your-key-here",
        "GITHUB_TOKEN=ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "DB_PASSWORD=changeme and secret: REPLACE_ME",
        "amqp://guest:guest@localhost:5672/",
        "ssh -p 2222 host",
        '<img src="data:image/png;base64,iVBORw0KGgo2AAANSUhEUg7AAAEAAAABCAYAAAAfFcSJ">',
        "void shouldRotateApiKeyAfter90Days()",
        "charge ch_3P1xQz2eZvKYlo2C0Xk7Lm9T failed",
    ],
)
def test_not_found(text: str) -> None:
    assert secrets(text) == []


def test_other_types_context_rules() -> None:
    found = {(d.entity_type, t[d.start : d.end]) for t in [
        "My SSN is 372049618 ok",
        "JCB 3517 2779 5398 6910",
        'AssemblyVersion("2.1.0.17")',
        "dsn https://examplePublicKey@o0.ingest.sentry.io/0",
        "Message-ID: <20240514.5f3c@mx.example.io>",
        "by 4969+dependabot[bot]@users.noreply.github.com",
    ] for d in detect(t)}  # fmt: skip
    assert ("ssn", "372049618") in found
    assert ("credit_card", "3517 2779 5398 6910") in found
    assert ("email", "4969+dependabot[bot]@users.noreply.github.com") in found
    assert not any(kind == "ip_address" for kind, _ in found)
    assert [v for kind, v in found if kind == "email"] == [
        "4969+dependabot[bot]@users.noreply.github.com"
    ]


def test_card_without_brand_word_needs_a_known_issuer_prefix() -> None:
    assert [d.entity_type for d in detect("ref 3517 2779 5398 6910")] == []
