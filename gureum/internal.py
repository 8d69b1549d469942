"""gureum's own HTTP endpoints under /_gureum/: health, the node roster (`GET
/_gureum/status`: every node sharing the store, gureum/roster.py; in strict auth mode only
for a request signed with an operator's root key, as reset), and reset (`POST /_gureum/reset`,
every service or `?service=lambda,sqs`: see gureum/reset.py), and the web console
(`GET /_gureum/console`, gureum/console/). In strict auth mode reset
takes only a SigV4-signed request (any signing service name, e.g. "gureum") made with one of
the operator's configured root keys (`auth.keys`): it drops every tenant's state."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from gureum import __version__
from gureum.http.server import BodyTooLarge, Request, Response
from gureum.public import shown_host

if TYPE_CHECKING:
    from gureum.app import App


def health(app: App) -> dict[str, Any]:
    """The node's state: `ready` once every enabled component serves or idles (gureum/app.py), each service's and
    component's state (a service "resetting" while POST /_gureum/reset drops its state). In strict auth mode (a shared cloud) it says nothing about the host:
    no data directory, endpoints or version, only states."""
    from gureum.reset import resetting

    services = app.status()
    for name in resetting(app):
        services[name] = {"state": "resetting"}
    components = app.component_states()
    ready = app.ready()
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
    host, port = app.http_address  # this node's own listener (an agent's too)
    netloc = f"{shown_host(host)}:{port}"
    out = {"aws": f"http://{netloc}", "registry": netloc}
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
    if path == "/_gureum/reset":
        return await reset(app, request)
    if path == "/_gureum/status" and request.method in ("GET", "HEAD"):
        return await status(app, request)
    if path.startswith("/_gureum/console") and request.method in ("GET", "HEAD"):
        from gureum.console import serve

        page = serve(path)
        if page is not None:
            return page
    return _json(404, {"error": "NotFound", "message": f"no gureum endpoint {request.raw_path}"})


RESET_BODY_MAX = 1 << 16


async def status(app: App, request: Request) -> Response:
    """GET /_gureum/status: {"node": this node's id, "nodes": the roster as this node sees it
    now (state up/leaving/left/dead, heartbeatAge seconds, roles, what each runs)}."""
    from gureum import roster
    from gureum.aws.errors import AwsError
    from gureum.node_settings import RosterSettings

    if app.config.auth == "strict":
        try:
            await _check_operator(app, request, "read the node roster")
        except AwsError as err:
            return _json(err.status, {"error": err.code, "message": err.message})
        except BodyTooLarge:
            return _json(413, {"error": "RequestEntityTooLarge", "message": f"a status request has no body (at most {RESET_BODY_MAX} bytes)"})
    timeout = roster.timeout_of(app.settings(RosterSettings))
    now = time.time()
    nodes = await app.store.read(lambda t: roster.view(t, now, timeout))
    return _json(200, {"node": app.node_id, "deadAfter": timeout, "nodes": nodes})


async def reset(app: App, request: Request) -> Response:
    """POST /_gureum/reset[?service=a,b]: 200 {"reset": [services]}; an unknown service 400;
    another method 405; in strict mode an unsigned or non-operator request 403."""
    from gureum import reset as kit
    from gureum.aws.errors import AwsError

    if request.method != "POST":
        return Response(405, [("content-type", "application/json"), ("allow", "POST")],
                        json.dumps({"error": "MethodNotAllowed", "message": f"{request.method} is not allowed on /_gureum/reset: use POST"}).encode())
    if app.is_agent:
        return not_here(app, request)
    if app.config.auth == "strict":
        try:
            await _check_operator(app, request)
        except AwsError as err:
            return _json(err.status, {"error": err.code, "message": err.message})
        except BodyTooLarge:
            return _json(413, {"error": "RequestEntityTooLarge", "message": f"a reset request has no body (at most {RESET_BODY_MAX} bytes)"})
    try:
        services = kit.parse_services(request.query_dict().get("service"))
    except kit.UnknownService as err:
        return _json(400, {"error": "InvalidParameterValue",
                           "message": f"unknown service(s) to reset: {', '.join(err.names)}; known: {', '.join(sorted(kit.resettable()))}"})
    done = await kit.reset(app, services)
    return _json(200, {"reset": done})


async def _check_operator(app: App, request: Request, what: str = "reset this node") -> None:
    """Strict mode: the request is signed (SigV4 over its headers and body) with a configured
    root key (`auth.keys`), the operator's; raises AwsError (403) otherwise."""
    from gureum.aws import auth, routing
    from gureum.aws.errors import AwsError

    scope = routing.credential_scope(request)
    if scope is None:
        raise auth.missing_token()
    admission = await auth.admit(app, request, scope)
    identity = await admission.finish(await request.body(RESET_BODY_MAX))
    if identity.access_key_id not in auth.configured_keys(app):
        raise AwsError.common("AccessDenied", f"{identity.arn} is not authorized to {what}: only the operator's root keys (auth.keys) are")
