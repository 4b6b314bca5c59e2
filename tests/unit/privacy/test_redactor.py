from __future__ import annotations

import re

from convoscope_analyzer.privacy import PrivacyConfig, Redactor

from .conftest import SECRET


def test_replace_numbers_distinct_values_per_type(default_config: PrivacyConfig) -> None:
    r = Redactor(default_config)
    out1, _ = r.redact_text("from a@x.io to b@x.io, cc A@X.IO")
    out2, _ = r.redact_text("again b@x.io and 10.1.2.3")
    assert out1 == "from <EMAIL_1> to <EMAIL_2>, cc <EMAIL_1>"
    assert out2 == "again <EMAIL_2> and <IP_ADDRESS_1>"


def test_same_phone_written_two_ways_gets_one_placeholder(default_config: PrivacyConfig) -> None:
    out, _ = Redactor(default_config).redact_text("(415) 555-0132 or +1 415 555 0132")
    assert out == "<PHONE_1> or <PHONE_1>"


def test_detections_point_into_original_text(default_config: PrivacyConfig) -> None:
    text = "mail jane@example.com, ssn 536-22-1234"
    out, detections = Redactor(default_config).redact_text(text)
    assert [text[d.start : d.end] for d in detections] == ["jane@example.com", "536-22-1234"]
    assert "jane@example.com" not in out and "536-22-1234" not in out


def test_mask_keeps_shape() -> None:
    r = Redactor(PrivacyConfig.from_mapping({"operators": "ssn=mask,email=mask"}))
    out, _ = r.redact_text("ssn 536-22-1234 mail jo@ex.io")
    assert out == "ssn ***-**-**** mail **@**.**"


def test_keep_leaves_value_but_reports_it() -> None:
    r = Redactor(PrivacyConfig.from_mapping({"operators": "email=keep"}))
    out, detections = r.redact_text("mail jo@ex.io ip 10.1.2.3")
    assert out == "mail jo@ex.io ip <IP_ADDRESS_1>"
    assert [d.entity_type for d in detections] == ["email", "ip_address"]


def test_pseudonym_is_keyed_and_stable(pseudonym_config: PrivacyConfig) -> None:
    out1, _ = Redactor(pseudonym_config).redact_text("jo@ex.io")
    out2, _ = Redactor(pseudonym_config).redact_text("JO@EX.IO")
    assert out1 == out2
    assert re.fullmatch(r"<EMAIL_[0-9a-f]{8}>", out1)
    other = PrivacyConfig.from_mapping({"operators": "email=pseudonym", "secret": SECRET + "x"})
    out3, _ = Redactor(other).redact_text("jo@ex.io")
    assert out3 != out1
    out4, _ = Redactor(pseudonym_config).redact_text("ann@ex.io")
    assert out4 != out1


def test_text_without_pii_is_returned_unchanged(default_config: PrivacyConfig) -> None:
    text = "Plain text, nothing to see."
    out, detections = Redactor(default_config).redact_text(text)
    assert out is text and detections == []
