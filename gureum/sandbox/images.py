"""Container images for ECS tasks: an OCI / Docker registry pull client over HTTP and the
node's image cache.

`pull()` resolves a reference (`host[:port]/repo[:tag|@digest]`) to a manifest (manifest
lists and OCI indexes pick linux/amd64), fetches the config and every layer into the blob
store (verified by digest; a blob already there is not fetched again), and unpacks each
layer once per digest into `<root>/layers/<hex>/` in overlayfs form (whiteouts become 0/0
character devices, opaque directories get `trusted.overlay.opaque=y`). Layers are read as GNU
tar and containerd read them (gzip, zstd or plain; end-of-archive blocks optional). `mount_rootfs()`
stacks the layers of an image under a per-container upper directory with overlayfs.

Auth: anonymous, HTTP Basic (ECR tokens), or the Docker token flow (`WWW-Authenticate:
Bearer realm=...`). Registries on loopback and those named in `insecure` are spoken to
over plain HTTP, all others over HTTPS. All network and file work is blocking and runs in
worker threads.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import ctypes
import ctypes.util
import errno
import gzip
import hashlib
import json
import os
import re
import shutil
import stat
import tarfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from gureum.blobs import BlobStore, DigestMismatch

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
_INDEX_TYPES = MANIFEST_TYPES[:2]
DEFAULT_REGISTRY = "registry-1.docker.io"
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")


class PullError(Exception):
    """The image could not be pulled (ECS reports `CannotPullContainerError: <message>`)."""


@dataclass(frozen=True)
class Reference:
    registry: str  # host[:port]
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def ref(self) -> str:
        return self.digest or self.tag or "latest"

    def __str__(self) -> str:
        return f"{self.registry}/{self.repository}" + (f"@{self.digest}" if self.digest else f":{self.tag or 'latest'}")


def parse_reference(image: str) -> Reference:
    """Docker's reference grammar: a first component with a dot, a colon or `localhost` is
    a registry; the default registry is Docker Hub (`library/` for one-part names)."""
    if not image or image != image.strip() or any(c.isspace() for c in image):
        raise PullError(f"invalid reference format: {image!r}")
    rest, digest = image, None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        if not _DIGEST_RE.match(digest):
            raise PullError(f"invalid reference format: {image}")
    first, sep, remainder = rest.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = DEFAULT_REGISTRY, rest
        if "/" not in path:
            path = "library/" + path
    tag = None
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        path, tag = path.rsplit(":", 1)
    if not path or path != path.lower() or not re.match(r"^[a-z0-9]+(?:[._/-][a-z0-9]+)*$", path.replace("__", "_")):
        raise PullError(f"invalid reference format: {image}")
    return Reference(registry, path, tag if tag or digest else "latest", digest)


@dataclass
class Image:
    reference: str
    manifest_digest: str  # what ECS reports as imageDigest
    config: dict[str, Any]  # the image config's "config" object (Entrypoint, Cmd, Env, ...)
    layers: list[Path]  # unpacked layer directories, lowest first
    architecture: str = "amd64"


@dataclass
class Credentials:
    username: str
    password: str


def _is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1 : host.index("]")]
    return name in ("localhost", "::1") or name.startswith("127.")


@dataclass
class _Session:
    """One registry conversation: remembers the auth header that worked."""

    base: str
    creds: Credentials | None
    auth: str | None = None
    timeout: float = 30.0

    def __post_init__(self) -> None:
        # Credentials given up front are sent at once (Basic), as docker does for a
        # registry it has logged in to: gureum's registry picks the account from them.
        if self.creds is not None and self.auth is None:
            raw = f"{self.creds.username}:{self.creds.password}".encode()
            self.auth = "Basic " + base64.b64encode(raw).decode()

    def open(self, path: str, accept: tuple[str, ...] = (), method: str = "GET") -> Any:
        for attempt in range(2):
            req = urllib.request.Request(self.base + path, method=method)
            if accept:
                req.add_header("Accept", ", ".join(accept))
            if self.auth:
                req.add_header("Authorization", self.auth)
            try:
                return _opener.open(req, timeout=self.timeout)
            except urllib.error.HTTPError as e:
                if e.code == 401 and attempt == 0:
                    challenge = e.headers.get("WWW-Authenticate", "")
                    e.close()
                    self.auth = self._authorize(challenge)
                    if self.auth:
                        continue
                body = e.read(2000).decode(errors="replace")
                e.close()
                raise PullError(_registry_message(e.code, body, path)) from None
            except (urllib.error.URLError, OSError) as e:
                raise PullError(f"failed to reach {self.base}: {getattr(e, 'reason', e)}") from None
        raise PullError("pull access denied: authorization failed")

    def _authorize(self, challenge: str) -> str | None:
        scheme, _, rest = challenge.partition(" ")
        if scheme.lower() == "basic":
            if self.creds is None:
                return None
            raw = f"{self.creds.username}:{self.creds.password}".encode()
            return "Basic " + base64.b64encode(raw).decode()
        if scheme.lower() != "bearer":
            return None
        params = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        realm = params.pop("realm", "")
        if not realm:
            return None
        url = realm + "?" + urllib.parse.urlencode(params)
        req = urllib.request.Request(url)
        if self.creds is not None:
            raw = f"{self.creds.username}:{self.creds.password}".encode()
            req.add_header("Authorization", "Basic " + base64.b64encode(raw).decode())
        try:
            with _opener.open(req, timeout=self.timeout) as resp:
                doc = json.load(resp)
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise PullError(f"could not get a token from {realm}: {e}") from None
        token = doc.get("token") or doc.get("access_token")
        return f"Bearer {token}" if token else None


class _NoRedirectAuth(urllib.request.HTTPRedirectHandler):
    """Follow redirects (blob storage), dropping the registry's Authorization header."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
            new.headers.pop("Authorization", None)
            new.unredirected_hdrs.pop("Authorization", None)
        return new


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirectAuth())


def _registry_message(status: int, body: str, path: str) -> str:
    try:
        errs = json.loads(body).get("errors") or []
        detail = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errs)
    except (ValueError, AttributeError):
        detail = body.strip()[:200]
    if status == 404:
        return f"not found: {detail or path}"
    if status in (401, 403):
        return f"pull access denied: {detail or 'unauthorized'}"
    return f"registry answered {status}: {detail or path}"


def _parse_manifest(body: bytes, mtype: str, ref: str) -> tuple[dict[str, Any], str, str]:
    """A manifest's document, media type and digest (checked against a digest reference)."""
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    if ref.startswith("sha256:") and ref != digest:
        raise PullError(f"manifest digest mismatch: wanted {ref}, got {digest}")
    try:
        doc = json.loads(body)
    except ValueError:
        raise PullError("registry returned an invalid manifest") from None
    return doc, mtype or doc.get("mediaType", ""), digest


# A manifest found in-process before a pull (gureum's own registry): its digest, and a
# blocking reader of (its bytes, its media type) for the pull's thread.
LocalManifest = tuple[str, Callable[[], "tuple[bytes, str] | None"]]


class ImageCache:
    """Pulled images and unpacked layers of one node, under `root`.

    `_pulled` remembers, by the digest of the manifest a pull started from (an image index's
    own digest included), the image it resolved to: digests name content, so a later pull
    that finds the same digest in-process (`pull(found=...)`) takes the image from memory
    while every one of its layers is still unpacked, with no thread and no blob read."""

    PULLED_MAX = 256  # images remembered (oldest forgotten first)

    def __init__(self, root: Path, blobs: BlobStore, *, insecure: tuple[str, ...] = ()) -> None:
        self.root = root
        self.blobs = blobs
        self.insecure = insecure
        self.layers_dir = root / "layers"
        self.layers_dir.mkdir(parents=True, exist_ok=True)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        # Pulls get their own threads: a pull from gureum's own registry waits on an HTTP
        # handler that itself needs the loop's default executor (blob reads), so sharing
        # that pool can starve it.
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="image-pull")
        self._pulled: dict[str, Image] = {}  # (written by pull threads under _pulled_lock)
        self._pulled_lock = threading.Lock()

    def _lock(self, key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    async def pull(
        self,
        image: str,
        creds: Credentials | None = None,
        *,
        rewrite: dict[str, str] | None = None,
        found: LocalManifest | None = None,
    ) -> Image:
        """Pull `image` (blocking work in a thread). `rewrite` maps registry hosts to the
        address actually dialled (e.g. an ECR host name to gureum's own listener); `found` is
        the image's manifest as located in-process (gureum's own registry: its digest and a
        reader for the pull's thread), which spares the registry's HTTP API, and, for an
        image pulled before whose layers are all unpacked, the thread too."""
        if found is not None:
            known = self.pulled(image, found[0])
            if known is not None:
                return known
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.pull_sync, image, creds, rewrite or {}, found[1] if found else None)

    def pulled(self, image: str, manifest_digest: str) -> Image | None:
        """The image a pull of `image` from the manifest `manifest_digest` resolved to
        before, if every one of its layers is still unpacked; else None."""
        known = self._pulled.get(manifest_digest)
        if known is None or not all(layer.is_dir() for layer in known.layers):
            return None
        return replace(known, reference=str(parse_reference(image)))

    def _remember(self, manifest_digest: str, image: Image) -> None:
        with self._pulled_lock:  # (pull threads run at once: one evicts while another adds)
            self._pulled.pop(manifest_digest, None)
            self._pulled[manifest_digest] = image
            while len(self._pulled) > self.PULLED_MAX:
                self._pulled.pop(next(iter(self._pulled)))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def pull_sync(self, image: str, creds: Credentials | None, rewrite: dict[str, str], local: Callable[[], tuple[bytes, str] | None] | None = None) -> Image:
        """A pull on the caller's thread; `local` reads the manifest in-process (else HTTP)."""
        ref = parse_reference(image)
        host = rewrite.get(ref.registry, ref.registry)
        scheme = "http" if _is_loopback(host) or host in self.insecure else "https"
        s = _Session(f"{scheme}://{host}", creds)
        repo = ref.repository
        first = local() if local is not None else None
        if first is not None:
            manifest, mtype, digest = _parse_manifest(first[0], first[1], ref.ref)
        else:
            manifest, mtype, digest = self._manifest(s, repo, ref.ref)
        first_digest = digest
        if mtype in _INDEX_TYPES or "manifests" in manifest:
            chosen = None
            for m in manifest.get("manifests", []):
                p = m.get("platform") or {}
                if p.get("os", "linux") == "linux" and p.get("architecture", "amd64") == "amd64":
                    chosen = m
                    break
            if chosen is None:
                raise PullError(f"no matching manifest for linux/amd64 in the manifest list entries: {image}")
            manifest, mtype, digest = self._manifest(s, repo, chosen["digest"])
        cfg_desc = manifest.get("config") or {}
        if not cfg_desc.get("digest"):
            raise PullError(f"unsupported manifest (schema 1?) for {image}")
        cfg_path = self._blob(s, repo, cfg_desc["digest"])
        with open(cfg_path, "rb") as f:
            cfg = json.load(f)
        layers = []
        for layer in manifest.get("layers", []):
            blob = self._blob(s, repo, layer["digest"])
            layers.append(self._unpack(layer["digest"], blob, layer.get("mediaType", "")))
        pulled = Image(str(ref), digest, cfg.get("config") or {}, layers, cfg.get("architecture", "amd64"))
        self._remember(first_digest, pulled)
        return pulled

    def _manifest(self, s: _Session, repo: str, ref: str) -> tuple[dict[str, Any], str, str]:
        with s.open(f"/v2/{repo}/manifests/{ref}", MANIFEST_TYPES) as resp:
            body = resp.read(8 << 20)
            mtype = resp.headers.get("Content-Type", "").split(";")[0].strip()
        return _parse_manifest(body, mtype, ref)

    def _blob(self, s: _Session, repo: str, digest: str) -> Path:
        if not _DIGEST_RE.match(digest):
            raise PullError(f"unsupported digest {digest}")
        if self.blobs.exists(digest):
            return self.blobs.path(digest)
        with self._lock("blob:" + digest):
            if self.blobs.exists(digest):
                return self.blobs.path(digest)
            w = self.blobs.writer()
            try:
                with s.open(f"/v2/{repo}/blobs/{digest}") as resp:
                    while chunk := resp.read(1 << 20):
                        w.write(chunk)
                w.commit(digest)
            except DigestMismatch:
                w.abort()
                raise PullError(f"layer {digest} failed digest verification") from None
            except BaseException:
                w.abort()
                raise
        return self.blobs.path(digest)

    def _unpack(self, digest: str, blob: Path, media_type: str) -> Path:
        target = self.layers_dir / digest.split(":", 1)[1]
        if target.is_dir():
            return target
        with self._lock("layer:" + digest):
            if target.is_dir():
                return target
            tmp = self.layers_dir / f".tmp-{target.name}-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            try:
                with open(blob, "rb") as raw:
                    unpack_layer(_decompress(raw, media_type), tmp)
            except PullError:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            except (OSError, tarfile.TarError, EOFError, ValueError) as e:
                shutil.rmtree(tmp, ignore_errors=True)
                raise PullError(f"failed to unpack layer {digest}: {e}") from None
            os.rename(tmp, target)
            return target


def _decompress(raw: BinaryIO, media_type: str) -> BinaryIO:
    """The layer's tar stream: gzip and zstd are recognised by their magic bytes (a media
    type that says otherwise does not matter, as for containerd), anything else is plain tar."""
    head = raw.read(4)
    raw.seek(0)
    if head[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    if head == b"\x28\xb5\x2f\xfd":
        import zstandard  # only layers that need it pay for the import

        return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    if media_type.endswith("+zstd") and head:
        raise PullError(f"layer of media type {media_type} is not zstd-compressed")
    return raw


class _PaddedTar:
    """A tar stream read as GNU tar and Go's archive/tar (containerd, docker) read it: an
    archive may end right after a member's data, without the padding to 512 bytes and the
    two zero blocks that close it (`umoci insert` writes such layers). At the real end of the
    stream this reader supplies those zero bytes, and remembers where the real bytes ended
    (`end`) so that a member whose data is cut short is still refused."""

    _TAIL = 512 + 1024  # at most one block's padding, then the two end-of-archive blocks

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.pos = 0
        self.end: int | None = None
        self._zeros = 0

    def read(self, size: int = -1) -> bytes:
        if self.end is None:
            data = self.inner.read(size) if size >= 0 else self.inner.read()
            if data or size == 0:
                self.pos += len(data)
                return data
            self.end = self.pos
            self._zeros = (-self.pos) % 512 + 1024
        n = self._zeros if size < 0 else min(size, self._zeros)
        self._zeros -= n
        self.pos += n
        return bytes(n)

    def truncated(self, member: tarfile.TarInfo) -> bool:
        """Whether `member`'s data runs past the real end of the stream."""
        return self.end is not None and member.offset_data + (member.size if member.isreg() else 0) > self.end


def unpack_layer(stream: BinaryIO, dest: Path) -> None:
    """Extract one layer tar into `dest` in overlayfs form (whiteouts as 0/0 character
    devices, opaque directories marked with trusted.overlay.opaque=y).

    Read as GNU tar and containerd read layers: the end-of-archive blocks (and the last
    member's padding) may be missing, anything after the end blocks is ignored, PAX and GNU
    long names and links are understood, PAX xattrs applied; a member cut short is an error."""
    padded = _PaddedTar(stream)
    with tarfile.open(fileobj=padded, mode="r|") as tar:  # type: ignore[call-overload]
        for member in tar:
            name = os.path.normpath(member.name.lstrip("/"))
            if name in (".", "") or name.startswith(".."):
                continue
            base = os.path.basename(name)
            parent = os.path.dirname(name)
            if base == ".wh..wh..opq":
                d = dest / parent
                d.mkdir(parents=True, exist_ok=True)
                os.setxattr(d, "trusted.overlay.opaque", b"y")
                continue
            if base.startswith(".wh."):
                d = dest / parent
                d.mkdir(parents=True, exist_ok=True)
                path = d / base[4:]
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                elif path.exists() or path.is_symlink():
                    path.unlink()
                os.mknod(path, stat.S_IFCHR | 0o000, os.makedev(0, 0))
                continue
            member.name = name
            if member.islnk():
                # Hard links name their target from the layer's root ("/bin/x", "./bin/x").
                member.linkname = os.path.normpath(member.linkname.lstrip("/"))
                if member.linkname.startswith("..") or member.linkname == ".":
                    continue
            existing = dest / name
            if (existing.exists() or existing.is_symlink()) and not (existing.is_dir() and member.isdir()):
                if existing.is_dir() and not existing.is_symlink():
                    shutil.rmtree(existing)
                else:
                    existing.unlink()
            tar.extract(member, dest, set_attrs=True, numeric_owner=True, filter="tar")
            if padded.truncated(member):
                raise tarfile.ReadError(f"unexpected end of data in {member.name!r}")
            _apply_xattrs(member, dest / name)


def _apply_xattrs(member: tarfile.TarInfo, path: Path) -> None:
    """Extended attributes carried in PAX headers (`SCHILY.xattr.<name>`, as GNU tar and
    containerd write and apply them: file capabilities such as ping's cap_net_raw)."""
    for key, value in member.pax_headers.items():
        if not key.startswith("SCHILY.xattr.") or member.issym():
            continue
        try:
            os.setxattr(path, key[len("SCHILY.xattr.") :], value.encode("utf-8", "surrogateescape"), follow_symlinks=False)
        except OSError as e:
            if e.errno not in (errno.ENOTSUP, errno.EPERM, errno.EACCES, errno.EINVAL):  # not kept here: as containerd, go on
                raise


# --- overlayfs ---------------------------------------------------------------------------

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
MNT_DETACH = 2


def mount_rootfs(layers: list[Path], upper: Path, work: Path, target: Path) -> None:
    """Mount the image's layers (lowest first) under a writable upper dir at `target`."""
    for d in (upper, work, target):
        d.mkdir(parents=True, exist_ok=True)
    if not layers:
        layers = [_empty_layer(target.parent)]
    lower = ":".join(str(p) for p in reversed(layers))
    opts = f"lowerdir={lower},upperdir={upper},workdir={work}"
    if _libc.mount(b"overlay", str(target).encode(), b"overlay", 0, opts.encode()) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount overlay on {target}: {os.strerror(err)}")


def _empty_layer(where: Path) -> Path:
    p = where / "empty-layer"
    p.mkdir(exist_ok=True)
    return p


def unmount(target: Path) -> None:
    with contextlib.suppress(OSError):
        if _libc.umount2(str(target).encode(), MNT_DETACH) != 0:
            err = ctypes.get_errno()
            if err not in (22, 2):  # EINVAL: not mounted; ENOENT
                raise OSError(err, os.strerror(err))

