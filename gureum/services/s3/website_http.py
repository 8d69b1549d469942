"""S3 website endpoints on the main port (the manifest's host route): a request whose Host is
`<bucket>.s3-website-<region>.amazonaws.com`, `<bucket>.s3-website.<region>.amazonaws.com`
or `<bucket>.s3-website.localhost` (any port) is answered as AWS's website endpoints answer:
anonymous GET and HEAD only, objects readable only where the bucket policy lets anyone
(s3:GetObject for the anonymous principal, evaluated by gureum's policy engine; a public
policy counts for nothing under RestrictPublicBuckets), errors as HTML pages, and
website.py's index documents, error documents and redirects.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import re
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from gureum.aws import arn as arns
from gureum.http.server import Response
from gureum.policy import gate
from gureum.policy.engine import ANONYMOUS, AuthRequest, Decision, PolicySet, decide
from gureum.services.s3 import bodies, bucket_access, model, website
from gureum.services.s3.manifest import MANIFEST

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.http.server import Request

_HOST = re.compile(next(iter(MANIFEST.host_routes)))  # the pattern the manifest routes here
_STATUS_TEXT = {403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed"}


class _Failure(Exception):
    def __init__(self, status: int, code: str, message: str, **fields: str) -> None:
        super().__init__(code)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def error_page(failure: _Failure, request_id: str) -> Response:
    status = failure.status
    title = f"{status} {_STATUS_TEXT.get(status, 'Error')}"
    items = [("Code", failure.code), ("Message", failure.message), *failure.fields.items(),
             ("RequestId", request_id), ("HostId", request_id)]
    lis = "\n".join(f"<li>{html.escape(k)}: {html.escape(v)}</li>" for k, v in items)
    body = f"<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n{lis}\n</ul>\n<hr/>\n</body>\n</html>\n"
    return Response(status, [("content-type", "text/html; charset=utf-8"), ("x-amz-request-id", request_id)],
                    body.encode())


def anyone_may_read(app: App, bucket: dict[str, Any], key: str, source_ip: str) -> bool:
    """Whether the bucket policy lets the anonymous principal s3:GetObject `key`."""
    text = bucket.get("policy")
    if bucket_access.block(bucket, "RestrictPublicBuckets"):
        return False
    policy = gate.parsed(app, text, "resource")
    if policy is None:
        return False
    request = AuthRequest(ANONYMOUS, "s3:GetObject", arns.s3_object(bucket["name"], key),
                          {"aws:SourceIp": source_ip, "aws:SecureTransport": "false"})
    return decide(PolicySet(resource=policy, resource_account=bucket["account"]), request) is Decision.ALLOW


async def _object(app: App, bucket: dict[str, Any], key: str, source_ip: str) -> dict[str, Any]:
    def read(t: Any) -> dict[str, Any] | None:
        obj: dict[str, Any] | None = t.get(model.OBJECTS, f"{bucket['name']}/{key}")
        return obj

    obj = await app.store.read(read)
    if not anyone_may_read(app, bucket, key, source_ip):
        raise _Failure(403, "AccessDenied", "Access Denied")
    if obj is None or obj.get("dm"):
        raise _Failure(404, "NoSuchKey", "The specified key does not exist.", Key=key)
    return obj


def _object_response(app: App, obj: dict[str, Any], status: int, head: bool) -> Response:
    mtime = dt.datetime.fromtimestamp(int(obj["mtime"]), dt.UTC)
    headers = [("content-type", obj.get("ctype") or "binary/octet-stream"), ("etag", obj["etag"]),
               ("last-modified", email.utils.format_datetime(mtime, usegmt=True)),
               ("x-amz-request-id", uuid.uuid4().hex.upper()[:16])]
    for k, v in (obj.get("meta") or {}).items():
        headers.append((f"x-amz-meta-{k}", str(v)))
    if head:
        return Response(status, headers, b"", content_length=obj["size"])
    return Response(status, headers, bodies.read(app, obj.get("blobs") or [], 0, obj["size"]),
                    content_length=obj["size"])


def _redirect(r: website.Redirect) -> Response:
    return Response(r.status, [("location", r.location), ("content-length", "0")], b"")


async def handle(app: App, request: Request) -> Response:
    """Answer one website endpoint request."""
    request_id = uuid.uuid4().hex.upper()[:16]
    m = _HOST.fullmatch(request.host.lower())
    if m is None:  # the manifest routes only matching hosts here
        return error_page(_Failure(404, "NoSuchBucket", "The specified bucket does not exist"), request_id)
    name, host = m.group("bucket"), request.host
    scheme, source_ip = "http", request.client[0]
    try:
        b = await app.store.read(lambda t: t.get(model.BUCKETS, name))
        if b is None:
            raise _Failure(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=name)
        config = b.get("website")
        if not config:
            raise _Failure(404, "NoSuchWebsiteConfiguration",
                           "The specified bucket does not have a website configuration", BucketName=name)
        if request.method not in ("GET", "HEAD"):
            raise _Failure(405, "MethodNotAllowed", "The specified method is not allowed against this resource.",
                           Method=request.method, ResourceType="OBJECT")
        everything = website.redirect_all(config, scheme, request.raw_path +
                                          (f"?{request.query_string}" if request.query_string else ""))
        if everything is not None:
            return _redirect(everything)
        path = unquote(request.raw_path)
        key = website.object_key(config, path)
        early = website.routing_redirect(config, key, None, scheme, host)
        if early is not None:
            return _redirect(early)
        head = request.method == "HEAD"
        try:
            obj = await _object(app, b, key, source_ip)
        except _Failure as failure:
            if failure.status == 404 and not path.endswith("/"):
                folder_index = website.object_key(config, path + "/")
                folder = await app.store.read(lambda t: t.get(model.OBJECTS, f"{name}/{folder_index}"))
                if folder is not None and not folder.get("dm") and anyone_may_read(app, b, folder_index, source_ip):
                    return _redirect(website.Redirect(302, path + "/"))
            late = website.routing_redirect(config, key, failure.status, scheme, host)
            if late is not None:
                return _redirect(late)
            error_key = (config.get("ErrorDocument") or {}).get("Key")
            if error_key:
                try:
                    doc = await _object(app, b, error_key, source_ip)
                except _Failure:
                    pass
                else:
                    return _object_response(app, doc, failure.status, head)
            raise
        if (obj.get("hdrs") or {}).get("WebsiteRedirectLocation"):
            return _redirect(website.Redirect(301, obj["hdrs"]["WebsiteRedirectLocation"]))
        return _object_response(app, obj, 200, head)
    except _Failure as failure:
        return error_page(failure, request_id)
