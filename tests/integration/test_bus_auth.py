"""The authenticated bus: no credentials, no access; each service only what it needs.

A real nats-server runs with the configuration ``make run`` generates
(``convoscope_stack.nats_auth``); the provisioner creates the resources, then
every service identity is tried against what it must and must not do.
"""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.errors import NoServersError
from nats.js.api import ConsumerConfig

from convoscope_common import bus_access, names
from convoscope_common.bus import connect
from convoscope_common.config import Settings
from convoscope_common.provisioning import ensure_provisioned, provision
from convoscope_common.storage import Stores
from convoscope_stack import nats_auth
from convoscope_stack.nats_server import NatsServer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NatsServer, Path]]:
    data = tmp_path_factory.mktemp("secure-bus")
    config = nats_auth.write_config(data)
    server = NatsServer(data / "nats", config_file=config)
    server.start()
    try:
        yield server, data
    finally:
        server.stop()


class Client:
    """A connection as one identity that records the server's permission errors."""

    def __init__(self, nc: NATS, errors: list[str]) -> None:
        self.nc = nc
        self.errors = errors
        self.js = nc.jetstream(timeout=1.5)

    async def denied(self, action: Awaitable[Any]) -> None:
        """``action`` fails and the server reports a permissions violation."""
        self.errors.clear()
        with pytest.raises(Exception):  # noqa: B017 - timeout or JetStream error alike
            await asyncio.wait_for(action, 3)
        for _ in range(20):
            if any("permissions violation" in e.lower() for e in self.errors):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"no permissions violation reported: {self.errors}")

    async def sub_denied(self, subject: str, queue: str = "") -> None:
        """Subscribing to ``subject`` is refused by the server."""
        self.errors.clear()
        await self.nc.subscribe(subject, queue=queue)
        await self.nc.flush()
        for _ in range(40):
            if any("permissions violation" in e.lower() for e in self.errors):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"subscription to {subject} was not refused")


@pytest.fixture
async def as_user(
    secured: tuple[NatsServer, Path],
) -> AsyncIterator[Callable[[str], Awaitable[Client]]]:
    server, data = secured
    opened: list[NATS] = []

    async def open_as(user: str) -> Client:
        errors: list[str] = []

        async def on_error(exc: Exception) -> None:
            errors.append(str(exc))

        options = nats_auth.connect_options(data, user)
        nc = await nats.connect(server.url, error_cb=on_error, allow_reconnect=False, **options)
        opened.append(nc)
        return Client(nc, errors)

    admin = await open_as(bus_access.PROVISIONER)
    await provision(admin.js, Settings())
    yield open_as
    for nc in opened:
        await nc.close()


async def test_credentials_are_private_files(secured: tuple[NatsServer, Path]) -> None:
    _, data = secured
    directory = nats_auth.auth_dir(data)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    passwords = {nats_auth.password_file(data, u).read_text() for u in bus_access.USERS}
    assert len(passwords) == len(bus_access.USERS)  # one secret per identity
    # A second start keeps them.
    before = nats_auth.password_file(data, "gateway").read_text()
    nats_auth.write_config(data)
    assert nats_auth.password_file(data, "gateway").read_text() == before


async def test_a_client_without_credentials_is_refused(secured: tuple[NatsServer, Path]) -> None:
    server, _ = secured
    with pytest.raises((NoServersError, nats.errors.Error, OSError)):
        await nats.connect(server.url, allow_reconnect=False, max_reconnect_attempts=0)
    with pytest.raises((NoServersError, nats.errors.Error, OSError)):
        await nats.connect(
            server.url,
            user="gateway",
            password="guessed",
            allow_reconnect=False,
            max_reconnect_attempts=0,
        )


async def test_monitoring_listens_on_loopback_only(secured: tuple[NatsServer, Path]) -> None:
    server, _ = secured
    log = server.log_file.read_text()
    assert f"Starting http monitor on 127.0.0.1:{server.monitor_port}" in log


async def test_services_connect_bind_every_store_and_find_provisioned_streams(
    secured: tuple[NatsServer, Path], as_user: Callable[[str], Awaitable[Client]]
) -> None:
    server, data = secured
    await as_user(bus_access.PROVISIONER)  # provisions
    for service in bus_access.SERVICES:
        options = nats_auth.connect_options(data, service)
        nc = await connect(server.url, f"test-{service}", options["user"], options["password"])
        try:
            js = nc.jetstream(timeout=2)
            settings = Settings(nats_user=service, nats_password=options["password"])
            await ensure_provisioned(js, settings, timeout=5)
            await Stores.open(js)
        finally:
            await nc.close()


async def test_gateway_submits_jobs_but_cannot_consume_them(
    as_user: Callable[[str], Awaitable[Client]],
) -> None:
    gateway = await as_user("gateway")
    ack = await gateway.js.publish(names.analyze_subject("normal"), b"job")
    assert ack.stream == names.JOBS_STREAM
    stores = await Stores.open(gateway.js)
    await stores.write_object(stores.uploads, "u1", b"raw upload")
    await stores.files.put("f1", b"record")
    await gateway.denied(_fetch(gateway, "analyzer-normal"))
    await gateway.denied(
        gateway.js.add_consumer(names.JOBS_STREAM, ConsumerConfig(durable_name="spy"))
    )
    await gateway.sub_denied(names.JOBS_SUBJECTS)
    await gateway.sub_denied(names.INGEST_PARSE, queue=names.INGEST_QUEUE)
    await gateway.sub_denied(names.CANCEL_ALL)
    await gateway.denied(gateway.nc.request(names.event_subject("job_x", "complete"), b"x"))


async def _fetch(client: Client, durable: str) -> None:
    sub = await client.js.pull_subscribe_bind(durable=durable, stream=names.JOBS_STREAM)
    await sub.fetch(1, timeout=1)


async def test_workers_consume_only_their_own_jobs(
    as_user: Callable[[str], Awaitable[Client]],
) -> None:
    gateway = await as_user("gateway")
    analyzer = await as_user("analyzer")
    # The analyzer's doorbell hears analysis jobs published, never exports.
    bell = await analyzer.nc.subscribe(names.JOBS_ANALYZE_ALL)
    await analyzer.nc.flush()
    await gateway.js.publish(names.export_subject(), b"export")
    await gateway.js.publish(names.analyze_subject("high"), b"analyze")
    # Generous: CI once saw no ring within 2 s while the stack tests ran beside it.
    ring = await bell.next_msg(timeout=15)
    assert ring.data == b"analyze", analyzer.errors
    with pytest.raises(TimeoutError):  # the export was not heard
        await bell.next_msg(timeout=0.3)
    await analyzer.sub_denied(names.JOBS_EXPORT)
    sub = await analyzer.js.pull_subscribe_bind(durable="analyzer-high", stream=names.JOBS_STREAM)
    [msg] = await sub.fetch(1, timeout=2)
    assert msg.data == b"analyze"
    await msg.ack()
    await analyzer.denied(_fetch(analyzer, names.EXPORTER_DURABLE))
    exporter = await as_user("exporter")
    esub = await exporter.js.pull_subscribe_bind(
        durable=names.EXPORTER_DURABLE, stream=names.JOBS_STREAM
    )
    [emsg] = await esub.fetch(1, timeout=2)
    assert emsg.data == b"export"
    await emsg.ack()
    await exporter.denied(_fetch(exporter, "analyzer-low"))
    await exporter.denied(exporter.js.publish(names.analyze_subject("high"), b"forged"))


async def test_workers_cannot_read_stores_they_do_not_need(
    as_user: Callable[[str], Awaitable[Client]],
) -> None:
    gateway = await as_user("gateway")
    gw_stores = await Stores.open(gateway.js)
    await gw_stores.write_object(gw_stores.uploads, "secret-upload", b"private conversations")
    await gw_stores.exports.put("e1", b"export state")
    await gw_stores.write_object(gw_stores.exports_data, "e1/report.csv", b"a,b")

    ingest = await as_user("ingest")
    stores = await Stores.open(ingest.js)
    assert await stores.read_object(stores.uploads, "secret-upload") == b"private conversations"
    await stores.write_object(stores.corpora, "c1", b"corpus")
    await ingest.denied(stores.read_object(stores.exports_data, "e1/report.csv"))
    await ingest.denied(stores.jobs.put("job_x", b"forged"))
    await ingest.denied(stores.results.get("anything"))

    exporter = await as_user("exporter")
    stores = await Stores.open(exporter.js)
    await exporter.denied(stores.read_object(stores.uploads, "secret-upload"))
    await exporter.denied(stores.uploads.get_info("secret-upload"))
    await exporter.denied(stores.files.put("f1", b"forged"))
    assert (await stores.exports.get("e1")).value == b"export state"

    analyzer = await as_user("analyzer")
    stores = await Stores.open(analyzer.js)
    await analyzer.denied(stores.read_object(stores.uploads, "secret-upload"))
    await analyzer.denied(stores.read_object(stores.exports_data, "e1/report.csv"))
    await analyzer.denied(stores.exports.get("e1"))


async def test_no_identity_reads_another_ones_replies_or_reconfigures_streams(
    as_user: Callable[[str], Awaitable[Client]],
) -> None:
    for service in bus_access.SERVICES:
        client = await as_user(service)
        await client.sub_denied("_INBOX.>")
        other = "gateway" if service != "gateway" else "ingest"
        await client.sub_denied(f"{bus_access.inbox_prefix(other)}.>")
        info = await client.js.stream_info(f"OBJ_{names.OBJ_UPLOADS}")
        info.config.republish = None
        await client.denied(client.js.update_stream(info.config))
        await client.denied(client.js.delete_stream(names.JOBS_STREAM))


async def test_workers_cannot_impersonate_other_services(
    as_user: Callable[[str], Awaitable[Client]],
) -> None:
    ingest = await as_user("ingest")
    await ingest.denied(ingest.nc.request(names.heartbeat_subject("analyzer"), b"x", timeout=1))
    await ingest.denied(ingest.nc.request(names.event_subject("job_1", "complete"), b"x"))
    await ingest.sub_denied(names.EVENTS_ALL)
    analyzer = await as_user("analyzer")
    await analyzer.sub_denied(names.INGEST_PARSE, queue=names.INGEST_QUEUE)
    await analyzer.denied(analyzer.nc.request(names.cancel_subject("job_1"), b"x", timeout=1))


async def test_a_service_waits_for_the_provisioner_instead_of_provisioning(
    tmp_path: Path,
) -> None:
    config = nats_auth.write_config(tmp_path)
    with NatsServer(tmp_path / "nats", config_file=config) as server:
        options = nats_auth.connect_options(tmp_path, "analyzer")
        settings = Settings(nats_user="analyzer", nats_password=options["password"])
        nc = await connect(server.url, "t-analyzer", "analyzer", options["password"])
        admin_options = nats_auth.connect_options(tmp_path, bus_access.PROVISIONER)
        admin = await nats.connect(server.url, **admin_options)
        try:
            waiting = asyncio.create_task(
                ensure_provisioned(nc.jetstream(timeout=2), settings, poll=0.1, timeout=30)
            )
            await asyncio.sleep(0.5)
            assert not waiting.done()  # nothing exists, and the analyzer may not create it
            await provision(admin.jetstream(), Settings())
            await asyncio.wait_for(waiting, 10)
        finally:
            await nc.close()
            await admin.close()
