"""Issue 6 over the bus: every format opened with a real reader, 202 for slow exports with
Socket.IO progress, filters applied to every format, and exports deleted with their job."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import aiohttp
import openpyxl
import pypdf

from tests.e2e.helpers import (
    DATA,
    EventLog,
    export_files,
    finished,
    poll_job,
    start_analysis,
    upload,
)

# POST /api/export answers 202 at once, so the asynchronous path is what runs here.
STACK_ENV = {"CONVOSCOPE_EXPORT_WAIT": "0"}


async def _complete_job(http: aiohttp.ClientSession) -> dict[str, Any]:
    _, uploaded = await upload(http, (DATA / "chatgpt_sample.json").read_bytes(), "g.json")
    job = await start_analysis(http, uploaded["file_id"])
    return await poll_job(http, job["job_id"], finished)


async def _download(http: aiohttp.ClientSession, file: dict[str, Any]) -> bytes:
    async with http.get(file["url"]) as resp:
        assert resp.status == 200
        assert file["filename"] in resp.headers["Content-Disposition"]
        return await resp.read()


def _csv_tables(data: bytes) -> dict[str, list[dict[str, str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name.rsplit("/", 1)[-1]: list(
                csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig")))
            )
            for name in archive.namelist()
            if name.endswith(".csv")
        }


async def test_slow_export_answers_202_then_reports_progress_and_files(
    http: aiohttp.ClientSession, events: EventLog
) -> None:
    job = await _complete_job(http)
    async with http.post(
        "/api/export", json={"job_id": job["job_id"], "formats": ["xlsx", "pdf"]}
    ) as resp:
        assert resp.status == 202
        accepted = await resp.json()
    assert accepted["status_url"] == f"/api/export/{accepted['export_id']}"
    await events.client.call("subscribe", {"job_id": accepted["export_id"]}, timeout=10)
    await events.wait_for("complete", timeout=120)
    progress = events.named("progress")
    assert progress and {event["job_id"] for event in progress} == {accepted["export_id"]}
    async with http.get(accepted["status_url"]) as resp:
        state = await resp.json()
    assert state["status"] == "complete"
    assert [f["format"] for f in state["files"]] == ["xlsx", "pdf"]
    summary = job["results"]["summary"]

    xlsx = next(f for f in state["files"] if f["format"] == "xlsx")
    assert xlsx["content_type"].endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(await _download(http, xlsx)))
    assert {"summary", "conversations", "messages", "topics", "failures"} <= {
        name.lower() for name in book.sheetnames
    }
    messages_sheet = next(book[n] for n in book.sheetnames if n.lower() == "messages")
    assert messages_sheet.max_row - 1 == summary["messages"]
    assert messages_sheet.freeze_panes is not None

    pdf = next(f for f in state["files"] if f["format"] == "pdf")
    reader = pypdf.PdfReader(io.BytesIO(await _download(http, pdf)))
    assert len(reader.pages) > 1
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Executive summary".lower() in text.lower()
    assert str(summary["conversations"]) in text


async def test_filter_applies_to_every_format(http: aiohttp.ClientSession) -> None:
    job = await _complete_job(http)
    # Per-conversation rows are paged outside the light results document.
    async with http.get(job["pages"]["conversations"]["url"], params={"limit": "1"}) as resp:
        conversation_id = (await resp.json())["items"][0]["conversation_id"]
    flt = {"conversation_ids": [conversation_id]}
    exported = await export_files(
        http, {"job_id": job["job_id"], "formats": ["csv", "json"], "options": {"filter": flt}}
    )
    files = {f["format"]: f for f in exported["files"]}
    tables = _csv_tables(await _download(http, files["csv"]))
    assert {row["conversation_id"] for row in tables["messages.csv"]} == {conversation_id}
    assert [row["conversation_id"] for row in tables["conversations.csv"]] == [conversation_id]
    document = json.loads(await _download(http, files["json"]))
    assert document["manifest"]["filter"]["conversation_ids"] == [conversation_id]
    assert document["manifest"]["file_hash"].startswith("sha256:")
    assert document["results"]["summary"]["conversations"] == 1
    assert document["results"]["summary"]["messages"] == len(tables["messages.csv"])


async def test_deleting_the_job_deletes_its_exports(http: aiohttp.ClientSession) -> None:
    job = await _complete_job(http)
    exported = await export_files(http, {"job_id": job["job_id"], "formats": ["json"]})
    [file] = exported["files"]
    async with http.delete(f"/api/analysis/{job['job_id']}") as resp:
        assert resp.status == 200
        answer = await resp.json()
    assert answer["status"] == "deleted"
    assert answer["exports_deleted"] == 1
    async with http.get(f"/api/export/{exported['export_id']}") as resp:
        assert resp.status == 404
    async with http.get(file["url"]) as resp:
        assert resp.status == 404
    async with http.get(f"/api/analysis/{job['job_id']}") as resp:
        assert resp.status == 404
