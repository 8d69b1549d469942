"""gureum's own HTTP endpoints under /_gureum/: health (and what later issues add)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from gureum import __version__
from gureum.http.server import Request, Response

if TYPE_CHECKING:
    from gureum.app import App


def health(app: App) -> dict[str, Any]:
    """The node's state: `ready` once every enabled component serves, each service's and
    component's state. In strict auth mode (a shared cloud) it says nothing about the host:
    no data directory, endpoints or version, only states."""
    services = app.status()
    components = app.component_states()
    ready = all(c["state"] in ("running", "disabled") for c in components.values())
    doc: dict[str, Any] = {"ready": ready, "services": services, "components": components}
    if app.config.auth == "strict":
        return doc
    return {
        "version": __version__,
        "uptime": round(time.time() - app.started, 3),
        "endpoints": endpoints(app),
        "dataDir": str(app.data_dir),
        "role": app.config.role,
        **doc,
    }


def endpoints(app: App) -> dict[str, str]:
    host, port = app.http_address
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::", "::1") else host
    out = {"aws": f"http://{shown}:{port}", "registry": f"{shown}:{port}"}
    if app.dns_address is not None:
        out["dns"] = f"{app.dns_address[0]}:{app.dns_address[1]}"
    if app.is_agent:
        # an agent's own listener serves only /_gureum/; the cloud's APIs are elsewhere
        out = {"agent": out["aws"], "aws": app.config.api_endpoint or "", **({"dns": out["dns"]} if "dns" in out else {})}
    return out


def not_here(app: App, request: Request) -> Response:
    """What an agent answers to an AWS request: where to send it instead."""
    where = app.config.api_endpoint or "the gureum node serving the APIs"
    return _json(421, {"__type": "MisdirectedRequest", "message": f"this is a gureum agent; send AWS API requests to {where}"})


def _json(status: int, doc: Any) -> Response:
    return Response(status, [("content-type", "application/json")], json.dumps(doc, indent=1).encode())


async def handle(app: App, request: Request) -> Response:
    path = request.raw_path.rstrip("/")
    if path == "/_gureum/health" and request.method in ("GET", "HEAD"):
        doc = health(app)
        return _json(200 if doc["ready"] else 503, doc)
    return _json(404, {"error": "NotFound", "message": f"no gureum endpoint {request.raw_path}"})
