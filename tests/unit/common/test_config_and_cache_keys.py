"""Configuration from the environment and result-cache keys."""

from __future__ import annotations

import msgspec
import pytest

from convoscope_common.cache import cache_key
from convoscope_common.config import ConfigurationError, Settings, load_settings
from convoscope_common.corpus import Conversation, Corpus, Message, decode_corpus, encode_corpus
from convoscope_common.options import AnalysisOptions
from convoscope_common.wire import (
    CompleteEvent,
    ParseFailed,
    ParseOk,
    ProgressEvent,
    encode,
    job_event_decoder,
    parse_reply_decoder,
)


def test_defaults_follow_the_seed() -> None:
    settings = load_settings({})
    assert settings.max_upload_bytes == 100 * 1024 * 1024
    assert settings.max_concurrent_jobs == 2
    assert settings.job_timeout == 600
    assert settings.cache_max_size == 1024 * 1024 * 1024
    assert settings.upload_ttl == 24 * 3600
    assert settings.port == 5000


def test_environment_overrides_with_types() -> None:
    settings = load_settings(
        {
            "CONVOSCOPE_PORT": "8080",
            "CONVOSCOPE_JOB_TIMEOUT": "12.5",
            "CONVOSCOPE_ALLOW_INCLUDE_PII": "yes",
            "CONVOSCOPE_API_KEYS": "a, b,,c",
            "NATS_URL": "nats://elsewhere:4222",
            "UNRELATED": "x",
        }
    )
    assert settings.port == 8080
    assert settings.job_timeout == 12.5
    assert settings.allow_include_pii is True
    assert settings.api_keys == ("a", "b", "c")
    assert settings.nats_url == "nats://elsewhere:4222"


def test_a_bad_value_names_the_variable() -> None:
    with pytest.raises(ValueError, match="CONVOSCOPE_MAX_CONCURRENT_JOBS"):
        load_settings({"CONVOSCOPE_MAX_CONCURRENT_JOBS": "two"})


def test_cache_key_depends_on_file_options_and_engine_but_not_priority() -> None:
    base = cache_key("sha256:abc", AnalysisOptions())
    assert base.startswith("abc.")
    assert cache_key("sha256:abc", AnalysisOptions(priority="high")) == base
    assert cache_key("sha256:abc", AnalysisOptions(timezone="Asia/Tokyo")) != base
    assert cache_key("sha256:abc", AnalysisOptions(enable_privacy=False)) != base
    assert cache_key("sha256:abd", AnalysisOptions()) != base
    assert cache_key("sha256:abc", AnalysisOptions(), engine_version="9.9.9") != base


def test_cache_keys_of_different_owners_never_collide() -> None:
    base = cache_key("sha256:abc", AnalysisOptions())
    key_a = cache_key("sha256:abc", AnalysisOptions(), owner="ownera")
    key_b = cache_key("sha256:abc", AnalysisOptions(), owner="ownerb")
    assert len({base, key_a, key_b}) == 3
    assert key_a.startswith("abc.ownera.")  # still under the file's prefix


def test_tagged_unions_round_trip_on_the_bus() -> None:
    event = ProgressEvent(job_id="job_1", progress=42.0, current_step="x", insights=["i"])
    assert job_event_decoder.decode(encode(event)) == event
    assert isinstance(job_event_decoder.decode(encode(CompleteEvent(job_id="j"))), CompleteEvent)
    with pytest.raises(msgspec.ValidationError):
        parse_reply_decoder.decode(msgspec.msgpack.encode({"kind": "other"}))
    assert isinstance(
        parse_reply_decoder.decode(
            encode(ParseFailed(error={"code": "x", "status": 400, "message": "m"}))
        ),
        ParseFailed,
    )  # type: ignore[arg-type]
    assert ParseOk.__struct_config__.tag == "ok"


def test_corpus_round_trips_through_msgpack() -> None:
    corpus = Corpus(
        conversations=[Conversation(id="c", messages=[Message(id="m", role="user", text="hello")])]
    )
    assert decode_corpus(encode_corpus(corpus)) == corpus


def test_settings_are_immutable() -> None:
    with pytest.raises(AttributeError):
        Settings().port = 1  # type: ignore[misc]


def test_cache_key_changes_with_the_redaction_settings() -> None:
    from convoscope_common.cache import privacy_fingerprint

    default = privacy_fingerprint(Settings())
    assert privacy_fingerprint(Settings()) == default
    for changed in (
        Settings(privacy_operators="email=keep"),
        Settings(pseudonym_secret="another-deployment-secret"),
        Settings(privacy_detect_names=False),
        Settings(privacy_default_region="GB"),
    ):
        assert privacy_fingerprint(changed) != default
    assert "another-deployment-secret" not in privacy_fingerprint(
        Settings(pseudonym_secret="another-deployment-secret")
    )
    options = AnalysisOptions()
    assert cache_key("sha256:abc", options, privacy=default) != cache_key(
        "sha256:abc", options, privacy=privacy_fingerprint(Settings(privacy_operators="ip=keep"))
    )


def test_a_service_with_a_bad_setting_exits_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from convoscope_common.runtime import run_service

    async def never_started(_ctx: object) -> None:
        raise AssertionError("the service must not start")

    monkeypatch.setenv("CONVOSCOPE_JOB_TIMEOUT", "ten minutes")
    assert run_service("ingest", never_started) == 2  # type: ignore[arg-type]
    err = capsys.readouterr().err
    assert "invalid configuration" in err and "CONVOSCOPE_JOB_TIMEOUT" in err


def test_nats_replicas_must_be_an_odd_cluster_size() -> None:
    assert load_settings({"CONVOSCOPE_NATS_REPLICAS": "3"}).nats_replicas == 3
    with pytest.raises(ConfigurationError, match="CONVOSCOPE_NATS_REPLICAS"):
        load_settings({"CONVOSCOPE_NATS_REPLICAS": "2"})


def test_analyzer_recycling_is_a_number_of_megabytes_or_off() -> None:
    assert load_settings({}).analyzer_recycle_mb == 32.0
    assert load_settings({"CONVOSCOPE_ANALYZER_RECYCLE_MB": "0"}).analyzer_recycle_mb == 0.0
    assert load_settings({"CONVOSCOPE_ANALYZER_RECYCLE_MB": "64.5"}).analyzer_recycle_mb == 64.5
    for bad in ("-1", "nan", "lots"):
        with pytest.raises(ConfigurationError, match="CONVOSCOPE_ANALYZER_RECYCLE_MB"):
            load_settings({"CONVOSCOPE_ANALYZER_RECYCLE_MB": bad})
