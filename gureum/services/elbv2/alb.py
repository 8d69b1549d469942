"""An Application Load Balancer listener's decisions per request, answered as AWS's ALB
answers: the rule a request matches (from the listener's routing table, compiled once per
snapshot) and its action: a fixed response, a redirect, a forward to a target with
X-Forwarded-For/-Proto/-Port and X-Amzn-Trace-Id added (the request head to send is built
here), target-level stickiness (AWSALB/AWSALBCORS cookies) and group-level stickiness
(AWSALBTG/AWSALBTGCORS), application stickiness (AWSALBAPP-*, app_cookie.py: the target is
picked here, the cookies are added by front.py when the target's answer head sets the
application cookie), slow start's ramp (slow_start.py), 503 when the group has no target, and
Lambda targets' events and answers (502 when the function fails or answers something
malformed). The bytes move in front.py (client side) and upstream.py (target side); this
module never does I/O except a Lambda invocation, and counts each request for the meter and
CloudWatch when front.py says it is over (`record`). A request of a load balancer with
access logs on carries a Trail in its Decision (the rule, target, trace id here; when the
target was sent the request and answered, in front.py) that `record` hands to the access log
(access_logs.py) with the request's sizes.

A rule with an authenticate action (authenticate-cognito/-oidc, HTTPS listeners only), and any
request for the IdP's callback (/oauth2/idpresponse) on a listener with one, is decided as
`Authenticate`: front.py awaits `authenticate` (auth_action.Gate: the IdP redirect, a 401, the
callback's answer, or the x-amzn-oidc-* headers replacing any the client sent), then asks
`proceed` for the rule's terminal action. Every other request stays on the synchronous path.

The common case is decided shortest: a rule whose action is a plain forward (`_Plain`: one
target group, no stickiness, round robin, no slow start, not Lambda, on a listener without
access logs or authenticate actions, found when the table is compiled for a snapshot) takes
its target's turn and builds the head, nothing else. On an HTTP listener with the native
worker (native_alb.py) those requests, when their rule's conditions are host-header,
path-pattern or http-request-method, are decided and forwarded in C with the same head
(tests/elbv2/test_native_alb_heads.py compares the bytes) and never reach this module."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from gureum.services.elbv2 import access_logs, app_cookie, auth_rules, lambda_event, routing, slow_start
from gureum.services.elbv2.meter import Meter
from gureum.services.elbv2.snapshot import GroupView, ListenerView, Snapshot
from gureum.services.elbv2.upstream import Pool

Doc = dict[str, Any]
Invoke = Callable[[str, bytes], Awaitable[tuple[bytes, str | None]]]  # FunctionPort.invoke
# (load balancer ARN, target group ARN or None, status, answered by a target, seconds): cw_metrics.request
Observe = Callable[[str, str | None, int, bool, float], None]
Target = tuple[str, int]
# (listener, request, client, status, answered by a target, target group ARN, trail, request
# body bytes, bytes sent to the client): access_logs.AccessLogs.add
AccessLog = Callable[[ListenerView, "Incoming", tuple[str, int], int, bool, str | None, access_logs.Trail, int, int], None]
# (request, listener, its rule) -> an answer instead of the rule's terminal action, or the
# headers to add to the forwarded request: auth_action.Gate
Gate = Callable[["Incoming", ListenerView, Doc], Awaitable["Answer | list[tuple[str, str]]"]]
_HOP = frozenset(("connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
                  "content-length"))
# request headers the load balancer replaces (or answers itself: Expect)
_REPLACED = _HOP | {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-port", "x-amzn-trace-id", "expect"}
_SERVER = "awselb/2.0"
_ERROR_PAGE = ("<html>\r\n<head><title>{code} {text}</title></head>\r\n<body>\r\n<center><h1>{code} {text}</h1>"
               "</center>\r\n</body>\r\n</html>\r\n")
_TEXTS = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out",
          400: "Bad Request", 404: "Not Found", 408: "Request Time-out", 414: "Request-URI Too Large",
          431: "Request Header Fields Too Large", 500: "Internal Server Error"}


class Incoming:
    """One request head as the front parsed it (header names lower-case)."""

    __slots__ = ("method", "raw_path", "query_string", "headers", "client", "chunked", "length")

    def __init__(self, method: str, raw_path: str, query_string: str, headers: list[tuple[str, str]],
                 client: tuple[str, int], chunked: bool, length: int) -> None:
        self.method = method
        self.raw_path = raw_path
        self.query_string = query_string
        self.headers = headers
        self.client = client
        self.chunked = chunked  # Transfer-Encoding: chunked
        self.length = length  # Content-Length (0 when none)

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v
        return None


@dataclass(slots=True)
class Answer:
    """The load balancer's own answer (or a Lambda target's)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(slots=True)
class Forward:
    """Send `head` (and the request body) to `target`; add `set_cookies` to the answer (and
    AWSALBAPP-* when `app_group`, a group with application stickiness, sees its cookie set)."""

    target: Target
    head: bytes
    set_cookies: list[str]
    timeout: float
    app_group: GroupView | None = None


@dataclass
class CallLambda:
    function: str
    group: GroupView
    set_cookies: list[str]


@dataclass
class Authenticate:
    """The rule's authenticate action (or the IdP's callback) runs first: `AlbHandler.authenticate`,
    then `AlbHandler.proceed` for the terminal action."""

    table: _Table
    action: _Action
    facts: routing.Facts | None


Plan = Answer | Forward | CallLambda | Authenticate


@dataclass(slots=True)
class Decision:
    view: ListenerView | None
    plan: Plan
    tg_arn: str | None = None  # the target group that serves it
    trail: access_logs.Trail | None = None  # access logs on: what the request met


@dataclass
class _Action:
    """A rule's last action, read once per snapshot."""

    kind: str
    doc: Doc
    rule: Doc  # the rule it ends (its priority and actions go to the access log)
    fixed: Answer | None = None  # fixed-response: the answer (its Date is set per request)
    groups: list[Doc] = field(default_factory=list)
    sticky_group: Doc = field(default_factory=dict)
    only_group: str | None = None  # forward to a single group (no weights to draw)
    auth: bool = False  # the rule starts with an authenticate action
    plain: _Plain | None = None  # a plain forward (decided without looking at the request)


@dataclass(slots=True)
class _Plain:
    """A forward whose target needs nothing of the request but a turn of round robin: one
    target group (not Lambda) with routable targets, no stickiness of any kind (group,
    load balancer cookie, application cookie), round robin without slow start; on a listener
    with neither access logs nor authenticate actions. Found once per snapshot (`_compile`):
    the common case's requests skip the cookie jar, the group lookup and the algorithm."""

    arn: str
    targets: list[tuple[str, int]]


@dataclass
class _Table:
    """A listener's routing table: the rules that can match (up to the first without
    conditions), each with its compiled action, and what every forward adds to the head."""

    view: ListenerView
    rules: list[Doc]
    actions: dict[int, _Action]  # id(rule) -> action
    constant: _Action | None  # the answer when the first reachable rule matches everything
    forwarded: str  # X-Forwarded-Proto / -Port lines
    timeout: float
    logged: bool  # the load balancer's access logs are on
    gated: bool = False  # a rule of the listener has an authenticate action


def _plain(action: _Action, snap: Snapshot) -> _Plain | None:
    if action.kind != "forward" or action.auth or action.only_group is None or action.sticky_group.get("Enabled"):
        return None
    group = snap.groups.get(action.only_group)
    if group is None or not group.routable or group.slow or group.doc["TargetType"] == "lambda":
        return None
    attrs = group.doc["attributes"]
    if (attrs.get("stickiness.enabled") == "true"
            or attrs.get("load_balancing.algorithm.type", "round_robin") != "round_robin"):
        return None
    return _Plain(group.arn, list(group.routable))


def _compile(view: ListenerView, snap: Snapshot) -> _Table:
    reachable: list[Doc] = []
    for rule in view.rules:
        reachable.append(rule)
        if not rule["Conditions"]:
            break
    actions: dict[int, _Action] = {}
    for rule in reachable:
        action = rule["Actions"][-1]
        compiled = _Action(action["Type"], action, rule, auth=any(a["Type"] in auth_rules.KINDS for a in rule["Actions"]))
        if compiled.kind == "fixed-response":
            cfg = action["FixedResponseConfig"]
            compiled.fixed = Answer(int(cfg["StatusCode"]), [("content-type", cfg.get("ContentType", "text/plain"))],
                                    str(cfg.get("MessageBody", "")).encode())
        elif compiled.kind == "forward":
            cfg = action["ForwardConfig"]
            compiled.groups = list(cfg["TargetGroups"])
            compiled.sticky_group = dict(cfg.get("TargetGroupStickinessConfig", {}))
            live = [g for g in compiled.groups if g.get("Weight", 1) > 0]
            if len(live) == 1:
                compiled.only_group = str(live[0]["TargetGroupArn"])
        actions[id(rule)] = compiled
    constant = actions[id(reachable[0])] if not reachable[0]["Conditions"] else None
    forwarded = f"x-forwarded-proto: {view.protocol.lower()}\r\nx-forwarded-port: {view.port}\r\n"
    table = _Table(view, reachable, actions, constant, forwarded,
                   float(view.lb_attributes.get("idle_timeout.timeout_seconds", "60")),
                   view.lb_attributes.get("access_logs.s3.enabled") == "true",
                   any(a["Type"] in auth_rules.KINDS for r in view.rules for a in r["Actions"]))
    if not table.logged and not table.gated:
        for compiled in actions.values():
            compiled.plain = _plain(compiled, snap)
    return table


_date_cache: tuple[int, str] = (0, "")


def http_date() -> str:
    """The Date header's value (formatted once a second)."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


def error_answer(code: int) -> Answer:
    body = _ERROR_PAGE.format(code=code, text=_TEXTS.get(code, "Error")).encode()
    return Answer(code, [("server", _SERVER), ("date", http_date()), ("content-type", "text/html")], body)


_epoch_cache: tuple[int, str] = (0, "")


def trace_id(existing: str | None) -> str:
    global _epoch_cache
    if existing and "Root=" in existing:
        return existing
    now = int(time.time())
    if _epoch_cache[0] != now:
        _epoch_cache = (now, f"Root=1-{now:08x}-")
    return _epoch_cache[1] + random.getrandbits(96).to_bytes(12, "big").hex()  # (formatting :024x costs twice this)


class AlbHandler:
    """Decides for one listener (address, port) from the current snapshot (`snapshot()`)."""

    def __init__(self, key: tuple[str, int], snapshot: Callable[[], Snapshot], pool: Pool,
                 rr: routing.RoundRobin, meter: Meter, invoke: Invoke, observe: Observe,
                 client_of: Callable[[tuple[str, int]], tuple[str, int]] | None = None) -> None:
        self.client_of = client_of  # HTTPS: the real client of a connection from the TLS relay
        self.invoke = invoke
        self.observe = observe
        self.key = key
        self.snapshot = snapshot
        self.pool = pool
        self.rr = rr
        self.meter = meter
        self.outstanding: dict[Target, int] = {}  # target -> requests in flight (least_outstanding_requests)
        self._table: _Table | None = None
        self.access_log: AccessLog | None = None  # set by the data plane
        self.ramp = slow_start.Ramp()  # round robin of groups with targets in slow start
        self.gate: Gate | None = None  # HTTPS: the authenticate actions (auth_action.py), set by the data plane

    def table(self) -> _Table | None:
        snap = self.snapshot()
        view = snap.listeners.get(self.key)
        if view is None:
            return None
        table = self._table
        if table is None or table.view is not view:
            table = self._table = _compile(view, snap)
        return table

    def decide(self, req: Incoming) -> Decision:
        """What to do with a request whose head arrived."""
        table = self.table()
        if table is None:
            return Decision(None, error_answer(503))
        view = table.view
        action = table.constant
        facts: routing.Facts | None = None
        if action is None:
            facts = self._facts(req, view)
            action = table.actions[id(routing.choose(table.rules, facts))]
        plain = action.plain
        if plain is not None:  # the common case: no cookies to read or set, no trail, no gate
            targets = plain.targets
            target = targets[0] if len(targets) == 1 else targets[self.rr.pick(plain.arn, len(targets))]
            return Decision(view, Forward(target, self._head(req, table, None), [], table.timeout), plain.arn)
        trail = access_logs.Trail(time.time(), time.monotonic(), action.rule) if table.logged else None
        if table.gated and self.gate is not None and (action.auth or req.raw_path == auth_rules.CALLBACK):
            return Decision(view, Authenticate(table, action, facts), trail=trail)
        return self._act(req, table, action, facts, trail)

    async def authenticate(self, req: Incoming, plan: Authenticate) -> Answer | None:
        """Run the gate: its answer (the IdP redirect, 401, the callback's), or None to go on to
        the rule's terminal action (`proceed`) with the request's x-amzn-oidc-* headers replaced
        by the gate's (none when not authenticated and allowed)."""
        assert self.gate is not None
        got = await self.gate(req, plan.table.view, plan.action.rule)
        if isinstance(got, Answer):
            return got
        if plan.action.auth:  # never the client's own x-amzn-oidc-* headers
            req.headers = [(k, v) for k, v in req.headers if k not in auth_rules.OIDC_HEADERS] + got
        return None

    def proceed(self, req: Incoming, plan: Authenticate, trail: access_logs.Trail | None) -> Decision:
        """The rule's terminal action, once the gate let the request through."""
        return self._act(req, plan.table, plan.action, plan.facts, trail)

    def _act(self, req: Incoming, table: _Table, action: _Action, facts: routing.Facts | None,
             trail: access_logs.Trail | None) -> Decision:
        view = table.view
        if action.kind == "forward":
            decision = self._forward(req, table, action, trail)
            decision.trail = trail
            return decision
        if action.fixed is not None:
            fixed = action.fixed
            return Decision(view, Answer(fixed.status, [("server", _SERVER), ("date", http_date()), *fixed.headers],
                                         fixed.body), trail=trail)
        if action.kind == "redirect":
            cfg = action.doc["RedirectConfig"]
            status = 301 if cfg["StatusCode"] == "HTTP_301" else 302
            location = routing.redirect_location(cfg, facts or self._facts(req, view))
            if trail is not None:
                trail.redirect = location
            return Decision(view, Answer(status, [("server", _SERVER), ("date", http_date()), ("content-type", "text/html"),
                                                  ("location", location)],
                                         _ERROR_PAGE.format(code=status, text="Moved Permanently" if status == 301
                                                            else "Found").encode()), trail=trail)
        return Decision(view, error_answer(503), trail=trail)

    def _client(self, req: Incoming) -> tuple[str, int]:
        return self.client_of(req.client) if self.client_of is not None else req.client

    def _facts(self, req: Incoming, view: ListenerView) -> routing.Facts:
        headers: dict[str, list[str]] = {}
        for k, v in req.headers:
            headers.setdefault(k, []).append(v)
        raw_host = req.header("host") or ""
        host = raw_host.rsplit(":", 1)[0].lower() if not raw_host.startswith("[") else raw_host
        from urllib.parse import parse_qsl

        return routing.Facts(method=req.method, host=host, path=req.raw_path,
                             query=parse_qsl(req.query_string, keep_blank_values=True), headers=headers,
                             source_ip=self._client(req)[0], protocol=view.protocol.lower(), port=view.port,
                             query_string=req.query_string)

    def _forward(self, req: Incoming, table: _Table, action: _Action, trail: access_logs.Trail | None) -> Decision:
        view = table.view
        snap = self.snapshot()
        cookie_values = [v for k, v in req.headers if k == "cookie"]
        jar = routing.cookies(cookie_values) if cookie_values else {}
        set_cookies: list[str] = []
        sticky_group = action.sticky_group
        tg_arn: str | None = None
        if sticky_group.get("Enabled") and "AWSALBTG" in jar:
            parts = routing.cookie_parts(jar["AWSALBTG"])
            if parts and any(g["TargetGroupArn"] == parts[0] for g in action.groups):
                tg_arn = parts[0]
        if tg_arn is None:
            tg_arn = action.only_group or routing.pick_group(action.groups)
        group = snap.groups.get(tg_arn or "")
        if group is None:
            return Decision(view, error_answer(503))
        if sticky_group.get("Enabled"):
            set_cookies += _cookie_pair("AWSALBTG", routing.cookie_value(group.arn), int(sticky_group["DurationSeconds"]))
        target = self._target(group, jar, set_cookies)
        if target is None:
            return Decision(view, error_answer(503), group.arn)
        if group.doc["TargetType"] == "lambda":
            return Decision(view, CallLambda(target[0], group, set_cookies), group.arn)
        if trail is not None:
            trail.target = target
        app_group = group if app_cookie.enabled(group) else None
        return Decision(view, Forward(target, self._head(req, table, trail), set_cookies, table.timeout, app_group),
                        group.arn)

    def started(self, target: Target) -> None:
        self.outstanding[target] = self.outstanding.get(target, 0) + 1

    def ended(self, target: Target) -> None:
        left = self.outstanding.pop(target, 1) - 1
        if left > 0:
            self.outstanding[target] = left

    def record(self, decision: Decision, size: int, status: int, from_target: bool, took: float,
               req: Incoming | None = None, body_in: int = 0, sent: int = 0) -> None:
        """A request is over: count it for the meter and CloudWatch (`size`: the body bytes both
        ways), and when it has a trail, give its entry to the access log (`body_in`: the
        request body's bytes, `sent`: every byte answered)."""
        view = decision.view
        if view is None:
            return
        self.meter.request(view.lb_key, len(view.rules), size, status, from_target, took)
        self.observe(view.lb_arn, decision.tg_arn, status, from_target, took)
        if decision.trail is not None and self.access_log is not None and req is not None:
            self.access_log(view, req, self._client(req), status, from_target, decision.tg_arn, decision.trail,
                            body_in, sent)

    async def call_lambda(self, req: Incoming, plan: CallLambda, body: bytes) -> tuple[Answer, bool]:
        """A Lambda target's answer to the request, and whether the function gave it."""
        group = plan.group
        multi = group.doc["attributes"].get("lambda.multi_value_headers.enabled") == "true"
        ev = lambda_event.event(group.arn, req.method, req.raw_path, req.query_string, req.headers, body, multi)
        try:
            payload, error = await self.invoke(plan.function, json.dumps(ev).encode())
        except Exception:  # noqa: BLE001 - the function is gone or cannot run: as AWS, a 502
            return error_answer(502), False
        if error is not None:
            return error_answer(502), False
        try:
            status, headers, data = lambda_event.response(payload, multi)
        except lambda_event.Malformed:
            return error_answer(502), False
        headers = [(k, v) for k, v in headers if k.lower() not in _HOP]
        headers += [("set-cookie", c) for c in plan.set_cookies]
        return Answer(status, headers, data), True

    def _target(self, group: GroupView, jar: dict[str, str], set_cookies: list[str]) -> Target | None:
        if not group.routable:
            return None
        attrs = group.doc["attributes"]
        if (app_held := app_cookie.held(group, jar)) is not None:
            return app_held
        sticky = attrs.get("stickiness.enabled") == "true" and attrs.get("stickiness.type") == "lb_cookie"
        if sticky and "AWSALB" in jar:
            parts = routing.cookie_parts(jar["AWSALB"])
            if len(parts) == 3 and parts[0] == group.doc["id"]:
                wanted = (parts[1], int(parts[2])) if parts[2].isdigit() else None
                if wanted in group.routable:
                    set_cookies += _cookie_pair("AWSALB", jar["AWSALB"], int(attrs["stickiness.lb_cookie.duration_seconds"]))
                    return wanted
        algorithm = attrs.get("load_balancing.algorithm.type", "round_robin")
        if algorithm == "least_outstanding_requests":
            target = min(group.routable, key=lambda t: self.outstanding.get(t, 0))
        elif algorithm == "weighted_random":
            target = random.choice(group.routable)
        elif group.slow:
            target = self.ramp.pick(group, time.time())
        else:
            target = group.routable[self.rr.pick(group.arn, len(group.routable))]
        if sticky:
            value = routing.cookie_value(group.doc["id"], target[0], str(target[1]))
            set_cookies += _cookie_pair("AWSALB", value, int(attrs["stickiness.lb_cookie.duration_seconds"]))
        return target

    def _head(self, req: Incoming, table: _Table, trail: access_logs.Trail | None = None) -> bytes:
        """The request head sent to the target (ends with the blank line); the trace id it
        carries goes to the trail."""
        query = req.query_string
        lines = [f"{req.method} {req.raw_path}?{query} HTTP/1.1\r\n" if query else f"{req.method} {req.raw_path} HTTP/1.1\r\n"]
        xff = ""
        trace: str | None = None
        has_host = False
        for k, v in req.headers:
            if k in _REPLACED:
                if k == "x-forwarded-for":
                    xff += f"{v}, "
                elif k == "x-amzn-trace-id" and trace is None:
                    trace = v
                continue
            if k == "host":
                has_host = True
            lines.append(f"{k}: {v}\r\n")
        client = req.client if self.client_of is None else self.client_of(req.client)
        trace = trace_id(trace)
        if trail is not None:
            trail.trace = trace
        lines.append(f"x-forwarded-for: {xff}{client[0]}\r\nx-amzn-trace-id: {trace}\r\n")
        if not has_host:
            lines.append(f"host: {table.view.address}\r\n")
        length = "transfer-encoding: chunked" if req.chunked else f"content-length: {req.length}"
        lines.append(f"{length}\r\n{table.forwarded}\r\n")
        return "".join(lines).encode("latin-1")


def _cookie_pair(name: str, value: str, seconds: int) -> list[str]:
    expires = formatdate(time.time() + seconds, usegmt=True)
    return [f"{name}={value}; Expires={expires}; Path=/",
            f"{name}CORS={value}; Expires={expires}; Path=/; SameSite=None"]
