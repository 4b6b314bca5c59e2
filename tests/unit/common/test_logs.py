"""structlog configuration: JSON lines with the service and bound ids."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import structlog

from convoscope_common.logs import configure_logging, get_logger


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    # configure_logging binds the (captured) stderr of this test; later tests get defaults.
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def test_json_lines_carry_service_and_context_ids(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("analyzer", "INFO", "json")
    log = get_logger("test")
    with structlog.contextvars.bound_contextvars(job_id="job_1", file_id="f_1"):
        log.info("job_started", messages=12)
    log.debug("not_shown_at_info")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    assert len(lines) == 1
    [entry] = lines
    assert entry["event"] == "job_started"
    assert entry["service"] == "analyzer"
    assert (entry["job_id"], entry["file_id"], entry["messages"]) == ("job_1", "f_1", 12)
    assert entry["level"] == "info" and entry["timestamp"].endswith("Z")


def test_console_format_is_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("gateway", "DEBUG", "console")
    get_logger("test").debug("hello", job_id="job_2")
    out = capsys.readouterr().err
    assert "hello" in out and "job_2" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out.splitlines()[0])
