"""``python -m convoscope_stack`` refuses unusable restart settings before starting anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from convoscope_stack.__main__ import main


def test_a_bad_restart_setting_is_named_and_nothing_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CONVOSCOPE_RESTART_MAX_ATTEMPTS", "forever")
    assert main(["--data-dir", str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err
    assert "CONVOSCOPE_RESTART_MAX_ATTEMPTS" in err and "invalid configuration" in err
    assert not (tmp_path / "data").exists()
