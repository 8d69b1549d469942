"""S3 CORS evaluated (the bucket's CORSRules, api.py's PutBucketCors): preflight requests
(OPTIONS on the main port, the manifest's method route) are answered from the rules, and
actual requests that carry an Origin get the Access-Control-* headers of the first rule that
allows their origin and method (S3Hooks.answered, through bucket_cache.py).

Matching, as S3 does: the first rule (in order) whose AllowedOrigins matches the Origin (an
entry may hold one "*" wildcard; "*" alone matches any), whose AllowedMethods holds the
method (Access-Control-Request-Method on a preflight), and, on a preflight, whose
AllowedHeaders match every header in Access-Control-Request-Headers (case-insensitive, one
"*" wildcard per entry). A preflight without Origin or Access-Control-Request-Method is 400;
on a bucket without CORS, or when no rule matches, 403 AccessForbidden.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from gureum.aws.protocols import xml
from gureum.http.server import Response
from gureum.services.s3 import bucket_cache, model
from gureum.services.s3.addressing import split_path

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.http.server import Request

_NOT_ENABLED = "CORSResponse: CORS is not enabled for this bucket."
_NOT_ALLOWED = ("CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, "
                "request method / Access-Control-Request-Method or Access-Control-Request-Headers are not "
                "whitelisted by the resource's CORS spec.")
VARY = ("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")


def _wildcard(pattern: str, value: str, *, fold: bool) -> bool:
    if pattern == "*":
        return True
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, value, re.IGNORECASE if fold else 0) is not None


def match(rules: list[dict[str, Any]], origin: str, method: str,
          request_headers: list[str] | None = None) -> dict[str, Any] | None:
    """The first rule that allows `origin` to use `method` (and send `request_headers`)."""
    for rule in rules:
        if not any(_wildcard(o, origin, fold=False) for o in rule.get("AllowedOrigins") or []):
            continue
        if method not in (rule.get("AllowedMethods") or []):
            continue
        allowed = rule.get("AllowedHeaders") or []
        if request_headers and not all(any(_wildcard(a, h, fold=True) for a in allowed) for h in request_headers):
            continue
        return rule
    return None


def allow_headers(rule: dict[str, Any], origin: str) -> list[tuple[str, str]]:
    """The Access-Control-* headers a matched rule gives an answer."""
    star = "*" in (rule.get("AllowedOrigins") or [])
    out = [("Access-Control-Allow-Origin", "*" if star else origin),
           ("Access-Control-Allow-Methods", ", ".join(rule.get("AllowedMethods") or []))]
    if not star:
        out.append(("Access-Control-Allow-Credentials", "true"))
    if rule.get("ExposeHeaders"):
        out.append(("Access-Control-Expose-Headers", ", ".join(rule["ExposeHeaders"])))
    if rule.get("MaxAgeSeconds") is not None:
        out.append(("Access-Control-Max-Age", str(rule["MaxAgeSeconds"])))
    out.append(VARY)
    return out


def _error(status: int, code: str, message: str, request_id: str, **fields: str) -> Response:
    extra = "".join(f"<{k}>{xml.escape(v)}</{k}>" for k, v in fields.items())
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{xml.escape(message)}</Message>'
            f"{extra}<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>")
    return Response(status, [("content-type", "application/xml"), ("x-amz-request-id", request_id)], body.encode())


async def preflight(app: App, request: Request) -> Response:
    """Answer an OPTIONS request (a browser's CORS preflight) from the bucket's CORS rules."""
    request_id = uuid.uuid4().hex.upper()[:16]
    name, key = split_path(request) or ("", "")
    origin = request.headers.get("origin")
    method = request.headers.get("access-control-request-method")
    if not origin:
        return _error(400, "BadRequest", "Insufficient information. Origin request header needed.", request_id)
    if not method:
        return _error(400, "BadRequest", "Invalid Access-Control-Request-Method: null", request_id)
    bucket = await app.store.read(lambda t: t.get(model.BUCKETS, name)) if name else None
    if bucket is None:
        return _error(404, "NoSuchBucket", "The specified bucket does not exist", request_id, BucketName=name or "")
    resource = "OBJECT" if key else "BUCKET"
    if not bucket.get("cors"):
        return _error(403, "AccessForbidden", _NOT_ENABLED, request_id, Method=method, ResourceType=resource)
    wanted = [h.strip() for h in (request.headers.get("access-control-request-headers") or "").split(",") if h.strip()]
    rule = match(bucket["cors"], origin, method, wanted)
    if rule is None:
        return _error(403, "AccessForbidden", _NOT_ALLOWED, request_id, Method=method, ResourceType=resource)
    headers = allow_headers(rule, origin)
    if wanted:
        headers.append(("Access-Control-Allow-Headers", ", ".join(h.lower() for h in wanted)))
    headers += [("x-amz-request-id", request_id), ("content-length", "0")]
    return Response(200, headers, b"")


async def on_answer(app: App, request: Request, bucket_name: str, response: Response) -> None:
    """Add the matching rule's Access-Control-* headers to an answer to a request with an Origin."""
    origin = request.headers.get("origin")
    if not origin:
        return
    bucket = await bucket_cache.bucket(app, bucket_name)
    rules = (bucket or {}).get("cors")
    if not rules:
        return
    rule = match(rules, origin, request.method)
    if rule is not None:
        response.headers.extend(allow_headers(rule, origin))
