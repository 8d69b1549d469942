"""Who may call a deployed method, and how often: Lambda authorizers (TOKEN and REQUEST),
Cognito user pool authorizers (cognito_auth.py's checks; the header's token bare or after "Bearer "),
API keys with usage plans (throttling by token bucket, quotas per day/week/month, usage
counted for GetUsage) and stage throttling from method settings.

Authorizers: the function gets AWS's TOKEN event ({"type", "authorizationToken",
"methodArn"}) or REQUEST event (the proxy event with "type" and "methodArn"); its answer's
policyDocument is evaluated by gureum's policy engine for execute-api:Invoke on the method
ARN; results are cached per authorizer and identity (the token, or the identity source
values) for authorizerResultTtlInSeconds, as AWS caches them, and evaluated against each
method ARN. principalId, the context map and integrationLatency reach the integration as
requestContext.authorizer. Without authorizerCredentials the function's policy must let
apigateway.amazonaws.com invoke it for `<api>/authorizers/<id>`.

Counting: the per-request path stays in memory. Quotas are counted across nodes: usage is
added to the store in batches (keys.add_usage) every second and before GetUsage reads it, and
each flush reads back the period's total of every key the node serves (UsageCounter: exact
to within about two flush intervals of the other nodes' traffic); throttles' token buckets
share what they gave out through the same flush (throttle_share.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.policy.engine import AuthRequest, Decision, PolicyError, Principal, parse_policy, statement_decision
from gureum.services.apigateway import cognito_auth, keys, lambda_invoke, proxy
from gureum.services.apigateway.directory import follow
from gureum.services.apigateway.integrations import Failure
from gureum.services.apigateway.slots import USAGE
from gureum.services.apigateway.throttle_share import ThrottleShare

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.apigateway.directory import Served
    from gureum.store import Event, Txn

Doc = dict[str, Any]

UNAUTHORIZED = (401, "UnauthorizedException", "Unauthorized")
AUTHORIZER_CONFIG = (500, "AuthorizerConfigurationException", "")
FORBIDDEN = (403, "ForbiddenException", "Forbidden")
THROTTLED = (429, "TooManyRequestsException", "Too Many Requests")
QUOTA = (429, "LimitExceededException", "Limit Exceeded")
DENY = "User is not authorized to access this resource with an explicit deny"
NO_ALLOW = "User is not authorized to access this resource"
_CALLER = Principal(arn="*", account="", kind="anonymous")


class Bucket:
    """A token bucket: `rate` tokens a second up to `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class _Cached:
    policy: Doc
    principal: str
    context: Doc
    usage_key: str | None
    until: float


class UsageCounter:
    """Requests per (account, region, plan, key, UTC day), written to the store in batches, and
    the quota's use per (account, region, plan, key, period start) across every node.

    Each flush (every second, and before GetUsage reads) adds this node's counts to the shared
    per-key-per-day rows and, in the same transaction, reads back the period's total for every
    key this node served lately (`watched`): that total (`base`) includes every node's flushed
    counts, and `since` holds what this node counted after the flush took its batch. A quota
    decision is `base + since`, so it misses only what the other nodes counted and have not yet
    flushed, or flushed after this node's last read: at most about two flush intervals (2 s) of
    their traffic for that key — the bound on how far a cluster can overshoot a quota."""

    WATCH_FOR = 300.0  # seconds a key stays watched after its last request

    def __init__(self, app: App) -> None:
        self.app = app
        self.pending: dict[tuple[str, str, str, str, str], int] = {}
        self.base: dict[tuple[str, str, str, str, str], int] = {}  # period start -> used, all nodes (the store)
        self.since: dict[tuple[str, str, str, str, str], int] = {}  # counted here after `base` was read
        self.watched: dict[tuple[str, str, str, str, str], tuple[Doc, float]] = {}  # -> (plan, last use)
        self.share: ThrottleShare | None = None  # the node's shared throttle counts, synced with each flush
        self._lock = asyncio.Lock()
        app.every(1.0, self.flush, name="apigateway-usage", jitter=0.0)

    def count(self, account: str, region: str, plan_id: str, key_id: str, period: str) -> None:
        day = dt.datetime.now(dt.UTC).date().isoformat()
        k = (account, region, plan_id, key_id, day)
        self.pending[k] = self.pending.get(k, 0) + 1
        pk = (account, region, plan_id, key_id, period)
        self.since[pk] = self.since.get(pk, 0) + 1

    async def used(self, account: str, region: str, plan: Doc, key_id: str) -> int:
        today = dt.datetime.now(dt.UTC).date()
        period = keys.period_start(plan.get("quota") or {}, today).isoformat()
        pk = (account, region, plan["id"], key_id, period)
        self.watched[pk] = (plan, time.monotonic())
        if pk not in self.base:
            await self.flush()  # reads this key's total from the store
        return self.base.get(pk, 0) + self.since.get(pk, 0)

    async def flush(self) -> None:
        async with self._lock:
            today = dt.datetime.now(dt.UTC).date()
            stale = time.monotonic() - self.WATCH_FOR
            for pk, (plan, last) in list(self.watched.items()):
                if last < stale or keys.period_start(plan.get("quota") or {}, today).isoformat() != pk[4]:
                    del self.watched[pk]
                    self.base.pop(pk, None)
                    self.since.pop(pk, None)
            if self.share is not None:
                await self.share.sync()
            if not self.pending and not self.watched:
                return
            counts, self.pending = self.pending, {}
            taken = dict(self.since)  # what `since` held when the batch was taken: in the store after the write
            watched = {pk: plan for pk, (plan, _) in self.watched.items()}

            def step(t: Txn) -> dict[tuple[str, str, str, str, str], int]:
                if counts:
                    keys.add_usage(t, counts)
                return {pk: keys.used_in_period(t, pk[0], pk[1], plan, pk[3], today) for pk, plan in watched.items()}

            totals = await self.app.store.run(step)
            for pk, total in totals.items():
                self.base[pk] = total
                self.since[pk] = self.since.get(pk, 0) - taken.get(pk, 0)


class Access:
    """This node's authorizer cache, token buckets and key lookups."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.cache: dict[tuple[str, str, str], _Cached] = {}
        self.buckets: dict[tuple[str, ...], Bucket] = {}
        self.keys: dict[tuple[str, str, str], Doc | None] = {}
        self.plans: dict[tuple[str, str, str, str, str], Doc | None] = {}
        self._keys_generation = 0  # bumped by every key or plan change: a read begun before one is not kept
        self._keys_follow = follow(app, keys.TOPIC, self._keys_changed)
        self.usage = app.parts.lazy(USAGE, lambda: UsageCounter(app))
        self.shared = ThrottleShare(app, self.buckets)  # throttles counted across nodes
        self.usage.share = self.shared

    def _keys_changed(self, event: Event) -> None:
        self._keys_generation += 1
        self.keys.clear()
        self.plans.clear()

    async def _read_kept(self, cache: dict[Any, Any], k: Any, read: Callable[[Txn], Any]) -> Any:
        """`cache[k]`, read from the store when absent and kept only when no change came
        between the read and now (and other nodes' changes already reach this node)."""
        if k in cache:
            return cache[k]
        generation, ready = self._keys_generation, self._keys_follow.ready
        found = await self.app.store.read(read)
        if generation == self._keys_generation and ready:
            cache[k] = found
        return found

    def flush_authorizer_cache(self, api_id: str) -> None:
        for k in [k for k in self.cache if k[0] == api_id]:
            del self.cache[k]

    # --- authorizers ----------------------------------------------------------------------

    async def authorize(self, served: Served, method: Doc, call: proxy.Call, method_arn: str) -> Doc:
        auth = (served.deployment["snapshot"].get("authorizers") or {}).get(method.get("authorizerId"))
        if auth is None:
            raise Failure(*AUTHORIZER_CONFIG, response_type="AUTHORIZER_CONFIGURATION_ERROR")
        identity, event = self._identity(auth, call, method_arn)
        ttl = int(auth.get("authorizerResultTtlInSeconds", 300))
        key = (call.api_id, auth["id"], identity)
        cached = self.cache.get(key)
        started = time.monotonic()
        if cached is None or cached.until < time.time():
            cached = await self._invoke(auth, call, event, ttl)
            if ttl > 0 and identity:
                if len(self.cache) > 10000:
                    self.cache.clear()
                self.cache[key] = cached
        decision = _evaluate(cached.policy, method_arn)
        if decision is Decision.DENY:
            raise Failure(403, "AccessDeniedException", DENY, response_type="ACCESS_DENIED", message_key="Message")
        if decision is not Decision.ALLOW:
            raise Failure(403, "AccessDeniedException", NO_ALLOW, response_type="ACCESS_DENIED", message_key="Message")
        out: Doc = {**cached.context, "principalId": cached.principal,
                    "integrationLatency": int((time.monotonic() - started) * 1000)}
        if cached.usage_key:
            out["usageIdentifierKey"] = cached.usage_key
        return out

    async def test_invoke(self, auth: Doc, call: proxy.Call, method_arn: str) -> tuple[str, Doc, Doc]:
        """TestInvokeAuthorizer's run of a Lambda authorizer (never cached): (principalId,
        policyDocument, context); Failure as a request would meet it."""
        _, event = self._identity(auth, call, method_arn)
        found = await self._invoke(auth, call, event, 0)
        return found.principal, found.policy, found.context

    def _identity(self, auth: Doc, call: proxy.Call, method_arn: str) -> tuple[str, Doc]:
        if auth["type"] == "TOKEN":
            header = str(auth.get("identitySource", "")).rsplit(".", 1)[-1].lower()
            token = next((v for k, v in call.headers if k.lower() == header), None)
            if not token:
                raise Failure(*UNAUTHORIZED, response_type="UNAUTHORIZED")
            expr = auth.get("identityValidationExpression")
            if expr and not re.fullmatch(expr, token):
                raise Failure(*UNAUTHORIZED, response_type="UNAUTHORIZED")
            return token, {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
        values = []
        for source in [s.strip() for s in str(auth.get("identitySource") or "").split(",") if s.strip()]:
            value = _source_value(source, call)
            if not value:
                raise Failure(*UNAUTHORIZED, response_type="UNAUTHORIZED")
            values.append(value)
        event = {"type": "REQUEST", "methodArn": method_arn, **{k: v for k, v in proxy.event(call).items()
                                                                 if k not in ("body", "isBase64Encoded")}}
        return "\x00".join(values), event

    async def _invoke(self, auth: Doc, call: proxy.Call, event: Doc, ttl: int) -> _Cached:
        fn = lambda_invoke.function_arn(str(auth.get("authorizerUri") or ""), call.stage_variables)
        config_error = Failure(*AUTHORIZER_CONFIG, response_type="AUTHORIZER_CONFIGURATION_ERROR")
        if fn is None:
            raise config_error
        if not auth.get("authorizerCredentials"):
            source = arns.build("execute-api", call.region, call.account, f"{call.api_id}/authorizers/{auth['id']}")
            if not await lambda_invoke.may_invoke(self.app, fn, source, call.account):
                raise config_error
        try:
            payload, error = await lambda_invoke.invoke(self.app, fn, json.dumps(event).encode())
        except AwsError:
            raise config_error from None
        try:
            doc = json.loads(payload)
        except ValueError:
            raise config_error from None
        if error is not None:
            if isinstance(doc, dict) and doc.get("errorMessage") == "Unauthorized":
                raise Failure(*UNAUTHORIZED, response_type="UNAUTHORIZED")
            raise config_error
        if not isinstance(doc, dict) or "principalId" not in doc or not isinstance(doc.get("policyDocument"), dict):
            raise config_error
        context = doc.get("context") or {}
        if not isinstance(context, dict) or any(isinstance(v, (dict, list)) for v in context.values()):
            raise config_error  # AWS: context values must be strings, numbers or booleans
        return _Cached(doc["policyDocument"], str(doc["principalId"]), context,
                       str(doc["usageIdentifierKey"]) if doc.get("usageIdentifierKey") else None, time.time() + ttl)

    async def authorize_cognito(self, served: Served, method: Doc, call: proxy.Call) -> Doc:
        """requestContext.authorizer of a COGNITO_USER_POOLS method: {"claims": ...} of the
        identity source header's token (cognito_auth.py), AWS's 401 without a valid one."""
        auth = (served.deployment["snapshot"].get("authorizers") or {}).get(method.get("authorizerId"))
        if auth is None or auth.get("type") != "COGNITO_USER_POOLS":
            raise Failure(*AUTHORIZER_CONFIG, response_type="AUTHORIZER_CONFIGURATION_ERROR")
        header = str(auth.get("identitySource", "")).rsplit(".", 1)[-1].lower()
        token = next((v for k, v in call.headers if k.lower() == header), None)
        if not token:
            raise Failure(*UNAUTHORIZED, response_type="UNAUTHORIZED")
        if token[:7].lower() == "bearer ":  # the OAuth form API Gateway accepts too
            token = token[7:].strip()
        provider_arns = list(auth.get("providerARNs") or [])
        scopes = list(method.get("authorizationScopes") or []) or None
        now = time.time()
        claims = await self.app.store.read(
            lambda t: cognito_auth.claims_of(t, self.app, provider_arns, token, scopes, now))
        if claims is None:
            raise Failure(*UNAUTHORIZED, response_type="UNAUTHORIZED")
        return {"claims": claims}

    # --- API keys, usage plans, throttling ------------------------------------------------

    async def check_key(self, served: Served, call: proxy.Call, value: str | None) -> tuple[Doc, Doc]:
        """(key, plan) for a method that requires an API key; Forbidden without a valid one."""
        forbidden = Failure(*FORBIDDEN, response_type="INVALID_API_KEY")
        if not value:
            raise forbidden
        key = await self._read_kept(self.keys, (call.account, call.region, value),
                                    lambda t: keys.key_by_value(t, call.account, call.region, value))
        if key is None or not key.get("enabled"):
            raise forbidden
        plan = await self._read_kept(self.plans, (call.account, call.region, key["id"], call.api_id, call.stage),
                                     lambda t: keys.plans_for(t, call.account, call.region, key["id"], call.api_id, call.stage))
        if plan is None:
            raise forbidden
        call.api_key, call.api_key_id = value, key["id"]
        return key, plan

    async def meter(self, plan: Doc, key: Doc, call: proxy.Call, method_key: str) -> None:
        """Throttle (the plan's, or its API stage's per method) and count against the quota."""
        stage: Doc = next((s for s in plan.get("apiStages") or [] if (s["apiId"], s["stage"]) == (call.api_id, call.stage)), {})
        throttle = (stage.get("throttle") or {}).get(method_key) or plan.get("throttle")
        if throttle and not self._take(("plan", plan["id"], key["id"], method_key), throttle):
            raise Failure(*THROTTLED, response_type="THROTTLED")
        quota = plan.get("quota")
        if quota:
            used = await self.usage.used(call.account, call.region, plan, key["id"])
            if used >= int(quota.get("limit", 0)):
                raise Failure(*QUOTA, response_type="QUOTA_EXCEEDED")
        period = keys.period_start(quota or {}, dt.datetime.now(dt.UTC).date()).isoformat()
        self.usage.count(call.account, call.region, plan["id"], key["id"], period)

    def stage_throttle(self, served: Served, call: proxy.Call, resource_path: str, verb: str) -> None:
        """The stage's method settings' throttling (the method's own, else */*)."""
        settings = served.stage.get("methodSettings") or {}
        escaped = resource_path.replace("~", "~0").replace("/", "~1")
        method_key = f"{resource_path}/{verb}"
        chosen = settings.get(f"{escaped}/{verb}") or settings.get("*/*")
        if chosen and ("throttlingRateLimit" in chosen or "throttlingBurstLimit" in chosen):
            limits = {"rateLimit": chosen.get("throttlingRateLimit", 10000.0), "burstLimit": chosen.get("throttlingBurstLimit", 5000)}
            if not self._take(("stage", call.api_id, call.stage, method_key), limits):
                raise Failure(*THROTTLED, response_type="THROTTLED")

    def _take(self, key: tuple[str, ...], limits: Doc) -> bool:
        rate, burst = float(limits.get("rateLimit", 0.0)), int(limits.get("burstLimit", 0))
        bucket = self.buckets.get(key)
        if bucket is None or bucket.rate != rate or bucket.burst != burst:
            bucket = self.buckets[key] = Bucket(rate, burst)
        if bucket.take():
            self.shared.took(key)
            return True
        return False


def _source_value(source: str, call: proxy.Call) -> str | None:
    parts = source.split(".", 3)
    if source.startswith("stageVariables."):
        return call.stage_variables.get(source.split(".", 1)[1])
    if source.startswith("context."):
        value: Any = proxy.request_context(call)
        for key in source.split(".")[1:]:
            value = value.get(key) if isinstance(value, dict) else None
        return None if value is None else str(value)
    if len(parts) == 4 and parts[:2] == ["method", "request"]:
        name = parts[3]
        if parts[2] in ("header", "multivalueheader"):
            found = [v for k, v in call.headers if k.lower() == name.lower()]
        else:
            found = [v for k, v in call.query if k == name]
        return ",".join(found) if found else None
    return None


def _evaluate(policy: Doc, method_arn: str) -> Decision:
    try:
        parsed = parse_policy(policy, kind="identity")
    except PolicyError:
        return Decision.NONE
    return statement_decision(parsed, AuthRequest(_CALLER, "execute-api:Invoke", method_arn))
