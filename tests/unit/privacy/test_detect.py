"""detect(): each entity type on true values and on the look-alikes it must leave alone."""

from __future__ import annotations

import itertools

import pytest

from convoscope_analyzer.privacy import detect


def found(text: str, **kwargs: object) -> list[tuple[str, str]]:
    return [(d.entity_type, text[d.start : d.end]) for d in detect(text, **kwargs)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jane.doe@example.com now", [("email", "jane.doe@example.com")]),
        ("MAILTO:Bob.Smith+tax@Mail.Example.ORG.", [("email", "Bob.Smith+tax@Mail.Example.ORG")]),
        ("call (415) 555-0132 today", [("phone", "(415) 555-0132")]),
        ("call +44 20 7946 0958", [("phone", "+44 20 7946 0958")]),
        ("ssn 536-22-1234", [("ssn", "536-22-1234")]),
        ("SSN: 536221234", [("ssn", "536221234")]),
        ("card 4111-1111-1111-1111 ok", [("credit_card", "4111-1111-1111-1111")]),
        ("amex 3782 822463 10005", [("credit_card", "3782 822463 10005")]),
        ("iban GB82 WEST 1234 5698 7654 32", [("iban", "GB82 WEST 1234 5698 7654 32")]),
        ("host 203.0.113.42:22", [("ip_address", "203.0.113.42")]),
        ("v6 2001:db8::8a2e:370:7334.", [("ip_address", "2001:db8::8a2e:370:7334")]),
        ("at 742 Evergreen Terrace, Springfield", [("street_address", "742 Evergreen Terrace")]),
    ],
)
def test_structured_values_are_found(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "git@github.com:acme/app.git and icon@2x.png and react@18.2.0 and @decorator",
        "order 112-3345678-1234567, ISBN 978-3-16-148410-0, ts 1712345678",
        "invalid ssn 000-12-3456, 666-12-3456, 912-12-3456, 123-00-4567, 078-05-1120",
        "digits 4111 1111 1111 1112 and 9111 1111 1111 1110 and 0000 0000 0000 0000",
        "bad iban DE89 3704 0044 0532 0130 01",
        "versions 1.2.3.4.5 v1.2.3.4 version 2.1.0.7 loopback 127.0.0.1 mask 255.255.255.0",
        "time 12:34:56 mac 00:1A:2B:3C:4D:5E std::vector ::1",
        "sha 9fceb02d0ae598e95dc970b74767f19372d61af8 uuid 123e4567-e89b-12d3-a456-426614174000",
        "placeholders sk-your-api-key-here AKIAXXXXXXXXXXXXXXXX "
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "password: ${DB_PASSWORD}\nmax_tokens: 4096\napi_key = os.getenv('KEY')",
        "Hi team,\nHello World!\nThanks,\nThe Support Team",
        "We reviewed 3 Supreme Court cases",
    ],
)
def test_look_alikes_are_not_found(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("sk-ant-api03-Zx9Kp2Lm7Qr4Tv8Wn3Yb6Hc1Jd5Fg0Ss2Ae8Io4Uu7Ty", "anthropic_api_key"),
        ("sk-proj-Qm8xT2vK9pL4nR7wZ3cY6bH1dF5gJ0sA2eU8iO4tW7yX", "openai_api_key"),
        ("AKIAIOSFODNN7EXAMPLE", "aws_access_key_id"),
        ("ghp_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cD1fG3hJ5", "github_token"),
        ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "slack_token"),
        ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe_key"),
        (
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
            "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "jwt",
        ),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----",
            "private_key",
        ),
        ("random aB3xK9pQ2mN7vL4wR8tY6zC1", "high_entropy"),
    ],
)
def test_secret_shapes(text: str, kind: str) -> None:
    detections = detect(f"key: {text} end")
    assert [(d.entity_type, d.kind) for d in detections] == [("secret", kind)]


def test_config_password_value_only_is_the_span() -> None:
    text = 'db:\n  password: "Tr0ub4dor&3"\n{"api_key": "q8Z2xL0pW4vN7c"}'
    assert found(text) == [("secret", "Tr0ub4dor&3"), ("secret", "q8Z2xL0pW4vN7c")]


def test_url_credentials_not_an_email() -> None:
    text = "postgres://admin:S3cretPw9@db.example.com:5432/prod"
    assert found(text) == [("secret", "S3cretPw9")]


def test_prose_password_key_needs_line_start() -> None:
    assert found("Your password: must have 12 characters") == []


def test_truncated_private_key_runs_to_end_of_body() -> None:
    text = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nabc123==\n\nthanks"
    (d,) = detect(text)
    assert text[d.start : d.end].endswith("abc123==")


def test_public_key_block_is_not_secret() -> None:
    text = (
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----"
    )
    assert found(text) == []


def test_names_best_effort_cues() -> None:
    text = "Dear Dr. Patel,\nmy name is Inigo Montoya.\nName: Ana Lima\nBest regards,\nJohn O'Brien"
    assert found(text) == [
        ("person_name", "Patel"),
        ("person_name", "Inigo Montoya"),
        ("person_name", "Ana Lima"),
        ("person_name", "John O'Brien"),
    ]
    assert found(text, detect_names=False) == []


def test_national_phone_uses_default_region() -> None:
    assert found("ring 020 7946 0958", region="GB") == [("phone", "020 7946 0958")]
    # Without a trunk prefix or a country named, a national number of another region is not
    # guessed (tests/unit/privacy/test_phone_regions.py has the region hints).
    assert found("ring 612 345 678", region="ES") == [("phone", "612 345 678")]
    assert found("ring 612 345 678", region="US") == []


def test_overlaps_resolved_by_priority() -> None:
    # A card number is also a digit run a phone matcher might like; only the card is kept.
    text = "pay 5555 5555 5555 4444"
    assert found(text) == [("credit_card", "5555 5555 5555 4444")]


def test_detections_sorted_and_disjoint() -> None:
    text = "a@b.io 10.1.2.3 x@y.io 4111111111111111 +1 415 555 0132 536-22-1234"
    detections = detect(text)
    assert len(detections) == 6
    for left, right in itertools.pairwise(detections):
        assert left.end <= right.start


def test_empty_and_plain_text() -> None:
    assert detect("") == []
    assert detect("Thanks, that worked!") == []


def test_deeply_indented_yaml_password() -> None:
    text = (
        "a:\n  b:\n    c:\n      d:\n        e:\n          f:\n            password: Zq8r!x2Lm0\n"
    )
    assert found(text) == [("secret", "Zq8r!x2Lm0")]


def test_many_detections_in_one_text_stay_fast_and_disjoint() -> None:
    text = " ".join(f"u{i}@example.com 10.0.{i % 250}.{i % 200 + 1}" for i in range(20000))
    detections = detect(text)
    assert len(detections) == 40000
    assert all(a.end <= b.start for a, b in itertools.pairwise(detections))


def test_offsets_survive_characters_whose_lower_case_is_longer() -> None:
    # "İ".lower() is two characters; the config value must still be cut exactly.
    text = "İİİ note\npassword: Zq8r!x2Lm0\nmy name is Ada Lovelace"
    assert found(text) == [("secret", "Zq8r!x2Lm0"), ("person_name", "Ada Lovelace")]


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://hooks.slack.com/services/T024BE7LD/B01ABCDEF12/Kx9pQ2mZr7TnV4bW8yH3cJ6s",
         "slack_webhook"),
        ("https:\\/\\/hooks.slack.com\\/services\\/T024BE7LD\\/B01ABCDEF12\\/Kx9pQ2mZr7TnV4bW8",
         "slack_webhook"),
        ("https://discord.com/api/webhooks/112233445566778899/Ab3dEfGhIjKlMnOpQrStUvWxYz01234",
         "discord_webhook"),
        ("https://contoso.webhook.office.com/webhookb2/1a2b3c4d@5e6f7a8b/IncomingWebhook/9c0d1e2f/3a4b",
         "teams_webhook"),
    ],
)  # fmt: skip
def test_webhook_urls_are_secrets_whole(url: str, kind: str) -> None:
    text = f"post it to {url} please"
    [detection] = detect(text)
    assert (detection.kind, text[detection.start : detection.end]) == (kind, url)


def test_query_string_token_is_the_value_only() -> None:
    text = "GET https://api.example.com/v1/me?fields=id&access_token=EAAGm0PX4ZCpsBAKZB8j2h&page=2"
    assert found(text) == [("secret", "EAAGm0PX4ZCpsBAKZB8j2h")]


@pytest.mark.parametrize(
    "text",
    [
        "docs: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "https://www.youtube.com/watch?v=kJQP7kiw5Fk&t=95s",
        "https://api.example.com/v1/data?api_key=YOUR_API_KEY&format=json",
        "https://api.example.com/items?cursor=eyJpZCI6MTIzfQ&page_size=50",
    ],
)
def test_url_look_alikes_are_not_secrets(text: str) -> None:
    assert found(text) == []
