"""Stage caching on the data plane: a method's answers kept in its stage's cache (cache_lru.py)
and served from it until their TTL ends.

Which methods: only while the stage's cache cluster is AVAILABLE (cache_cluster.py); a method
caches when its own method setting ("<escaped path>/<METHOD>") says `cachingEnabled`, or, with
none, when it is a GET and the stage-wide "*/*" setting says so (AWS: stage caching applies to
GET methods only, others need an override of their own); a TTL of 0 caches nothing. Entries live `cacheTtlInSeconds` (default 300). Whatever the integration answered is
kept, whatever its status (AWS caches a backend's 4XX/5XX too); API Gateway's own refusals
(authorization, throttling, integration failures) never reach the cache.

The cache key: the method's cacheNamespace (its resource id by default), the HTTP method,
and the values of the integration's `cacheKeyParameters` (method.request.path/querystring/
header/multivaluequerystring names); parameters not named there do not tell entries apart,
as on AWS.

A client's `Cache-Control: max-age=0` asks for a fresh answer: allowed when the method does
not `requireAuthorizationForCacheControl` or the request is signed (SigV4, "execute-api") by
a caller allowed execute-api:InvalidateCache on the method ARN; otherwise the method's
`unauthorizedCacheControlHeaderStrategy` decides: FAIL_WITH_403 (AWS's 403), or the request
served as if the header were absent, with a Warning header (SUCCEED_WITH_RESPONSE_HEADER,
the default) or without.

Each node keeps its own caches (per API and stage, sized by the cluster's size), dropped when
the stage's cluster changes and on FlushStageCache's event (cache_cluster.CACHE_TOPIC, from any
node). Nothing is kept before this node follows other nodes' flushes (directory.py `Following`:
the caches are made on a node's first cached request, and a flush another node commits before
the follower's start would be missed), nor an answer read while a flush came in. CacheHitCount and CacheMissCount go to AWS/ApiGateway per ApiName and per ApiName and Stage.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.auth import authenticate
from gureum.aws.dispatch import RequestContext
from gureum.aws.errors import AwsError
from gureum.aws.routing import credential_scope
from gureum.http.server import Response
from gureum.policy.gate import check
from gureum.services.apigateway import cache_cluster
from gureum.services.apigateway.cache_lru import Entry, Lru
from gureum.services.apigateway.directory import follow
from gureum.services.apigateway.integrations import Failure
from gureum.services.cloudwatch import port as cloudwatch

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.http.server import Request
    from gureum.services.apigateway import proxy
    from gureum.services.apigateway.directory import Served
    from gureum.services.apigateway.router import Match
    from gureum.store import Event

Doc = dict[str, Any]
DEFAULT_TTL = 300
IGNORED = '199 - "Cache-control headers were ignored because the caller was unauthorized."'
UNAUTHORIZED = (403, "AccessDeniedException", "Unauthorized")


class StageCaches:
    """This node's caches, one per (API, stage) and cluster."""

    def __init__(self, app: App) -> None:
        self._caches: dict[tuple[str, str], tuple[float, Lru]] = {}
        self.generation = 0  # bumped by every flush: an answer read before one is not kept
        self.following = follow(app, cache_cluster.CACHE_TOPIC, self._on_flush)

    def keeps(self) -> bool:
        """Whether an answer read from now on may be kept: only once other nodes' flushes reach
        this node (before, a flush committed meanwhile would never empty the cache)."""
        return self.following.ready

    def _on_flush(self, event: Event) -> None:
        self.generation += 1
        api, stage = event.data.get("api"), event.data.get("stage")
        for key in [k for k in self._caches if k[0] == api and stage in (None, k[1])]:
            self._caches[key][1].clear()

    def lru(self, api_id: str, stage: Doc) -> Lru:
        """The stage's cache for its current cluster (a new cluster starts empty)."""
        cluster = stage.get("cacheCluster") or {}
        since = float(cluster.get("since") or 0.0)
        key = (api_id, str(stage["stageName"]))
        found = self._caches.get(key)
        if found is None or found[0] != since:
            found = self._caches[key] = (since, Lru(cache_cluster.size_bytes(str(stage.get("cacheClusterSize")
                                                                                 or cache_cluster.DEFAULT_SIZE))))
        return found[1]


def method_setting(stage: Doc, resource_path: str, verb: str) -> tuple[bool, Doc]:
    """Whether the method caches, and its caching settings: its own method setting's, else
    (GET only: the stage-wide setting caches no other method) the stage's "*/*"."""
    settings = stage.get("methodSettings") or {}
    escaped = resource_path.replace("~", "~0").replace("/", "~1")
    own = settings.get(f"{escaped}/{verb}")
    if own is not None:
        return bool(own.get("cachingEnabled")), own
    stage_wide = settings.get("*/*") or {}
    return verb == "GET" and bool(stage_wide.get("cachingEnabled")), stage_wide


def cache_key(method: Doc, call: proxy.Call) -> str:
    """The entry's key: namespace, method and the integration's cacheKeyParameters' values."""
    integration = method.get("methodIntegration") or {}
    namespace = str(integration.get("cacheNamespace") or call.resource_id)
    parts = [namespace, call.http_method]
    headers = {k.lower(): v for k, v in call.headers}
    for name in sorted(integration.get("cacheKeyParameters") or []):
        where, _, key = name.removeprefix("method.request.").partition(".")
        if where == "path":
            value: Any = call.path_parameters.get(key)
        elif where == "querystring":
            value = next((v for k, v in reversed(call.query) if k == key), None)
        elif where == "multivaluequerystring":
            value = [v for k, v in call.query if k == key]
        elif where in ("header", "multivalueheader"):
            value = headers.get(key.lower())
        else:
            value = None
        parts.append(f"{name}={value!r}")
    return "\n".join(parts)


async def _may_invalidate(app: App, request: Request, call: proxy.Call, method_arn: str) -> bool:
    scope = credential_scope(request)
    if scope is None or scope.service != "execute-api":
        return False
    try:
        identity = await authenticate(app, request, scope, None, call.body)
        ctx = RequestContext(app=app, service="apigateway", operation="InvalidateCache", account_id=identity.account_id,
                             region=call.region, request_id=call.request_id, access_key_id=identity.access_key_id,
                             principal_arn=identity.arn, request=request)
        await check(ctx, "execute-api:InvalidateCache", [method_arn], strict=app.config.auth == "strict")
    except AwsError:
        return False
    return True


def _metric(app: App, served: Served, call: proxy.Call, name: str) -> None:
    api_name = str(served.api.get("name", ""))
    for dims in ({"ApiName": api_name}, {"ApiName": api_name, "Stage": call.stage}):
        cloudwatch.emit(app, call.account, call.region, "AWS/ApiGateway", name, dims, 1.0, "Count")


async def serve(app: App, caches: StageCaches, served: Served, match: Match, call: proxy.Call, request: Request,
                run: Callable[[], Awaitable[Response]]) -> Response:
    """`run()`'s answer (the integration), or the stage cache's."""
    now = time.time()
    stage = served.stage
    verb = str(match.method["httpMethod"])
    if not cache_cluster.available(stage, now):
        return await run()
    enabled, setting = method_setting(stage, match.resource["path"], verb)
    ttl = int(setting.get("cacheTtlInSeconds", DEFAULT_TTL))
    if not enabled or ttl <= 0:
        return await run()
    lru = caches.lru(call.api_id, stage)
    key = cache_key(match.method, call)
    extra: list[tuple[str, str]] = []
    fresh = any(k.lower() == "cache-control" and "max-age=0" in v.replace(" ", "").lower() for k, v in call.headers)
    if fresh and setting.get("requireAuthorizationForCacheControl", True):
        method_arn = arns.execute_api_method(call.region, call.account, call.api_id, call.stage, verb,
                                             match.resource["path"])
        if not await _may_invalidate(app, request, call, method_arn):
            strategy = setting.get("unauthorizedCacheControlHeaderStrategy", "SUCCEED_WITH_RESPONSE_HEADER")
            if strategy == "FAIL_WITH_403":
                raise Failure(*UNAUTHORIZED, response_type="UNAUTHORIZED")
            if strategy == "SUCCEED_WITH_RESPONSE_HEADER":
                extra.append(("Warning", IGNORED))
            fresh = False
    if fresh:
        lru.drop(key)
    else:
        hit = lru.get(key, now)
        if hit is not None:
            _metric(app, served, call, "CacheHitCount")
            return Response(hit.status, [*hit.headers, *extra], hit.body)
    _metric(app, served, call, "CacheMissCount")
    keep, generation = caches.keeps(), caches.generation
    response = await run()
    if keep and generation == caches.generation and isinstance(response.body, bytes):
        lru.put(key, Entry(response.status, tuple(response.headers), response.body, time.time() + ttl))
    response.headers += extra
    return response
