"""Issue 7, point 4: the gateway works with the official JavaScript Socket.IO client.

Each case runs tests/e2e/node/client.mjs (socket.io-client v4, pinned in
package-lock.json) under Node against the running stack and reads the events it
prints, one JSON line each.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from convoscope_stack.stack import Stack
from tests.e2e.helpers import DATA, upload

NODE_DIR = Path(__file__).resolve().parent / "node"
CLIENT = NODE_DIR / "client.mjs"
CLIENT_TIMEOUT_S = 60
PROGRESS_FIELDS = {"job_id", "progress", "current_step", "message", "insights"}
# Identical bytes hit the results cache (201, already complete), so every upload
# here gets its own count of trailing newlines: same export, fresh analysis.
_UPLOADS = itertools.count(1)
# Copies of the 3-conversation sample in the export that is still being analysed
# when the Node client subscribes (about 3 s of analysis on 2 cores).
LIVE_COPIES = 300
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ROOT_PARENT = "00000000-0000-4000-8000-000000000000"


class NodeClientError(AssertionError):
    """The Node client did not run to a clean finish."""


@dataclass(frozen=True)
class NodeRun:
    """What one run of client.mjs printed, in arrival order."""

    returncode: int
    events: list[tuple[str, Any]]
    stderr: str

    def named(self, name: str) -> list[Any]:
        return [data for event, data in self.events if event == name]

    def only(self, name: str) -> Any:
        found = self.named(name)
        assert len(found) == 1, f"expected one {name!r} event, got {self.names()}"
        return found[0]

    def names(self) -> list[str]:
        return [event for event, _ in self.events]


@pytest.fixture(scope="module")
def node() -> str:
    """The node executable, with socket.io-client installed from the lock file."""
    node_bin = shutil.which("node")
    if node_bin is None:
        pytest.fail(
            "Node.js is not installed: this test drives the gateway with the official "
            "socket.io-client under node (>= 18). Install nodejs and npm "
            "(Debian: apt-get install nodejs npm).",
            pytrace=False,
        )
    if not (NODE_DIR / "node_modules" / "socket.io-client" / "package.json").is_file():
        _npm_ci()
    return node_bin


def _npm_ci() -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(
            f"npm is not installed, so {NODE_DIR}/node_modules cannot be created "
            "(Debian: apt-get install npm).",
            pytrace=False,
        )
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"npm ci in {NODE_DIR} failed ({done.returncode}):\n{done.stderr[-2000:]}",
            pytrace=False,
        )


async def run_node_client(node: str, url: str, job_id: str) -> NodeRun:
    """Run client.mjs to its end and parse the JSON lines it printed."""
    proc = await asyncio.create_subprocess_exec(
        node,
        str(CLIENT),
        url,
        job_id,
        str(CLIENT_TIMEOUT_S),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), CLIENT_TIMEOUT_S + 30)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise NodeClientError("client.mjs outlived its own timeout") from None
    events = []
    for line in stdout.decode().splitlines():
        record = json.loads(line)
        events.append((record["event"], record["data"]))
    return NodeRun(proc.returncode or 0, events, stderr.decode())


def assert_finished(run: NodeRun) -> None:
    if run.returncode != 0:
        raise NodeClientError(f"client.mjs exited {run.returncode}: {run.stderr.strip()}")


def replicated_sample(copies: int) -> bytes:
    """The Claude sample repeated ``copies`` times, each copy with its own UUIDs."""
    text = (DATA / "claude_sample.json").read_text(encoding="utf-8")
    conversations: list[Any] = []
    for copy in range(copies):

        def renamed(match: re.Match[str], copy: int = copy) -> str:
            # Parent links stay consistent because every copy maps each UUID the same way.
            old = match.group(0)
            return (
                old if old == _ROOT_PARENT else str(uuid.uuid5(uuid.NAMESPACE_URL, f"{copy}:{old}"))
            )

        conversations.extend(json.loads(_UUID.sub(renamed, text)))
    return json.dumps(conversations).encode()


async def start_analysis(http: aiohttp.ClientSession, data: bytes | None = None) -> str:
    """Upload ``data`` (default: a fresh copy of the Claude sample), start its analysis."""
    if data is None:
        data = (DATA / "claude_sample.json").read_bytes() + b"\n" * next(_UPLOADS)
    status, body = await upload(http, data, "conversations.json")
    assert status == 200, body
    async with http.post("/api/analysis", json={"file_id": body["file_id"]}) as resp:
        assert resp.status == 202, await resp.text()
        accepted = await resp.json()
    job_id: str = accepted["job_id"]
    return job_id


async def wait_until_complete(http: aiohttp.ClientSession, job_id: str) -> None:
    async with asyncio.timeout(60):
        while True:
            async with http.get(f"/api/analysis/{job_id}") as resp:
                body = await resp.json()
            if body["status"] == "complete":
                return
            assert body["status"] in {"pending", "processing"}, body
            await asyncio.sleep(0.1)


def expected_complete(job_id: str) -> dict[str, str]:
    return {"job_id": job_id, "status": "complete", "results_url": f"/api/analysis/{job_id}"}


async def test_node_client_follows_a_job_to_complete(
    node: str, stack: Stack, http: aiohttp.ClientSession
) -> None:
    job_id = await start_analysis(http)

    run = await run_node_client(node, stack.url, job_id)

    assert_finished(run)
    ack = run.only("ack")
    assert ack["ok"] is True and ack["job_id"] == job_id
    progress = run.named("progress")
    assert progress, f"no progress event arrived: {run.names()}"
    for event in progress:
        assert set(event) >= PROGRESS_FIELDS, event
        assert event["job_id"] == job_id
        assert isinstance(event["current_step"], str)
        assert isinstance(event["message"], str)
        assert isinstance(event["insights"], list)
    values = [event["progress"] for event in progress]
    assert values == sorted(values), f"progress went backwards: {values}"
    # No 100 % progress event is promised before complete on the live path, only on catch-up.
    assert 0 <= values[0] and values[-1] <= 100, values
    assert run.only("complete") == expected_complete(job_id)
    assert not run.named("error")
    # complete is the last job event: nothing is delivered after it.
    assert [name for name in run.names() if name != "ack"][-1] == "complete"


async def test_node_client_receives_live_progress_of_a_running_job(
    node: str, stack: Stack, http: aiohttp.ClientSession
) -> None:
    job_id = await start_analysis(http, replicated_sample(LIVE_COPIES))

    run = await run_node_client(node, stack.url, job_id)

    assert_finished(run)
    ack = run.only("ack")
    assert ack["status"] in {"pending", "processing"}, (
        f"the job was already {ack['status']} when the Node client subscribed, so no live "
        f"event was tested; raise LIVE_COPIES ({LIVE_COPIES})"
    )
    progress = run.named("progress")
    values = [event["progress"] for event in progress]
    # Beyond the one catch-up event, later ones came through the gateway's fan-out.
    assert len(set(values)) >= 2, f"no live progress arrived: {values}"
    assert values == sorted(values), f"progress went backwards: {values}"
    for event in progress:
        assert set(event) >= PROGRESS_FIELDS, event
        assert event["job_id"] == job_id
    assert run.only("complete") == expected_complete(job_id)
    assert run.names()[-1] == "complete"


async def test_node_client_joining_after_completion_gets_complete_at_once(
    node: str, stack: Stack, http: aiohttp.ClientSession
) -> None:
    job_id = await start_analysis(http)
    await wait_until_complete(http, job_id)

    run = await run_node_client(node, stack.url, job_id)

    assert_finished(run)
    ack = run.only("ack")
    assert ack == {"ok": True, "job_id": job_id, "status": "complete"}
    # The catch-up is the current state, then complete; no replay of the history.
    assert run.names() == ["progress", "complete", "ack"]
    [progress] = run.named("progress")
    assert set(progress) >= PROGRESS_FIELDS
    assert progress["progress"] == 100
    assert run.only("complete") == expected_complete(job_id)


async def test_node_client_subscribing_to_an_unknown_job_gets_error(
    node: str, stack: Stack
) -> None:
    run = await run_node_client(node, stack.url, "job_does_not_exist")

    assert_finished(run)
    error = run.only("error")
    assert error["job_id"] == "job_does_not_exist"
    assert "unknown job" in error["error"]
    assert run.only("ack")["ok"] is False
    assert not run.named("complete") and not run.named("progress")
