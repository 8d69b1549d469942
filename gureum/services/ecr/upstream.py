"""Pull through cache at pull time: a registry client for the upstream (OCI Distribution
HTTP API: anonymous, or with the rule's Secrets Manager credentials as HTTP Basic auth or in
the Docker token flow's token request; bearer tokens anonymous otherwise) and the import of
an upstream image into this registry.

`cache_image(reg, scope, name, ref)` is called by the /v2/ adapter when a manifest asked for
is not in the repository: when a pull through cache rule covers the repository
(pull_through.upstream_for) it creates the repository (with the PULL_THROUGH_CACHE
repository creation template that applies, templates.py), fetches the manifest from the
upstream — with an index's child manifests, and every config and layer blob, each verified
by digest as the registry engine stores it — and pushes them into the repository through the
engine, so the cached image is an ordinary image of the repository from then on. A tag
cached more than 24 hours ago (`ecr.pull_through_refresh_seconds`) is checked against the
upstream again on the next pull (AWS's pull-time update); if the upstream cannot be reached,
the cached image is served.

Blocking HTTP runs in worker threads; nothing here holds state between calls. What an
upstream answers reaches a caller only as a verified image or as an HTTP status: never its
error bodies (a rule may name any host the node can reach).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.services.ecr import model, oci, pull_through

if TYPE_CHECKING:
    from gureum.services.ecr.engine import Registry, Scope

ACCEPT = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
TIMEOUT = 30.0
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class UpstreamError(Exception):
    """The upstream registry could not give the image."""


@dataclass
class Client:
    """One conversation with an upstream registry (remembers a bearer token)."""

    base: str
    auth: str | None = None
    timeout: float = TIMEOUT
    basic: str | None = None  # "Basic <base64 user:token>" from the rule's secret
    _tried: set[str] = field(default_factory=set)

    def open(self, path: str, accept: tuple[str, ...] = ()) -> Any:
        for attempt in range(2):
            req = urllib.request.Request(self.base + path)
            if accept:
                req.add_header("Accept", ", ".join(accept))
            if self.auth:
                req.add_header("Authorization", self.auth)
            try:
                return _opener.open(req, timeout=self.timeout)
            except urllib.error.HTTPError as e:
                challenge = e.headers.get("WWW-Authenticate", "")
                e.close()
                if e.code == 401 and attempt == 0 and challenge.lower().startswith("bearer "):
                    self.auth = self._token(challenge)
                    if self.auth:
                        continue
                if e.code == 401 and attempt == 0 and challenge.lower().startswith("basic") and self.basic:
                    self.auth = self.basic
                    continue
                if e.code == 401 and self.basic:
                    raise UpstreamError("upstream registry refused the credentials of the rule's secret") from None
                # the status only: an upstream's body never reaches the caller (a rule may name any host)
                raise UpstreamError(f"upstream registry answered HTTP {e.code} for {path}") from None
            except (urllib.error.URLError, OSError) as e:
                raise UpstreamError(f"failed to reach upstream registry {self.base}: {getattr(e, 'reason', e)}") from None
        raise UpstreamError("upstream registry refused the credentials" if self.basic else
                            "upstream registry refused anonymous access")

    def _token(self, challenge: str) -> str | None:
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = params.pop("realm", "")
        if not realm:
            return None
        req = urllib.request.Request(realm + "?" + urllib.parse.urlencode(params))
        if self.basic:
            req.add_header("Authorization", self.basic)
        try:
            with _opener.open(req, timeout=self.timeout) as resp:
                doc = json.load(resp)
        except (urllib.error.URLError, OSError, ValueError):
            return None
        token = doc.get("token") or doc.get("access_token")
        return f"Bearer {token}" if token else None

    def ping(self) -> None:
        """UpstreamError unless the base answers the registry API (`GET /v2/`)."""
        self.open("/v2/").close()

    def manifest(self, repo: str, ref: str) -> tuple[bytes, str]:
        with self.open(f"/v2/{repo}/manifests/{ref}", ACCEPT) as resp:
            data: bytes = resp.read(oci.MAX_MANIFEST_BYTES + 1)
            ctype = resp.headers.get("Content-Type", "").split(";")[0].strip()
        if len(data) > oci.MAX_MANIFEST_BYTES:
            raise UpstreamError("the upstream manifest is too large")
        return data, ctype


async def client_for(reg: Registry, scope: Scope, rule: dict[str, Any]) -> Client:
    """A client for the rule's upstream, with the credentials of its secret if it names one
    (ECR's AwsError when the secret cannot be read)."""
    client = Client(pull_through.base_url(rule["upstreamRegistryUrl"]))
    arn = rule.get("credentialArn")
    if arn:
        user, token = await reg.store.run(lambda txn: pull_through.credentials(txn, scope.account, scope.region, arn))
        client.basic = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()
    return client


async def validate(reg: Registry, scope: Scope, rule: dict[str, Any]) -> str | None:
    """Why the rule's upstream cannot be used (None: it answers the registry API, with the
    rule's credentials when it has some)."""
    try:
        client = await client_for(reg, scope, rule)
    except AwsError as e:
        return e.message
    try:
        await asyncio.to_thread(client.ping)
    except UpstreamError as e:
        return str(e)
    return None


async def _blob_chunks(client: Client, repo: str, digest: str) -> AsyncIterator[bytes]:
    resp = await asyncio.to_thread(client.open, f"/v2/{repo}/blobs/{digest}")
    try:
        while chunk := await asyncio.to_thread(resp.read, 1 << 20):
            yield chunk
    finally:
        resp.close()


async def _import_manifest(reg: Registry, scope: Scope, name: str, client: Client, repo: str,
                           data: bytes, ctype: str, ref: str | None) -> None:
    """Store one upstream manifest (children and blobs first) in repository `name`."""
    m = oci.parse_manifest(data, ctype or None)
    for child in m.manifests:
        present = await reg.store.read(lambda txn, d=child.digest: model.get_manifest(txn, scope.key, name, d))
        if present is None:
            cdata, cctype = await asyncio.to_thread(client.manifest, repo, child.digest)
            await _import_manifest(reg, scope, name, client, repo, cdata, cctype, child.digest)
    for blob in m.blob_refs():
        link = await reg.store.read(lambda txn, d=blob.digest: model.get_link(txn, scope.key, name, d))
        if link is None:
            await reg.upload_whole(scope, name, blob.digest, _blob_chunks(client, repo, blob.digest))
    await reg.put_manifest(scope, name, ref, data, ctype or None, create=False)


async def cache_image(reg: Registry, scope: Scope, name: str, ref: str) -> bool:
    """Bring `name:ref` from the upstream of the pull through cache rule covering `name`
    (see the module docstring). False when no rule applies or the image is fresh enough."""
    now = model.now()

    def look(txn: Any) -> tuple[pull_through.Upstream | None, bool]:
        up = pull_through.upstream_for(txn, scope.key, name)
        if up is None:
            return None, False
        if oci.is_digest(ref):
            return up, model.get_manifest(txn, scope.key, name, ref) is None
        tag = txn.get(model.TAGS, model.sub_key(scope.key, name, ref))
        return up, tag is None or now - tag.get("at", 0) >= reg.settings.pull_through_refresh_seconds

    up, wanted = await reg.store.read(look)
    if up is None or not wanted:
        return False

    def create(txn: Any) -> None:
        if model.get_repo(txn, scope.key, name) is None:
            model.create_by_ecr(txn, scope.key, name, now, "PULL_THROUGH_CACHE")

    try:
        try:
            client = await client_for(reg, scope, up.rule)
        except AwsError as e:  # the rule's secret is gone or unreadable: as if the upstream refused
            raise UpstreamError(e.message) from None
        data, ctype = await asyncio.to_thread(client.manifest, up.repository, ref)
    except UpstreamError:
        if oci.is_digest(ref):
            raise
        tag = await reg.store.read(lambda txn: txn.get(model.TAGS, model.sub_key(scope.key, name, ref)))
        if tag is not None:  # a stale cached tag is served while the upstream is away
            return False
        raise
    await reg.store.run(create)
    try:
        await _import_manifest(reg, scope, name, client, up.repository, data, ctype, ref)
    except model.ImageTagAlreadyExists:  # an immutable tag moved upstream: the cached image stays
        return False
    if not oci.is_digest(ref):  # the refresh clock restarts even when the digest did not change
        await reg.store.run(lambda txn: _touch_tag(txn, scope.key, name, ref, now))
    return True


def _touch_tag(txn: Any, scope: str, name: str, tag: str, now: float) -> None:
    doc = txn.get(model.TAGS, model.sub_key(scope, name, tag))
    if doc is not None:
        txn.put(model.TAGS, model.sub_key(scope, name, tag), dict(doc, at=now))
