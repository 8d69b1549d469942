"""A tiny raw HTTP client for the registry tests: every status, header and body visible."""

from __future__ import annotations

import hashlib
import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error_code(self) -> str | None:
        try:
            return self.json()["errors"][0]["code"]
        except (ValueError, KeyError, IndexError, TypeError):
            return None


class Registry:
    def __init__(self, endpoint: str, host: str | None = None, auth: str | None = None) -> None:
        u = urlsplit(endpoint)
        self.netloc = u.netloc
        self.hostname = u.hostname or "127.0.0.1"
        self.port = u.port or 80
        self.host_header = host
        self.auth = auth

    def req(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
        conn = http.client.HTTPConnection(self.hostname, self.port, timeout=60)
        h = dict(headers or {})
        if self.host_header:
            h.setdefault("Host", self.host_header)
        if self.auth:
            h.setdefault("Authorization", self.auth)
        if body is not None:
            h.setdefault("Content-Length", str(len(body)))
        elif method in ("PUT", "POST", "PATCH"):
            h.setdefault("Content-Length", "0")
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, data)

    # conveniences ----------------------------------------------------------------------
    def push_blob(self, name: str, data: bytes) -> str:
        d = sha(data)
        r = self.req("POST", f"/v2/{name}/blobs/uploads/?digest={d}", data, {"Content-Type": "application/octet-stream"})
        assert r.status == 201, (r.status, r.body)
        return d

    def push_manifest(self, name: str, ref: str, manifest: dict[str, Any] | bytes, media_type: str | None = None) -> Reply:
        data = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
        mt = media_type or (manifest.get("mediaType") if isinstance(manifest, dict) else None) or "application/vnd.oci.image.manifest.v1+json"
        return self.req("PUT", f"/v2/{name}/manifests/{ref}", data, {"Content-Type": mt})

    def image(self, name: str, tag: str | None, layers: list[bytes], config: bytes | None = None, **extra: Any) -> tuple[str, bytes]:
        """Push blobs and an OCI image manifest; returns (digest, manifest bytes)."""
        config = config if config is not None else json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        cd = self.push_blob(name, config)
        descs = []
        for layer in layers:
            descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": self.push_blob(name, layer), "size": len(layer)})
        m = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": extra.pop("config_media_type", "application/vnd.oci.image.config.v1+json"), "digest": cd, "size": len(config)},
            "layers": descs,
            **extra,
        }
        data = json.dumps(m).encode()
        r = self.push_manifest(name, tag or sha(data), data, m["mediaType"])
        assert r.status == 201, (r.status, r.body)
        return sha(data), data
