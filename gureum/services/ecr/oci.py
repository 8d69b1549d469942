"""The OCI Distribution v1.1 vocabulary, sans I/O: names, references, digests, the spec's
error codes, manifest parsing and validation, Content-Range / Range parsing, pagination.

Everything here is plain synchronous code over values and bytes; the HTTP adapter
(`http.py`) and the ECR API (`api.py`) both build on it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

# --- media types ---------------------------------------------------------------------
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
SCHEMA1 = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)
IMAGE_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MANIFEST_TYPES = IMAGE_TYPES + INDEX_TYPES
NON_DISTRIBUTABLE = (
    DOCKER_FOREIGN_LAYER,
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
)

MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # ECR's limit (imageManifest max 4194304)
EMPTY_SHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# --- names, tags, digests ------------------------------------------------------------
_NAME_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
NAME_RE = re.compile(rf"^{_NAME_COMPONENT}(?:/{_NAME_COMPONENT})*$")
TAG_RE = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")
DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
SHA256_RE = re.compile(r"^sha256:[a-f0-9]{64}$")


class RegistryError(Exception):
    """An error in the spec's vocabulary: code, HTTP status, message, optional detail."""

    def __init__(self, code: str, message: str, status: int, detail: Any = None, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.detail = detail
        self.headers = headers or []

    def body(self) -> bytes:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail is not None:
            err["detail"] = self.detail
        return json.dumps({"errors": [err]}).encode()


def blob_upload_invalid(message: str) -> RegistryError:
    return RegistryError("BLOB_UPLOAD_INVALID", message, 400)


def digest_invalid(message: str = "provided digest did not match uploaded content", digest: str | None = None) -> RegistryError:
    return RegistryError("DIGEST_INVALID", message, 400, {"digest": digest} if digest else None)


def manifest_invalid(message: str) -> RegistryError:
    return RegistryError("MANIFEST_INVALID", f"manifest invalid: {message}", 400)


def name_invalid(name: str) -> RegistryError:
    return RegistryError("NAME_INVALID", "invalid repository name", 400, {"name": name})


def unsupported(message: str = "The operation is unsupported.", status: int = 405) -> RegistryError:
    return RegistryError("UNSUPPORTED", message, status)


def unauthorized(message: str = "authentication required") -> RegistryError:
    return RegistryError("UNAUTHORIZED", message, 401)


def denied(message: str = "requested access to the resource is denied") -> RegistryError:
    return RegistryError("DENIED", message, 403)


def range_invalid(message: str = "requested range not satisfiable") -> RegistryError:
    return RegistryError("BLOB_UPLOAD_INVALID", message, 416)


def check_name(name: str) -> str:
    if not name or len(name) > 256 or not NAME_RE.match(name):
        raise name_invalid(name)
    return name


def check_digest(digest: str) -> str:
    """A sha256 digest in canonical form; other algorithms are answered as unsupported."""
    if SHA256_RE.match(digest):
        return digest
    if DIGEST_RE.match(digest) and not digest.startswith("sha256:"):
        alg = digest.split(":", 1)[0]
        if alg == "sha512" and re.match(r"^sha512:[a-f0-9]{128}$", digest):
            raise RegistryError("UNSUPPORTED", f"digest algorithm {alg} is not supported (use sha256)", 400)
    raise digest_invalid("invalid digest", digest)


def is_digest(ref: str) -> bool:
    return ":" in ref


def check_reference(ref: str) -> str:
    """A tag or a digest."""
    if is_digest(ref):
        return check_digest(ref)
    if not TAG_RE.match(ref):
        raise RegistryError("TAG_INVALID", "invalid tag", 400, {"tag": ref})
    return ref


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# --- descriptors and manifests -------------------------------------------------------
@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    artifact_type: str | None = None
    annotations: dict[str, str] | None = None
    urls: tuple[str, ...] = ()
    platform: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        if self.annotations:
            out["annotations"] = self.annotations
        return out

    @property
    def distributable(self) -> bool:
        return self.media_type not in NON_DISTRIBUTABLE


@dataclass(frozen=True)
class Manifest:
    """A parsed, structurally valid image manifest or index."""

    media_type: str
    digest: str
    size: int
    config: Descriptor | None
    layers: tuple[Descriptor, ...] = ()
    manifests: tuple[Descriptor, ...] = ()  # index children
    subject: Descriptor | None = None
    artifact_type: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    def blob_refs(self) -> list[Descriptor]:
        """Blobs this manifest needs in its repository (config + distributable layers)."""
        out = [self.config] if self.config is not None else []
        out.extend(d for d in self.layers if d.distributable)
        return out

    @property
    def image_size(self) -> int:
        """ECR's imageSizeInBytes: the sum of the layer sizes (config excluded)."""
        if self.is_index:
            return 0
        return sum(d.size for d in self.layers)

    def referrer_descriptor(self) -> Descriptor:
        return Descriptor(self.media_type, self.digest, self.size, self.artifact_type, self.annotations or None)


def _descriptor(obj: Any, where: str) -> Descriptor:
    if not isinstance(obj, dict):
        raise manifest_invalid(f"{where} is not a descriptor")
    mt, dg, size = obj.get("mediaType"), obj.get("digest"), obj.get("size")
    if not isinstance(mt, str) or not mt:
        raise manifest_invalid(f"{where}.mediaType missing")
    if not isinstance(dg, str):
        raise manifest_invalid(f"{where}.digest missing")
    if not SHA256_RE.match(dg):
        raise manifest_invalid(f"{where}.digest {dg!r} is not a sha256 digest")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise manifest_invalid(f"{where}.size must be a non-negative integer")
    at = obj.get("artifactType")
    ann = obj.get("annotations")
    urls = obj.get("urls") or ()
    return Descriptor(mt, dg, size, at if isinstance(at, str) else None, ann if isinstance(ann, dict) else None, tuple(urls), obj.get("platform"))


def parse_manifest(data: bytes, content_type: str | None) -> Manifest:
    """Parse and structurally validate a manifest body (no storage lookups)."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise RegistryError("SIZE_INVALID", f"manifest is {len(data)} bytes; the limit is {MAX_MANIFEST_BYTES}", 413)
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in SCHEMA1:
        raise manifest_invalid("Docker image manifest schema 1 is not supported; push schema 2 or OCI")
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise manifest_invalid("not valid JSON") from None
    if not isinstance(doc, dict):
        raise manifest_invalid("not a JSON object")
    if doc.get("schemaVersion") == 1 or "fsLayers" in doc:
        raise manifest_invalid("Docker image manifest schema 1 is not supported; push schema 2 or OCI")
    if doc.get("schemaVersion") != 2:
        raise manifest_invalid("schemaVersion must be 2")
    mt = doc.get("mediaType")
    if mt is not None and not isinstance(mt, str):
        raise manifest_invalid("mediaType must be a string")
    if mt and ctype and ctype not in ("application/json", "application/octet-stream") and mt != ctype:
        raise manifest_invalid(f"mediaType {mt} does not match Content-Type {ctype}")
    media_type = mt or ctype
    if media_type not in MANIFEST_TYPES:
        # OCI allows mediaType to be omitted: infer from the shape.
        if not mt and "manifests" in doc:
            media_type = OCI_INDEX
        elif not mt and "config" in doc:
            media_type = OCI_MANIFEST
        else:
            raise manifest_invalid(f"unsupported manifest media type {media_type or '(none)'}")
    digest = sha256_digest(data)
    subject = _descriptor(doc["subject"], "subject") if doc.get("subject") is not None else None
    found = doc.get("annotations")
    annotations: dict[str, str] = found if isinstance(found, dict) else {}
    if media_type in IMAGE_TYPES:
        if "config" not in doc:
            raise manifest_invalid("config descriptor missing")
        config = _descriptor(doc["config"], "config")
        layers_raw = doc.get("layers")
        if not isinstance(layers_raw, list):
            raise manifest_invalid("layers must be a list")
        layers = tuple(_descriptor(d, f"layers[{i}]") for i, d in enumerate(layers_raw))
        at = doc.get("artifactType")
        if at is not None and not isinstance(at, str):
            raise manifest_invalid("artifactType must be a string")
        if media_type == OCI_MANIFEST and config.media_type == OCI_EMPTY and not at:
            # The spec: artifactType MUST be set when config is the empty descriptor —
            # registries accept it anyway; treat it as unset.
            pass
        artifact_type = at or (config.media_type if media_type == OCI_MANIFEST else None)
        return Manifest(media_type, digest, len(data), config, layers, (), subject, artifact_type, annotations)
    children_raw = doc.get("manifests")
    if not isinstance(children_raw, list):
        raise manifest_invalid("manifests must be a list")
    children = tuple(_descriptor(d, f"manifests[{i}]") for i, d in enumerate(children_raw))
    at = doc.get("artifactType")
    return Manifest(media_type, digest, len(data), None, (), children, subject, at if isinstance(at, str) else None, annotations)


# --- byte ranges -----------------------------------------------------------------------
def parse_content_range(value: str) -> tuple[int, int]:
    """A chunk's Content-Range `<start>-<end>` (inclusive; `bytes ` prefix tolerated)."""
    v = value.strip()
    for prefix in ("bytes=", "bytes "):
        v = v.removeprefix(prefix)
    v = v.split("/", 1)[0]
    m = re.fullmatch(r"(\d+)-(\d+)", v)
    if not m:
        raise range_invalid(f"malformed Content-Range {value!r}")
    start, end = int(m.group(1)), int(m.group(2))
    if end < start:
        raise range_invalid(f"malformed Content-Range {value!r}")
    return start, end


def parse_range(value: str, size: int) -> tuple[int, int] | None:
    """A blob GET's `Range: bytes=a-b` → (start, end exclusive); None = whole blob.
    Raises for unsatisfiable ranges (416)."""
    v = value.strip()
    if not v.startswith("bytes="):
        return None
    spec = v[6:].split(",")[0].strip()
    m = re.fullmatch(r"(\d*)-(\d*)", spec)
    if not m or (m.group(1) == "" and m.group(2) == ""):
        return None
    if m.group(1) == "":
        n = int(m.group(2))
        if n == 0:
            raise RegistryError("BLOB_UNKNOWN" if size == 0 else "SIZE_INVALID", "range not satisfiable", 416)
        return max(0, size - n), size
    start = int(m.group(1))
    end = int(m.group(2)) + 1 if m.group(2) else size
    if start >= size:
        raise RegistryError("SIZE_INVALID", "range not satisfiable", 416, headers=[("Content-Range", f"bytes */{size}")])
    return start, min(end, size)


def upload_range_header(size: int) -> str:
    """The `Range` of an upload session: `0-<last byte>` (`0-0` when empty, as distribution)."""
    return f"0-{max(size - 1, 0)}"


# --- pagination ------------------------------------------------------------------------
def parse_n(value: str | None, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise RegistryError("PAGINATION_NUMBER_INVALID", "invalid number of results requested", 400, {"n": value}) from None
    if n < 0:
        raise RegistryError("PAGINATION_NUMBER_INVALID", "invalid number of results requested", 400, {"n": value})
    return n


def next_link(path: str, n: int, last: str, extra: str = "") -> str:
    from urllib.parse import quote

    return f'<{path}?n={n}&last={quote(last, safe="")}{extra}>; rel="next"'


def referrers_index(descriptors: list[dict[str, Any]]) -> bytes:
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors}).encode()


# --- schema2 <-> OCI conversion (ECR converts on pull by tag) -------------------------
_TO_OCI = {
    DOCKER_MANIFEST: OCI_MANIFEST,
    DOCKER_LIST: OCI_INDEX,
    DOCKER_CONFIG: OCI_CONFIG,
    DOCKER_LAYER: OCI_LAYER_GZIP,
    DOCKER_FOREIGN_LAYER: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
}
_TO_DOCKER = {v: k for k, v in _TO_OCI.items()}


def convert_manifest(data: bytes, media_type: str, to: str) -> bytes | None:
    """Rewrite an image manifest between Docker schema2 and OCI (None when impossible).
    The layer and config blobs are unchanged; only the media types move."""
    table = _TO_OCI if to in (OCI_MANIFEST, OCI_INDEX) else _TO_DOCKER
    if table.get(media_type) != to:
        return None
    doc = json.loads(data)
    doc["mediaType"] = to
    if "config" in doc:
        c = dict(doc["config"])
        if c.get("mediaType") not in table:
            return None
        c["mediaType"] = table[c["mediaType"]]
        doc["config"] = c
        layers = []
        for layer in doc.get("layers", []):
            layer = dict(layer)
            if layer.get("mediaType") not in table:
                return None
            layer["mediaType"] = table[layer["mediaType"]]
            layers.append(layer)
        doc["layers"] = layers
    for k in ("subject", "artifactType"):
        if k in doc and to in (DOCKER_MANIFEST, DOCKER_LIST):
            return None
    return json.dumps(doc, indent=3).encode()


def choose_media_type(stored: str, accept: list[str]) -> str | None:
    """Which representation to serve for an Accept list when pulling by tag: the stored one
    if acceptable (or no preference), else a converted one, else None (404, as ECR)."""
    if not accept or stored in accept or "*/*" in accept:
        return stored
    alt = _TO_OCI.get(stored) or _TO_DOCKER.get(stored)
    if alt and alt in accept:
        return alt
    return None


def parse_accept(headers: list[str]) -> list[str]:
    out = []
    for h in headers:
        for part in h.split(","):
            t = part.split(";")[0].strip().lower()
            if t:
                out.append(t)
    return out
