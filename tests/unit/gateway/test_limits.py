"""Caller identity and the bounded limiter (issue 15: random keys, proxies, memory)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request

from convoscope_common.config import ConfigurationError
from convoscope_gateway.keyring import KeyRing, main, owner_digest, verifier
from convoscope_gateway.limits import TokenBucket, client_address, identify, parse_networks

PROXY = parse_networks(["10.0.0.0/8", "fd00::1"])


def test_random_keys_do_not_get_a_fresh_budget_each() -> None:
    ring = KeyRing(("real-key",))
    idents = {
        identify(make_mocked_request("GET", "/", headers={"X-API-Key": f"k{i}"}), ring, ())
        for i in range(50)
    }
    assert len(idents) == 1  # all keyless callers from one address are one identity
    valid = identify(make_mocked_request("GET", "/", headers={"X-API-Key": "real-key"}), ring, ())
    assert valid == f"key:{owner_digest('real-key')}"


def test_without_keys_configured_a_presented_key_names_nobody() -> None:
    request = make_mocked_request("GET", "/", headers={"X-API-Key": "anything"})
    assert identify(request, KeyRing(()), ()).startswith("addr:")


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    # Untrusted peer: its header is ignored (anyone can write one).
    assert client_address("203.0.113.9", "198.51.100.1", PROXY) == "203.0.113.9"
    # Trusted proxy: the client it saw.
    assert client_address("10.1.2.3", "198.51.100.1", PROXY) == "198.51.100.1"
    # A forged left part is not believed: the first untrusted hop from the right wins.
    assert client_address("10.1.2.3", "6.6.6.6, 198.51.100.1, 10.0.0.5", PROXY) == "198.51.100.1"
    assert client_address("10.1.2.3", "garbage", PROXY) == "10.1.2.3"
    assert client_address("10.1.2.3", None, PROXY) == "10.1.2.3"


def test_ipv6_callers_are_one_identity_per_64() -> None:
    a = client_address("2001:db8:1:2::1", None, ())
    b = client_address("2001:db8:1:2:ffff::9", None, ())
    assert a == b == "2001:db8:1:2::/64"
    assert client_address("::ffff:192.0.2.1", None, ()) == "192.0.2.1"


def test_a_bad_trusted_proxy_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="CONVOSCOPE_TRUSTED_PROXIES"):
        parse_networks(["not-an-address"])


def test_limiter_memory_is_bounded_under_distinct_callers() -> None:
    bucket = TokenBucket(per_minute=60, max_tracked=1000)
    for i in range(50_000):
        bucket.take(f"addr:{i}", now=float(i) / 1000)
    assert len(bucket.buckets) == 1000


def test_a_busy_caller_keeps_its_debt_while_others_churn() -> None:
    bucket = TokenBucket(per_minute=2, max_tracked=100)
    assert bucket.take("abuser", now=0.0) == 0.0
    assert bucket.take("abuser", now=0.0) == 0.0
    for i in range(99):  # fewer newcomers than the bound: the abuser is not forgotten
        bucket.take(f"other{i}", now=0.1)
    assert bucket.take("abuser", now=0.2) > 0


def test_keys_may_be_configured_as_verifiers_and_owners_stay_the_same() -> None:
    hashed = KeyRing((f"sha256:{verifier('alice')}",))
    clear = KeyRing(("alice",))
    assert hashed.owner_for("alice") == clear.owner_for("alice") == owner_digest("alice")
    assert hashed.owner_for("mallory") is None
    assert hashed.owner_for(None) is None
    assert "alice" not in repr(vars(hashed))


def test_keyring_command_prints_verifiers(capsys: Any) -> None:
    assert main(["alice"]) == 0
    assert capsys.readouterr().out.strip() == f"sha256:{verifier('alice')}"
    assert main([]) == 2
