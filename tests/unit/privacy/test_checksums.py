from __future__ import annotations

import pytest

from convoscope_analyzer.privacy.checksums import (
    card_iin_plausible,
    iban_valid,
    luhn_valid,
    shannon_entropy,
    ssn_valid,
)


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("4111111111111111", True), ("4111111111111112", False), ("79927398713", True),
     ("378282246310005", True), ("378282246310006", False)],
)  # fmt: skip
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize(
    ("digits", "plausible"),
    [("4111111111111111", True), ("5555555555554444", True), ("378282246310005", True),
     ("6011111111111117", True), ("3530111333300000", True), ("9111111111111111", False),
     ("1111111111111111", False), ("411111111111111", False), ("37828224631000", False)],
)  # fmt: skip
def test_card_iin(digits: str, plausible: bool) -> None:
    assert card_iin_plausible(digits) is plausible


@pytest.mark.parametrize(
    ("iban", "valid"),
    [("DE89370400440532013000", True), ("GB82WEST12345698765432", True),
     ("NL91ABNA0417164300", True), ("DE89370400440532013001", False),
     ("DE8937040044053201300", False), ("XX89370400440532013000", False)],
)  # fmt: skip
def test_iban(iban: str, valid: bool) -> None:
    assert iban_valid(iban) is valid


@pytest.mark.parametrize(
    ("parts", "valid"),
    [(("536", "22", "1234"), True), (("000", "12", "3456"), False), (("666", "12", "3456"), False),
     (("900", "12", "3456"), False), (("123", "00", "4567"), False), (("123", "45", "0000"), False),
     (("078", "05", "1120"), False)],
)  # fmt: skip
def test_ssn_rules(parts: tuple[str, str, str], valid: bool) -> None:
    assert ssn_valid(*parts) is valid


def test_entropy_orders_random_above_repetitive() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == pytest.approx(2.0)
    assert shannon_entropy("aB3xK9pQ2mN7vL4wR8tY") > shannon_entropy("passwordpassword1234")
