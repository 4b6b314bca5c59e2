"""The aiohttp application: routes, middlewares, Socket.IO, and the NATS lifecycle.

Resources are set up and torn down in ``cleanup_ctx`` (NATS drain on exit);
Socket.IO is shut down in ``on_shutdown``, before the connection drains.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import socketio
from aiohttp import web
from aiohttp.typedefs import Handler

from convoscope_common.bus import connect
from convoscope_common.config import Settings
from convoscope_common.logs import get_logger
from convoscope_common.metrics import Counter, Gauge, Histogram
from convoscope_common.provisioning import provision
from convoscope_common.storage import Stores
from convoscope_gateway import openapi
from convoscope_gateway.auth import make_auth_middleware, make_rate_limit_middleware
from convoscope_gateway.cors import make_cors_middleware, socket_origin_check
from convoscope_gateway.errors import error_middleware
from convoscope_gateway.fanout import start_fanout
from convoscope_gateway.loaded import LIGHT, LOADED, LightDocuments, LoadedAnalyses
from convoscope_gateway.socket_events import register_socket_handlers
from convoscope_gateway.state import GATEWAY, SETTINGS, SIO, Gateway

log = get_logger(__name__)

REQUESTS = Counter("convoscope_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("convoscope_http_request_seconds", "HTTP request latency", ["route"])
SOCKETS = Gauge("convoscope_socketio_connections", "Connected Socket.IO clients")


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count requests and time them by route template (never by raw path: ids are unbounded)."""
    started = time.perf_counter()
    route = (
        request.match_info.route.resource.canonical
        if request.match_info.route.resource
        else "unmatched"
    )
    response = await handler(request)
    REQUESTS.labels(request.method, route, str(response.status)).inc()
    LATENCY.labels(route).observe(time.perf_counter() - started)
    return response


def setup_routes(app: web.Application) -> None:
    """Every route of the API and the web app, from the one table the OpenAPI
    document is also built from."""
    for op in openapi.operations():
        app.router.add_route(op.method.upper(), op.router_path, op.handler)


async def _nats_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    nc = await connect(settings.nats_url, "convoscope-gateway")
    js = nc.jetstream()
    await provision(js, settings)
    stores = await Stores.open(js)
    gw = Gateway(settings=settings, nc=nc, js=js, stores=stores, sio=app[SIO])
    app[GATEWAY] = gw
    subs = await start_fanout(gw)
    log.info("gateway_ready")
    yield
    for sub in subs:
        await sub.unsubscribe()
    await nc.drain()


def create_app(settings: Settings) -> web.Application:
    """Build the gateway application (NATS connects when the app starts)."""
    app = web.Application(
        middlewares=[
            make_cors_middleware(settings),
            # Outside the error middleware, so error responses are counted too.
            metrics_middleware,
            error_middleware,
            make_rate_limit_middleware(settings),
            make_auth_middleware(settings),
        ],
        client_max_size=1024 * 1024,  # JSON bodies; uploads stream with their own limit
    )
    app[SETTINGS] = settings
    app[LOADED] = LoadedAnalyses()
    app[LIGHT] = LightDocuments()
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        cors_allowed_origins=socket_origin_check(settings),
        logger=False,
        engineio_logger=False,
    )
    sio.attach(app)
    app[SIO] = sio
    register_socket_handlers(sio, lambda: app[GATEWAY], settings, SOCKETS)

    async def on_shutdown(_app: web.Application) -> None:
        await sio.shutdown()

    setup_routes(app)
    app.cleanup_ctx.append(_nats_ctx)
    app.on_shutdown.append(on_shutdown)
    return app
