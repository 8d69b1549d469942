"""The OCI Distribution v1.1 HTTP API under /v2/ (plus Docker's /v2/_catalog): a thin
adapter from requests to the registry engine. Registered in EDGE_ROUTES.

Which account and region a request acts in: a valid `Basic AWS:<token>` from
GetAuthorizationToken says so; otherwise a Host of the ECR form
`<account>.dkr.ecr.<region>.<anything>`; otherwise the node's default account and region.
With `--auth strict` a valid token is required (401 with WWW-Authenticate otherwise).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING
from urllib.parse import quote

from gureum.http.server import FileBody, Request, Response
from gureum.public import public_url
from gureum.services.ecr import auth, model, oci, upstream
from gureum.services.ecr.engine import RangeMismatch, Registry, Scope, registry_of
from gureum.services.ecr.settings import EcrSettings

if TYPE_CHECKING:
    from gureum.app import App

API_VERSION = ("Docker-Distribution-Api-Version", "registry/2.0")
_HOST_RE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.")

_ROUTES = [
    ("tags", re.compile(r"^/v2/(?P<name>.+)/tags/list$")),
    ("manifest", re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)$")),
    ("uploads", re.compile(r"^/v2/(?P<name>.+)/blobs/uploads/?$")),
    ("upload", re.compile(r"^/v2/(?P<name>.+)/blobs/uploads/(?P<id>[^/]+)$")),
    ("blob", re.compile(r"^/v2/(?P<name>.+)/blobs/(?P<digest>[^/]+)$")),
    ("referrers", re.compile(r"^/v2/(?P<name>.+)/referrers/(?P<digest>[^/]+)$")),
]


async def handle(app: App, request: Request) -> Response:
    reg = registry_of(app)
    try:
        scope = await authenticate(app, reg, request)
        resp = await route(reg, scope, request)
    except oci.RegistryError as e:
        resp = error_response(e)
        if e.status == 401:
            resp.headers.append(("WWW-Authenticate", _challenge(app, request)))
    except model.EcrError as e:
        resp = error_response(oci.RegistryError(e.oci_code, e.message, e.oci_status, e.detail))
    except ConnectionError:
        # The client went away mid-body: a chunked upload keeps what arrived (resumable).
        resp = error_response(oci.blob_upload_invalid("the client disconnected during the upload"))
    resp.headers.append(API_VERSION)
    return resp


def error_response(e: oci.RegistryError) -> Response:
    return Response(e.status, [("Content-Type", "application/json"), *e.headers], e.body())


def _challenge(app: App, request: Request) -> str:
    return f'Basic realm="{public_url(app, request, "/")}",service="ecr.amazonaws.com"'


def default_scope(app: App) -> Scope:
    s = app.settings(EcrSettings)
    return Scope(s.default_account, s.default_region or s.fallback_region)


async def authenticate(app: App, reg: Registry, request: Request) -> Scope:
    header = request.headers.get("authorization")
    password: str | None = None
    if header:
        basic = auth.parse_basic(header)
        if basic is not None:
            password = basic[1]
    if password is None:
        for k, v in request.query:
            if k == "X-Gureum-Token":
                password = v
    if password is not None:
        secret = await reg.secret()
        who = auth.verify_password(secret, password)
        if who is not None:
            return Scope(*who)
    if app.config.auth == "strict":
        raise oci.unauthorized("Your authorization token is missing, invalid or has expired" if password else "authentication required")
    m = _HOST_RE.match(request.host)
    if m:
        return Scope(m.group(1), m.group(2))
    return default_scope(app)


async def route(reg: Registry, scope: Scope, request: Request) -> Response:
    path = request.path
    method = request.method
    if path in ("/v2/", "/v2"):
        if method not in ("GET", "HEAD"):
            raise oci.unsupported()
        return Response(200, [("Content-Type", "application/json")], b"{}")
    if path == "/v2/_catalog":
        return await catalog(reg, scope, request)
    for kind, rx in _ROUTES:
        m = rx.match(path)
        if m is None:
            continue
        name = oci.check_name(m.group("name"))
        if kind == "tags" and method in ("GET", "HEAD"):
            return await tags_list(reg, scope, name, request)
        if kind == "manifest":
            ref = oci.check_reference(m.group("ref"))
            if method in ("GET", "HEAD"):
                return await get_manifest(reg, scope, name, ref, request)
            if method == "PUT":
                return await put_manifest(reg, scope, name, ref, request)
            if method == "DELETE":
                await reg.delete_manifest(scope, name, ref)
                return Response(202, [("Content-Length", "0")], b"")
        if kind == "uploads" and method == "POST":
            return await start_upload(reg, scope, name, request)
        if kind == "upload":
            upload_id = m.group("id")
            if method == "PATCH":
                return await patch_upload(reg, scope, name, upload_id, request)
            if method == "PUT":
                return await put_upload(reg, scope, name, upload_id, request)
            if method == "GET":
                size = await reg.upload_size(scope, name, upload_id)
                return Response(204, _upload_headers(name, upload_id, size), b"")
            if method == "DELETE":
                await reg.cancel(scope, name, upload_id)
                return Response(204, [], b"")
        if kind == "blob":
            digest = oci.check_digest(m.group("digest"))
            if method in ("GET", "HEAD"):
                return await get_blob(reg, scope, name, digest, request)
            if method == "DELETE":
                await reg.delete_blob(scope, name, digest)
                return Response(202, [("Content-Length", "0")], b"")
        if kind == "referrers" and method == "GET":
            return await referrers(reg, scope, name, m.group("digest"), request)
        raise oci.unsupported(f"{method} is not supported on this endpoint")
    raise oci.RegistryError("NOT_FOUND", "no such endpoint", 404)


# --- blobs ---------------------------------------------------------------------------------
async def get_blob(reg: Registry, scope: Scope, name: str, digest: str, request: Request) -> Response:
    size = await reg.blob_size(scope, name, digest)
    headers = [
        ("Docker-Content-Digest", digest),
        ("Content-Type", "application/octet-stream"),
        ("Accept-Ranges", "bytes"),
        ("ETag", f'"{digest}"'),
    ]
    rng = request.headers.get("range")
    start, end, status = 0, size, 200
    if rng:
        parsed = oci.parse_range(rng, size)
        if parsed is not None:
            start, end = parsed
            status = 206
            headers.append(("Content-Range", f"bytes {start}-{end - 1}/{size}"))
    if request.method == "HEAD":
        headers.append(("Content-Length", str(end - start)))
        return Response(status, headers, b"")
    return Response(status, headers, FileBody(await reg.open_blob(digest), start, end - start))


def _upload_headers(name: str, upload_id: str, size: int) -> list[tuple[str, str]]:
    return [
        ("Location", f"/v2/{name}/blobs/uploads/{upload_id}"),
        ("Range", oci.upload_range_header(size)),
        ("Docker-Upload-UUID", upload_id),
        ("Content-Length", "0"),
    ]


def _blob_created(name: str, digest: str) -> Response:
    return Response(
        201,
        [("Location", f"/v2/{name}/blobs/{digest}"), ("Docker-Content-Digest", digest), ("Content-Length", "0")],
        b"",
    )


async def start_upload(reg: Registry, scope: Scope, name: str, request: Request) -> Response:
    q = request.query_dict()
    mount = q.get("mount")
    if mount:
        digest = oci.check_digest(mount)
        source = q.get("from")
        if source:
            oci.check_name(source)
        size = await reg.mount(scope, name, digest, source)
        if size is not None:
            return _blob_created(name, digest)
    whole = q.get("digest")
    if whole:
        oci.check_digest(whole)
        await reg.upload_whole(scope, name, whole, request.stream())
        return _blob_created(name, whole)
    upload_id = await reg.start_upload(scope, name)
    return Response(202, _upload_headers(name, upload_id, 0), b"")


def _content_length(request: Request) -> int | None:
    v = request.headers.get("content-length")
    if v is None:
        return None
    try:
        return int(v)
    except ValueError:
        raise oci.blob_upload_invalid("invalid Content-Length") from None


async def patch_upload(reg: Registry, scope: Scope, name: str, upload_id: str, request: Request) -> Response:
    crange = request.headers.get("content-range")
    start = length = None
    if crange:
        start, end = oci.parse_content_range(crange)
        length = end - start + 1
        clen = _content_length(request)
        if clen is not None and clen != length:
            raise oci.range_invalid("Content-Length does not match Content-Range")
    try:
        size = await reg.append(scope, name, upload_id, request.stream(), start, length)
    except RangeMismatch as e:
        err = oci.range_invalid(f"chunk starts at {start}, the upload is at {e.size} bytes")
        resp = error_response(err)
        resp.headers.extend(h for h in _upload_headers(name, upload_id, e.size) if h[0] != "Content-Length")
        return resp
    return Response(202, _upload_headers(name, upload_id, size), b"")


async def put_upload(reg: Registry, scope: Scope, name: str, upload_id: str, request: Request) -> Response:
    digest = request.query_dict().get("digest")
    if not digest:
        raise oci.digest_invalid("digest parameter missing")
    oci.check_digest(digest)
    crange = request.headers.get("content-range")
    if crange:
        start, end = oci.parse_content_range(crange)
        try:
            await reg.append(scope, name, upload_id, request.stream(), start, end - start + 1)
        except RangeMismatch as e:
            resp = error_response(oci.range_invalid(f"chunk starts at {start}, the upload is at {e.size} bytes"))
            resp.headers.extend(h for h in _upload_headers(name, upload_id, e.size) if h[0] != "Content-Length")
            return resp
        await reg.finish(scope, name, upload_id, digest)
    else:
        await reg.finish(scope, name, upload_id, digest, request.stream())
    return _blob_created(name, digest)


# --- manifests -----------------------------------------------------------------------------
async def get_manifest(reg: Registry, scope: Scope, name: str, ref: str, request: Request) -> Response:
    accept = oci.parse_accept(request.headers.get_all("accept"))
    try:
        await upstream.cache_image(reg, scope, name, ref)  # pull through cache rules (a no-op without one)
    except upstream.UpstreamError as e:
        raise oci.RegistryError("MANIFEST_UNKNOWN", f"the image could not be pulled through the cache: {e}", 404,
                                {"reference": ref}) from None
    read = await reg.get_manifest(scope, name, ref, accept, record_pull=request.method == "GET", body=request.method == "GET")
    headers = [
        ("Content-Type", read.media_type),
        ("Docker-Content-Digest", read.digest),
        ("ETag", f'"{read.digest}"'),
    ]
    if request.method == "HEAD":
        headers.append(("Content-Length", str(read.size)))
        return Response(200, headers, b"")
    return Response(200, headers, read.data)


async def put_manifest(reg: Registry, scope: Scope, name: str, ref: str, request: Request) -> Response:
    from gureum.http.server import BodyTooLarge

    try:
        data = await request.body(limit=oci.MAX_MANIFEST_BYTES)
    except BodyTooLarge:
        raise oci.RegistryError("SIZE_INVALID", f"manifest exceeds {oci.MAX_MANIFEST_BYTES} bytes", 413) from None
    m, _ = await reg.put_manifest(scope, name, ref, data, request.headers.get("content-type"))
    headers = [
        ("Location", f"/v2/{name}/manifests/{m.digest}"),
        ("Docker-Content-Digest", m.digest),
        ("Content-Length", "0"),
    ]
    if m.subject is not None:
        headers.append(("OCI-Subject", m.subject.digest))
    return Response(201, headers, b"")


# --- discovery -----------------------------------------------------------------------------
async def tags_list(reg: Registry, scope: Scope, name: str, request: Request) -> Response:
    q = request.query_dict()
    n = oci.parse_n(q.get("n"))
    last = q.get("last") or None
    if n == 0:
        await reg.store.read(lambda txn: model.require_repo(txn, scope.key, name))
        tags, more = [], False
    else:
        tags, more = await reg.store.read(lambda txn: model.list_tags(txn, scope.key, name, n, last))
    headers = [("Content-Type", "application/json")]
    if more and tags and n:
        headers.append(("Link", oci.next_link(f"/v2/{name}/tags/list", n, tags[-1])))
    return Response(200, headers, json.dumps({"name": name, "tags": tags}).encode())


async def catalog(reg: Registry, scope: Scope, request: Request) -> Response:
    q = request.query_dict()
    n = oci.parse_n(q.get("n"))
    last = q.get("last") or None
    if n == 0:
        names, more = [], False
    else:
        names, more = await reg.store.read(lambda txn: model.catalog(txn, scope.key, n, last))
    headers = [("Content-Type", "application/json")]
    if more and names and n:
        headers.append(("Link", oci.next_link("/v2/_catalog", n, names[-1])))
    return Response(200, headers, json.dumps({"repositories": names}).encode())


async def referrers(reg: Registry, scope: Scope, name: str, digest: str, request: Request) -> Response:
    try:
        oci.check_digest(digest)
    except oci.RegistryError as e:
        raise oci.RegistryError("DIGEST_INVALID", e.message, 400, e.detail) from None
    artifact_type = request.query_dict().get("artifactType")
    descs = await reg.store.read(lambda txn: model.list_referrers(txn, scope.key, name, digest))
    headers = [("Content-Type", oci.OCI_INDEX)]
    if artifact_type:
        descs = [d for d in descs if d.get("artifactType") == artifact_type]
        headers.append(("OCI-Filters-Applied", "artifactType"))
    descs.sort(key=lambda d: d["digest"])
    return Response(200, headers, oci.referrers_index(descs))


def download_url(endpoint: str, name: str, digest: str, password: str | None = None) -> str:
    url = f"{endpoint}/v2/{name}/blobs/{digest}"
    if password:
        url += "?X-Gureum-Token=" + quote(password, safe="")
    return url
