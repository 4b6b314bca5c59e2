"""Headless Chromium over the DevTools protocol: load a local page offline, collect what
went wrong (console errors, exceptions, log errors) and every network request."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import websockets

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--remote-debugging-port=0",
]


def chromium_binary() -> str:
    """The Chromium executable; FAILS the test (never skips) when it is missing."""
    for name in (os.environ.get("CHROMIUM_BIN", ""), "chromium", "chromium-browser"):
        if name and (path := shutil.which(name)):
            return path
    pytest.fail(
        "headless Chromium is required for the HTML export test but was not found: "
        "install it with `apt-get update && apt-get install -y chromium` "
        "(or set CHROMIUM_BIN)",
        pytrace=False,
    )


@dataclass
class PageReport:
    """What happened while a page loaded."""

    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [*self.console_errors, *self.exceptions, *self.log_errors]


class DevTools:
    """One DevTools websocket: commands (optionally for a flat session) and event capture."""

    def __init__(self, ws: Any) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self.report = PageReport()
        self._waiters: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._events: dict[str, asyncio.Event] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                msg = json.loads(raw)
                if "id" in msg and msg["id"] in self._waiters:
                    self._waiters.pop(msg["id"]).set_result(msg)
                    continue
                self._record(msg.get("method", ""), msg.get("params", {}))
        except websockets.ConnectionClosed:
            pass
        # The browser went away (e.g. Browser.close): nobody waits for a reply forever.
        for waiter in self._waiters.values():
            if not waiter.done():
                waiter.set_exception(ConnectionError("DevTools connection closed"))
        self._waiters.clear()

    def _record(self, method: str, params: dict[str, Any]) -> None:
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            args = params["args"]
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in args)
            self.report.console_errors.append(text)
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.report.exceptions.append(
                details.get("exception", {}).get("description", details.get("text", ""))
            )
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.report.log_errors.append(params["entry"]["text"])
        elif method == "Network.requestWillBeSent":
            self.report.requests.append(params["request"]["url"])
        if method in self._events:
            self._events[method].set()

    def event(self, method: str) -> asyncio.Event:
        """An event set whenever ``method`` arrives (clear it before waiting)."""
        return self._events.setdefault(method, asyncio.Event())

    async def send(
        self, method: str, params: dict[str, Any] | None = None, session_id: str = ""
    ) -> dict[str, Any]:
        ident = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters[ident] = future
        payload: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session_id:
            payload["sessionId"] = session_id
        await self._ws.send(json.dumps(payload))
        reply = await asyncio.wait_for(future, 20)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


class Page:
    """One attached tab; ``evaluate`` runs JavaScript and returns its JSON value."""

    def __init__(self, devtools: DevTools, session_id: str) -> None:
        self._devtools = devtools
        self._session = session_id
        self.report = devtools.report

    async def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self._devtools.send(method, params, self._session)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def load(self, url: str) -> None:
        loaded = self._devtools.event("Page.loadEventFired")
        loaded.clear()
        await self.send("Page.navigate", {"url": url})
        await asyncio.wait_for(loaded.wait(), 20)
        await asyncio.sleep(0.3)  # let late console messages and requests arrive

    async def screenshot(self, width: int, path: Path, max_height: int = 8000) -> int:
        """Lay the page out ``width`` CSS pixels wide and save the whole page (up to
        ``max_height``) as a PNG; returns the page's scroll width (for overflow checks)."""
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
        )
        await asyncio.sleep(0.2)
        size = await self.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        height = min(int(size[1]), max_height)
        shot = await self.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            },
        )
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))
        return int(size[0])

    async def wait_until(self, condition: Callable[[PageReport], bool], within: float = 5) -> None:
        """Poll the report until ``condition`` holds or ``within`` seconds pass."""
        for _ in range(int(within / 0.05)):
            if condition(self.report):
                return
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def offline_page() -> AsyncIterator[Page]:
    """A fresh headless Chromium tab with the network emulated offline."""
    binary = chromium_binary()
    # Chromium's helper processes may still flush the profile after the main one exits.
    with tempfile.TemporaryDirectory(
        prefix="convoscope-chromium-", ignore_cleanup_errors=True
    ) as profile:
        proc = await asyncio.create_subprocess_exec(
            binary,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            for _ in range(300):
                if port_file.exists() and len(port_file.read_text().splitlines()) >= 2:
                    break
                if proc.returncode is not None:
                    pytest.fail(f"chromium exited with code {proc.returncode}", pytrace=False)
                await asyncio.sleep(0.05)
            else:
                pytest.fail("chromium did not open its DevTools port", pytrace=False)
            port, path = port_file.read_text().splitlines()[:2]
            async with websockets.connect(f"ws://127.0.0.1:{port}{path}", max_size=None) as ws:
                devtools = DevTools(ws)
                target = await devtools.send("Target.createTarget", {"url": "about:blank"})
                attached = await devtools.send(
                    "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
                )
                page = Page(devtools, attached["sessionId"])
                for method in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
                    await page.send(method)
                await page.send(
                    "Network.emulateNetworkConditions",
                    {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
                )
                try:
                    yield page
                finally:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(devtools.send("Browser.close"), 5)
                    await devtools.close()
        finally:
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 10)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
