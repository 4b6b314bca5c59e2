"""Issue 5 point 3 end to end: with privacy on (the default), no detected value appears in
results, progress events, exports or logs, and no message text reaches a log line."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from typing import Any

import aiohttp
import openpyxl
import pypdf

from convoscope_stack.stack import Stack
from tests.e2e.helpers import (
    DATA,
    EventLog,
    export_files,
    finished,
    poll_job,
    start_analysis,
    upload,
)

PLANTED = {
    "email": "maria.gonzalez@example.org",
    "phone": "+1 650-253-0000",
    "card": "4111 1111 1111 1111",
    "iban": "GB82 WEST 1234 5698 7654 32",
    "aws_key": "AKIAIOSFODNN7EXAMPLE",
    "ipv4": "203.0.113.77",
    # A webhook URL is a credential (issue 18: it reached the CSV and XLSX verbatim).
    "slack_webhook": "https://hooks.slack.com/services/T024BE7LD/B01ABCDEF12/Kx9pQ2mZr7TnV4bW8yH3cJ6s",
}
# A phrase of message text that must never reach a log line.
TEXT_MARKER = "zanzibar marmalade rehearsal"


def _export_with_pii() -> bytes:
    conversations: list[dict[str, Any]] = json.loads((DATA / "claude_sample.json").read_text())
    first = conversations[0]["chat_messages"][0]
    text = (
        f"Please email {PLANTED['email']} or call {PLANTED['phone']} about the {TEXT_MARKER}. "
        f"Card {PLANTED['card']}, IBAN {PLANTED['iban']}, server {PLANTED['ipv4']}, "
        f"and my key AWS_ACCESS_KEY_ID={PLANTED['aws_key']}; alerts go to "
        f"{PLANTED['slack_webhook']} now"
    )
    first["text"] = text
    first["content"] = [{"type": "text", "text": text, "citations": []}]
    return json.dumps(conversations).encode()


def _assert_clean(label: str, blob: str) -> None:
    for kind, value in PLANTED.items():
        assert value not in blob, f"{kind} leaked into {label}"
        assert value.replace(" ", "") not in blob.replace(" ", ""), f"{kind} leaked into {label}"


async def _memory_released(stack: Stack, within: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        for log_file in stack.log_dir.glob("analyzer*.log"):
            if '"memory_released"' in log_file.read_text(errors="replace"):
                return
        await asyncio.sleep(0.2)
    raise AssertionError("no analyzer released its memory after the job")


async def test_no_planted_value_survives_anywhere(
    stack: Stack, http: aiohttp.ClientSession, events: EventLog
) -> None:
    status, uploaded = await upload(http, _export_with_pii(), "conversations.json")
    assert status == 200, uploaded
    job = await start_analysis(http, uploaded["file_id"])
    await events.client.call("subscribe", {"job_id": job["job_id"]}, timeout=10)
    result = await poll_job(http, job["job_id"], finished)
    assert result["status"] == "complete", result
    await events.wait_for("complete")

    privacy = result["results"]["privacy"]
    assert privacy["enabled"] is True
    for entity in ("email", "phone", "credit_card", "iban", "ip_address"):
        assert privacy["counts"].get(entity, 0) >= 1, (entity, privacy["counts"])
    insights = [i for _, data in events.events for i in data.get("insights", [])]
    assert any(i.startswith("Redacted") for i in insights), insights
    _assert_clean("results", json.dumps(result))
    _assert_clean("socket events", json.dumps(events.events))

    exported = await export_files(
        http, {"job_id": job["job_id"], "formats": ["csv", "xlsx", "pdf", "html", "json"]}
    )
    assert {f["format"] for f in exported["files"]} == {"csv", "xlsx", "pdf", "html", "json"}
    for file in exported["files"]:
        async with http.get(file["url"]) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith(file["content_type"].split(";")[0])
            data = await resp.read()
        if file["format"] == "csv":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                text = "".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist())
        elif file["format"] == "xlsx":
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
            text = " ".join(
                str(cell)
                for sheet in book
                for row in sheet.iter_rows(values_only=True)
                for cell in row
                if cell is not None
            )
        elif file["format"] == "pdf":
            text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
        else:
            text = data.decode("utf-8")
        if file["format"] in ("csv", "xlsx"):  # the formats with one row per message
            assert TEXT_MARKER in text, f"the redacted message text is missing from {file}"
        _assert_clean(f"{file['format']} export", text)

    # Logs are JSON lines with the job's context.
    analyzer_lines = [
        json.loads(line)
        for line in (stack.log_dir / "analyzer.log").read_text().splitlines()
        if line.startswith("{")
    ]
    assert any(
        entry.get("job_id") == job["job_id"] and entry.get("file_id") for entry in analyzer_lines
    )
    # The replica that ran the job forgot the phone numbers its detectors had cached, and
    # gave its memory back, once it was idle.
    await _memory_released(stack)
    for log_file in stack.log_dir.glob("*.log"):
        content = log_file.read_text(errors="replace")
        _assert_clean(f"log {log_file.name}", content)
        assert TEXT_MARKER not in content, f"message text in {log_file.name}"
