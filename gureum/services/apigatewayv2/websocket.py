"""WebSocket APIs on the execute-api front door.

- The upgrade: `GET ws://<id>.execute-api.localhost:<port>/<stage>` (or
  `/_aws/execute-api/<id>/<stage>`); an unknown or undeployed stage is 403 Forbidden. A Lambda
  REQUEST authorizer on `$connect` runs first (authorizers.py: 401/403 refuse the handshake;
  its context and principalId reach every event of the connection). The `$connect` route's
  integration (when there is one) decides: an error or a status outside
  2xx refuses the connection with that status; otherwise gureum answers 101 and takes the
  socket over (gureum/http/server.py `Response.upgrade`); frames are websockets' sans-IO
  protocol's (pings, close handshake, fragments).
- Messages are routed by the API's routeSelectionExpression (`$request.body.<path>` of a
  JSON message) to the route of that key, else `$default`; none: the client gets AWS's
  {"message": "Forbidden", "connectionId", "requestId"}. A route with a route response
  (two-way) sends the integration's answer (a proxy answer's `body`) back to the client.
  A route with RequestModels validates the message first (schemas.py): a body its model refuses
  gets {"message": "Invalid request body", "connectionId", "requestId"} and no integration runs.
- Close (by either side, DeleteConnection, 10 minutes without a frame from the client, or
  2 hours: settings ws_idle_timeout / ws_max_duration, code 1001 "Going away") runs
  `$disconnect` with the close code and reason, and removes the connection's row.
- `@connections/<id>` requests (the management API as boto3 calls it with
  `endpoint_url=<invoke URL>/<stage>`) go through the AWS wire layer as service
  `apigatewaymanagementapi` (management.py) with the stage segment taken off.

Connections are recorded in the store with the node holding the socket (connections.py);
this node's live sockets are `Sockets` (app.parts). Events are AWS's CONNECT / MESSAGE /
DISCONNECT shapes for Lambda proxy integrations, invoked after the same permission check as
HTTP APIs (source ARN `<api>/<stage>/<route key>`); HTTP_PROXY, HTTP and MOCK integrations
(request templates, integration responses) are ws_integrations.py's.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
import secrets
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

from gureum.http.server import Headers, Request, Response
from gureum.services.apigatewayv2 import connections, events, observe, permission, schemas
from gureum.services.apigatewayv2.settings import ApiGatewayV2Settings
from gureum.services.apigatewayv2.slots import SOCKETS

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.apigatewayv2.websocket")

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_MESSAGE = 128 * 1024  # AWS's WebSocket message size
API_ID_HEADER = "x-gureum-execute-api-id"  # set by the front door for the management API
_JSON = [("content-type", "application/json")]


def _message(status: int, text: str, rid: str) -> Response:
    return Response(status, [*_JSON, ("apigw-requestid", rid)], json.dumps({"message": text}, separators=(",", ":")).encode())


class Sockets:
    """This node's live WebSocket connections, by connection id."""

    def __init__(self) -> None:
        self.live: dict[str, Connection] = {}
        self.node = ""  # this node's id, set by the component that follows deliveries

    def on_deliver(self, event: Any) -> None:
        """Another node's PostToConnection / DeleteConnection for a socket held here."""
        data = event.data
        if data.get("node") != self.node:
            return
        conn = self.live.get(str(data.get("connection", "")))
        if conn is None:
            return
        if data.get("data") is not None:
            conn.send(base64.b64decode(data["data"]))
        if data.get("close"):
            conn.close(1000, "Going away")


def sockets(app: App) -> Sockets:
    return app.parts.lazy(SOCKETS, Sockets)


async def serve(app: App, request: Request, view: dict[str, Any], raw_path: str, domain: str, rid: str) -> Response:
    stage, _, rest = raw_path[1:].partition("/")
    if rest.startswith(("@connections/", "%40connections/")):
        return await _management(app, request, view, stage, "/" + rest)
    staged = view["stages"].get(stage)
    if staged is None or staged["snapshot"] is None or rest:
        return _message(403, "Forbidden", rid)
    if (request.headers.get("upgrade") or "").lower() != "websocket" or not request.headers.get("sec-websocket-key"):
        return _message(426, "Upgrade Required", rid)
    return await _connect(app, request, view, stage, staged, domain, rid)


async def _management(app: App, request: Request, view: dict[str, Any], stage: str, path: str) -> Response:
    from gureum.aws import edge

    headers = Headers([(k, v) for k, v in request.headers.items() if k != API_ID_HEADER])
    headers.add(API_ID_HEADER, view["api"]["ApiId"])
    return await edge.handle(app, replace(request, raw_path=path.replace("%40", "@", 1), headers=headers,
                                          signed_path=request.signed_path or request.raw_path))


def _accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()


def _route_by_key(snap: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["RouteKey"]: r for r in snap["routes"].values()}


def _context(view: dict[str, Any], stage: str, domain: str, route_key: str, event_type: str, connection_id: str,
             connected_at: float, identity: dict[str, str], now: float,
             authorizer: dict[str, Any] | None = None) -> dict[str, Any]:
    rid = base64.b64encode(secrets.token_bytes(11)).decode()
    extra = {"authorizer": authorizer} if authorizer is not None else {}
    return {**extra, "routeKey": route_key, "eventType": event_type, "extendedRequestId": rid,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)), "messageDirection": "IN",
            "stage": stage, "connectedAt": int(connected_at * 1000), "requestTimeEpoch": int(now * 1000),
            "identity": identity, "requestId": rid, "domainName": domain, "connectionId": connection_id,
            "apiId": view["api"]["ApiId"]}


async def run_route(app: App, view: dict[str, Any], stage: str, snap: dict[str, Any], route: dict[str, Any],
                    event: dict[str, Any]) -> events.Outgoing | None:
    """Run `route`'s integration with `event`; None when it has none."""
    integration = snap["integrations"].get((route.get("Target") or "").removeprefix("integrations/"))
    if integration is None:
        return None
    if integration.get("IntegrationType") != "AWS_PROXY":  # HTTP_PROXY, HTTP, MOCK (AWS: 500)
        from gureum.services.apigatewayv2 import ws_integrations

        staged = view["stages"].get(stage) or {}
        variables = dict((staged.get("stage") or {}).get("StageVariables") or {})
        return await ws_integrations.run(app, view, snap, integration, event, variables)
    from gureum.aws import arn as arns
    from gureum.ports import FUNCTIONS, port

    fn = permission.function_arn(str(integration.get("IntegrationUri", "")))
    source = arns.execute_api(view["region"], view["account"], view["api"]["ApiId"], f"{stage}/{route['RouteKey']}")
    if not integration.get("CredentialsArn") and not await permission.may_invoke(
            app, fn, source_arn=source, source_account=view["account"]):
        log.info("API %s: no permission for apigateway.amazonaws.com to invoke %s", view["api"]["ApiId"], fn)
        return events.INTERNAL_ERROR
    try:
        async with asyncio.timeout(int(integration.get("TimeoutInMillis") or 29000) / 1000):
            payload, error = await port(app, FUNCTIONS).invoke(fn, json.dumps(event).encode())
    except Exception as e:  # missing, throttled, timed out: an integration failure
        log.info("API %s: invoking %s failed: %s", view["api"]["ApiId"], fn, e)
        return events.INTERNAL_ERROR
    if error:
        return events.INTERNAL_ERROR
    try:
        doc = json.loads(payload) if payload.strip() else None
    except ValueError:
        return events.Outgoing(200, [], payload)
    if isinstance(doc, dict) and "statusCode" in doc:
        body = doc.get("body")
        data = body.encode() if isinstance(body, str) else b"" if body is None else json.dumps(body).encode()
        try:
            return events.Outgoing(int(doc["statusCode"]), [], data)
        except (TypeError, ValueError):
            return events.INTERNAL_ERROR
    return events.Outgoing(200, [], payload)


async def _connect(app: App, request: Request, view: dict[str, Any], stage: str, staged: dict[str, Any],
                   domain: str, rid: str) -> Response:
    snap = staged["snapshot"]
    now = time.time()
    connection_id = connections.new_id()
    identity = {"sourceIp": request.client[0], "userAgent": request.headers.get("user-agent", "") or ""}
    headers: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for k, v in request.headers.items():
        name = k.title()
        headers[name] = v
        multi.setdefault(name, []).append(v)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for k, v in request.query:
        query[k] = v
        multi_query.setdefault(k, []).append(v)
    route = _route_by_key(snap).get("$connect")
    authorizer: dict[str, Any] | None = None
    if route is not None and (route.get("AuthorizationType") or "NONE") != "NONE":
        from gureum.services.apigatewayv2 import authorizers

        incoming = events.Incoming(
            method="GET", raw_path=request.raw_path, raw_query=request.query_string,
            headers=[(k, v) for k, v in request.headers.items()], body=b"", source_ip=request.client[0],
            request_id=rid, account=view["account"], api_id=view["api"]["ApiId"], domain=domain, stage=stage,
            route_key="$connect", resource_path="$connect", now=now)
        denied = await authorizers.authorize(app, view, snap, route, incoming)
        if denied is not None:
            return Response(denied.status, [*_JSON, ("apigw-requestid", rid)], denied.body)
        authorizer = dict((incoming.authorizer or {}).get("lambda") or {})
        if incoming.principal_id is not None:
            authorizer["principalId"] = incoming.principal_id
    if route is not None:
        event: dict[str, Any] = {"headers": headers, "multiValueHeaders": multi}
        if query:
            event["queryStringParameters"] = query
            event["multiValueQueryStringParameters"] = multi_query
        event["requestContext"] = _context(view, stage, domain, "$connect", "CONNECT", connection_id, now, identity, now,
                                           authorizer)
        event["isBase64Encoded"] = False
        out = await run_route(app, view, stage, snap, route, event)
        if out is not None and not 200 <= out.status < 300:
            status = out.status if 400 <= out.status < 600 else 500
            return Response(status, [*_JSON, ("apigw-requestid", rid)], out.body if out.status >= 400 and out.body else b"")
    row = {"account": view["account"], "region": view["region"], "api": view["api"]["ApiId"], "stage": stage,
           "node": app.node_id, "connectedAt": now, "lastActiveAt": now, **identity}
    await app.store.run(lambda t: connections.add(t, connection_id, row))
    accept = _accept_key(str(request.headers.get("sec-websocket-key")))
    answer = [("upgrade", "websocket"), ("connection", "Upgrade"), ("sec-websocket-accept", accept)]
    protocols = request.headers.get("sec-websocket-protocol")
    if protocols:  # AWS leaves subprotocol choice to $connect's answer; echo the first offered
        answer.append(("sec-websocket-protocol", protocols.split(",")[0].strip()))

    def take_over(transport: asyncio.Transport, rest: bytes) -> Connection:
        conn = Connection(app, transport, view, stage, domain, connection_id, now, identity,
                          {"headers": headers, "multiValueHeaders": multi}, authorizer)
        if rest:
            conn.data_received(rest)
        return conn

    return Response(101, answer, b"", upgrade=take_over)


def select_route(expression: str, body: str, routes: dict[str, dict[str, Any]]) -> str | None:
    """The route key a message takes: `$request.body.<path>` of a JSON message naming a route,
    else `$default` when there is one, else None."""
    m = re.fullmatch(r"\$request\.body\.(.+)", expression.strip())
    if m is not None:
        try:
            value: Any = json.loads(body)
        except ValueError:
            value = None
        for part in m.group(1).split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str) and value in routes and not value.startswith("$"):
            return value
    return "$default" if "$default" in routes else None


class Connection:
    """One accepted WebSocket (gureum.http.server's `Upgraded`): frames in through websockets'
    sans-IO protocol, messages routed in order of arrival, each in its own task."""

    def __init__(self, app: App, transport: asyncio.Transport, view: dict[str, Any], stage: str, domain: str,
                 connection_id: str, connected_at: float, identity: dict[str, str],
                 connect_headers: dict[str, Any], authorizer: dict[str, Any] | None = None) -> None:
        self.app = app
        self.transport = transport
        self.view = view
        self.stage = stage
        self.domain = domain
        self.id = connection_id
        self.connected_at = connected_at
        self.identity = identity
        self.connect_headers = connect_headers
        self.authorizer = authorizer  # what the $connect authorizer answered: every event carries it
        self.protocol = ServerProtocol(state=State.OPEN, max_size=MAX_MESSAGE)
        self._fragments: list[bytes] = []
        self._fragment_text = False
        self._closed = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self.account, self.region, self.api_id = view["account"], view["region"], view["api"]["ApiId"]
        settings = app.settings(ApiGatewayV2Settings)
        loop = asyncio.get_running_loop()
        self._idle_after = settings.ws_idle_timeout
        self._idle = loop.call_later(self._idle_after, self._expire, "Going away")  # AWS: 10 min idle
        self._limit = loop.call_later(settings.ws_max_duration, self._expire, "Going away")  # AWS: 2 h
        sockets(app).live[connection_id] = self
        observe.websocket_metric(app, self.account, self.region, self.api_id, stage, "ConnectCount")

    def _expire(self, reason: str) -> None:
        self.close(1001, reason)

    # gureum.http.server.Upgraded
    def data_received(self, data: bytes) -> None:
        self._idle.cancel()
        self._idle = asyncio.get_running_loop().call_later(self._idle_after, self._expire, "Going away")
        self.protocol.receive_data(data)
        for frame in self.protocol.events_received():
            if isinstance(frame, Frame):
                self._frame(frame)
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._closed:
            return
        self._closed = True
        self._idle.cancel()
        self._limit.cancel()
        sockets(self.app).live.pop(self.id, None)
        observe.websocket_closed(self.app, self.account, self.region, self.api_id, time.time() - self.connected_at)
        code = self.protocol.close_code if self.protocol.close_code is not None else 1006
        reason = self.protocol.close_reason or ""
        self._spawn(self._disconnect(code, reason))

    def _frame(self, frame: Frame) -> None:
        if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
            self._fragments = [bytes(frame.data)]
            self._fragment_text = frame.opcode == Opcode.TEXT
        elif frame.opcode == Opcode.CONT:
            self._fragments.append(bytes(frame.data))
        else:
            return  # ping, pong, close: the protocol answers them
        if frame.fin:
            data = b"".join(self._fragments)
            self._fragments = []
            self._spawn(self._message(data, self._fragment_text))

    def _flush(self) -> None:
        for chunk in self.protocol.data_to_send():
            if chunk:
                self.transport.write(chunk)
            elif self.transport.can_write_eof():
                self.transport.write_eof()
        if self.protocol.close_expected() or self.protocol.state is State.CLOSED:
            self.transport.close()

    def _spawn(self, coro: Any) -> None:
        task = self.app.spawn(coro, name=f"apigatewayv2-ws-{self.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def send(self, data: bytes) -> None:
        """Send `data` to the client (text when it is UTF-8, else binary)."""
        if self.protocol.state is not State.OPEN:
            return
        observe.websocket_message(self.app, self.account, self.region, self.api_id, len(data))
        try:
            data.decode("utf-8")
            self.protocol.send_text(data)
        except UnicodeDecodeError:
            self.protocol.send_binary(data)
        self._flush()

    def close(self, code: int = 1000, reason: str = "") -> None:
        if self.protocol.state is State.OPEN:
            self.protocol.send_close(code, reason)
            self._flush()

    @property
    def open(self) -> bool:
        return self.protocol.state is State.OPEN and not self._closed

    async def _message(self, data: bytes, text: bool) -> None:
        from gureum.services.apigatewayv2.views import views

        now = time.time()
        observe.websocket_message(self.app, self.account, self.region, self.api_id, len(data))
        observe.websocket_metric(self.app, self.account, self.region, self.api_id, self.stage, "MessageCount")
        view = await views(self.app).get(self.view["api"]["ApiId"]) or self.view
        staged = view["stages"].get(self.stage)
        snap = staged["snapshot"] if staged else None
        routes = _route_by_key(snap) if snap else {}
        body = data.decode("utf-8", errors="replace") if text else base64.b64encode(data).decode()
        key = select_route(str(view["api"].get("RouteSelectionExpression", "")), body if text else "", routes)
        ctx = _context(view, self.stage, self.domain, key or "$default", "MESSAGE", self.id, self.connected_at,
                       self.identity, now, self.authorizer)
        ctx["messageId"] = base64.b64encode(secrets.token_bytes(11)).decode()
        await self.app.store.run(lambda t: connections.touch(t, self.id, now))
        if key is None or snap is None:
            self.send(json.dumps({"message": "Forbidden", "connectionId": self.id,
                                  "requestId": ctx["requestId"]}).encode())
            return
        route = routes[key]
        refused = schemas.check_message(snap, route, body) if text else None
        if refused is not None:
            self.send(json.dumps({"message": refused, "connectionId": self.id, "requestId": ctx["requestId"]}).encode())
            return
        out = await run_route(self.app, view, self.stage, snap, route,
                              {"requestContext": ctx, "body": body, "isBase64Encoded": not text})
        two_way = bool((snap.get("routeresponses") or {}).get(route["RouteId"]))
        if out is not None and out.status >= 500:
            self.send(json.dumps({"message": "Internal server error", "connectionId": self.id,
                                  "requestId": ctx["requestId"]}).encode())
        elif out is not None and two_way and out.body:
            self.send(out.body)

    async def _disconnect(self, code: int, reason: str) -> None:
        now = time.time()
        try:
            await self.app.store.run(lambda t: connections.remove(t, self.id))
            from gureum.services.apigatewayv2.views import views

            view = await views(self.app).get(self.view["api"]["ApiId"]) or self.view
            staged = view["stages"].get(self.stage)
            snap = staged["snapshot"] if staged else None
            route = _route_by_key(snap).get("$disconnect") if snap else None
            if route is None or snap is None:
                return
            ctx = _context(view, self.stage, self.domain, "$disconnect", "DISCONNECT", self.id, self.connected_at,
                           self.identity, now, self.authorizer)
            ctx["disconnectStatusCode"] = code
            ctx["disconnectReason"] = reason
            await run_route(self.app, view, self.stage, snap, route,
                            {**self.connect_headers, "requestContext": ctx, "isBase64Encoded": False})
        except Exception:  # the node may be stopping (store closed): nothing to tell anyone
            log.exception("WebSocket %s: $disconnect failed", self.id)
