"""alb.py's decisions around the authenticate actions, without a gureum: a rule without one is
decided synchronously as before (no Authenticate step, even for /oauth2/idpresponse on a listener
without any); a rule with one (and the IdP's callback on such a listener) is an Authenticate
decision, whose gate answers or hands the x-amzn-oidc-* headers that replace the client's, and
`proceed` then gives the rule's terminal action."""

from __future__ import annotations

import asyncio

from gureum.services.elbv2 import routing
from gureum.services.elbv2.alb import AlbHandler, Answer, Authenticate, Incoming
from gureum.services.elbv2.meter import Meter
from gureum.services.elbv2.snapshot import ListenerView, Snapshot
from gureum.services.elbv2.upstream import Pool

Doc = dict[str, object]
KEY = ("127.0.0.9", 443)
OIDC = {"Type": "authenticate-oidc", "AuthenticateOidcConfig": {
    "Issuer": "https://idp.example", "AuthorizationEndpoint": "https://idp.example/a", "TokenEndpoint": "https://idp.example/t",
    "UserInfoEndpoint": "https://idp.example/u", "ClientId": "c", "OnUnauthenticatedRequest": "authenticate",
    "Scope": "openid", "SessionCookieName": "AWSELBAuthSessionCookie", "SessionTimeout": 604800}}


def _fixed(body: str) -> Doc:
    return {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "MessageBody": body}}


def _handler(rules: list[Doc]) -> AlbHandler:
    snap = Snapshot()
    snap.listeners[KEY] = ListenerView("111122223333/us-east-1/lb", "arn:aws:elasticloadbalancing:us-east-1:111122223333:"
                                       "loadbalancer/app/lb/1", "application", KEY[0], KEY[1], "HTTPS", rules, {})

    async def never_invoked(_function: str, _payload: bytes) -> tuple[bytes, str | None]:
        raise AssertionError("no Lambda target here")
    return AlbHandler(KEY, lambda: snap, Pool(), routing.RoundRobin(), Meter(), never_invoked, lambda *_: None)


def _req(path: str, headers: list[tuple[str, str]] | None = None) -> Incoming:
    return Incoming("GET", path, "", [("host", "app.example"), *(headers or [])], ("127.0.0.1", 5000), False, 0)


def test_rules_without_authenticate_actions_stay_synchronous() -> None:
    handler = _handler([{"id": "d", "Priority": "default", "RuleArn": "r0", "Conditions": [], "Actions": [_fixed("open")]}])

    async def gate(*_: object) -> Answer | list[tuple[str, str]]:
        raise AssertionError("not called for a listener without authenticate actions")
    handler.gate = gate
    for path in ("/", "/oauth2/idpresponse"):
        plan = handler.decide(_req(path)).plan
        assert isinstance(plan, Answer) and plan.body == b"open"


def test_an_authenticate_rule_awaits_the_gate_then_its_terminal_action() -> None:
    handler = _handler([
        {"id": "o", "Priority": "1", "RuleArn": "r1", "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/open"]}}],
         "Actions": [_fixed("open")]},
        {"id": "d", "Priority": "default", "RuleArn": "r0", "Conditions": [], "Actions": [OIDC, _fixed("private")]}])
    seen: list[tuple[str, str]] = []

    async def gate(req: Incoming, view: ListenerView, rule: Doc) -> Answer | list[tuple[str, str]]:
        seen.append((req.raw_path, str(rule["RuleArn"])))
        if req.raw_path == "/deny":
            return Answer(401, [], b"no")
        return [("x-amzn-oidc-identity", "ana")]
    handler.gate = gate

    open_plan = handler.decide(_req("/open")).plan
    assert isinstance(open_plan, Answer) and open_plan.body == b"open"  # its own rule: no gate
    req = _req("/private", [("x-amzn-oidc-identity", "mallory"), ("x-amzn-oidc-data", "forged")])
    decision = handler.decide(req)
    assert isinstance(decision.plan, Authenticate)
    assert asyncio.run(handler.authenticate(req, decision.plan)) is None
    assert [h for h in req.headers if h[0].startswith("x-amzn-oidc")] == [("x-amzn-oidc-identity", "ana")]
    after = handler.proceed(req, decision.plan, decision.trail).plan
    assert isinstance(after, Answer) and after.body == b"private"

    denied = handler.decide(_req("/deny")).plan
    assert isinstance(denied, Authenticate)
    answer = asyncio.run(handler.authenticate(_req("/deny"), denied))
    assert answer is not None and answer.status == 401
    callback = handler.decide(_req("/oauth2/idpresponse")).plan
    assert isinstance(callback, Authenticate)
    assert seen == [("/private", "r0"), ("/deny", "r0")]
