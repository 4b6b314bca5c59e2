"""API error answers map to the exit codes of the issue."""

from __future__ import annotations

import json

import pytest

from convoscope_cli.errors import ExportRejectedError
from convoscope_cli.http_errors import api_error


def _body(code: str, message: str) -> bytes:
    return json.dumps({"error": code, "message": message}).encode()


@pytest.mark.parametrize(
    ("status", "stage", "exit_code"),
    [
        (400, "upload", 3),
        (413, "upload", 3),
        (415, "upload", 3),
        (401, "upload", 4),
        (403, "export", 4),
        (429, "analysis", 4),
        (503, "upload", 4),
        (422, "export", 2),
        (404, "analysis", 5),
        (410, "export", 5),
        (500, "analysis", 5),
    ],
)
def test_status_to_exit_code(status: int, stage: str, exit_code: int) -> None:
    assert api_error(status, _body("some_code", "a sentence"), stage=stage).exit_code == exit_code


def test_rejection_keeps_the_apis_code_status_and_message() -> None:
    error = api_error(415, _body("binary_file", "the file is a PDF document"), stage="upload")
    assert isinstance(error, ExportRejectedError)
    assert error.line() == "convoscope: rejected: 415 binary_file: the file is a PDF document"


def test_a_body_that_is_not_json() -> None:
    error = api_error(502, b"<html>Bad Gateway</html>", stage="upload")
    assert error.exit_code == 4  # a proxy whose server is down
    assert "http_502" in error.message
    assert api_error(500, b"oops", stage="analysis").exit_code == 5
