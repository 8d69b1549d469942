"""ECR's durable state and its rules, as synchronous functions over one store transaction.

Tables (keys start with `<account>|<region>|`, the "scope"; '|' cannot occur in names):
  ecr.repos      scope+name                      repository document
  ecr.manifests  scope+name|digest               one pushed manifest (image) with its tags
  ecr.tags       scope+name|tag                  {digest, at}
  ecr.links      scope+name|digest               a blob this repository may serve {size, at, touched, kind}
  ecr.refcount   scope+name|digest               {n}: manifests of the repo that reference the blob
  ecr.referrers  scope+name|subject|digest       the referrer's descriptor
  ecr.blobidx    digest|scope+name               reverse index of links (mount without `from`, GC)
  ecr.uploads    upload id                       an upload session {account, region, repo, ...}
  ecr.pins       digest|pin id                   a blob being written: GC must not delete it
  ecr.gc         mark|digest, tomb|digest        collector's marks and in-flight deletions
  ecr.meta       secret, registry|scope, preview|scope+name

Bytes live in the registry's blob store (content addressed); this module never touches
them. The garbage-collection protocol (see gc.py) relies on: every new link is preceded
by a pin (which waits out a tombstone), and the collector only tombstones a digest that has
no link and no pin, inside one transaction.
"""

from __future__ import annotations

import re
import time
from typing import Any

from gureum.aws import arn as arns
from gureum.services.ecr import templates
from gureum.services.ecr.oci import Manifest
from gureum.store.base import Txn

REPOS = "ecr.repos"
MANIFESTS = "ecr.manifests"
TAGS = "ecr.tags"
LINKS = "ecr.links"
REFCOUNT = "ecr.refcount"
REFERRERS = "ecr.referrers"
BLOBIDX = "ecr.blobidx"
UPLOADS = "ecr.uploads"
PINS = "ecr.pins"
GC = "ecr.gc"
META = "ecr.meta"



# --- errors (each carries its ECR API code and its registry-protocol code) -----------
class EcrError(Exception):
    aws_code = "ServerException"
    oci_code = "UNKNOWN"
    oci_status = 500

    def __init__(self, message: str, detail: Any = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.fields = fields


class RepositoryNotFound(EcrError):
    """The repository does not exist in this account and region."""

    aws_code, oci_code, oci_status = "RepositoryNotFoundException", "NAME_UNKNOWN", 404


class RepositoryAlreadyExists(EcrError):
    aws_code, oci_code, oci_status = "RepositoryAlreadyExistsException", "DENIED", 400


class RepositoryNotEmpty(EcrError):
    aws_code, oci_code, oci_status = "RepositoryNotEmptyException", "DENIED", 400


class ImageNotFound(EcrError):
    aws_code, oci_code, oci_status = "ImageNotFoundException", "MANIFEST_UNKNOWN", 404


class ImageArchived(ImageNotFound):
    """The image is in the ARCHIVE storage class: it cannot be pulled (404) until restored."""


class ImageStorageClassUpdateNotSupported(EcrError):
    aws_code = "ImageStorageClassUpdateNotSupportedException"
    oci_code, oci_status = "UNSUPPORTED", 400


class LayersNotFound(EcrError):
    """A manifest names a blob the repository does not have (or with another size)."""

    aws_code, oci_code, oci_status = "LayersNotFoundException", "MANIFEST_BLOB_UNKNOWN", 400


class ReferencedImagesNotFound(EcrError):
    aws_code, oci_code, oci_status = "ReferencedImagesNotFoundException", "MANIFEST_BLOB_UNKNOWN", 400


class ImageTagAlreadyExists(EcrError):
    aws_code, oci_code, oci_status = "ImageTagAlreadyExistsException", "TAG_INVALID", 400


class ImageAlreadyExists(EcrError):
    aws_code, oci_code, oci_status = "ImageAlreadyExistsException", "MANIFEST_INVALID", 400


class BlobUnknown(EcrError):
    aws_code, oci_code, oci_status = "LayersNotFoundException", "BLOB_UNKNOWN", 404


class BlobInUse(EcrError):
    aws_code, oci_code, oci_status = "InvalidParameterException", "UNSUPPORTED", 405


class UploadNotFound(EcrError):
    aws_code, oci_code, oci_status = "UploadNotFoundException", "BLOB_UPLOAD_UNKNOWN", 404


class Busy(EcrError):
    """The collector is deleting this digest right now; retry in a moment."""

    aws_code, oci_code, oci_status = "ServerException", "TOOMANYREQUESTS", 429


# --- keys -------------------------------------------------------------------------------
def scope_of(account: str, region: str) -> str:
    return f"{account}|{region}|"


def repo_key(scope: str, name: str) -> str:
    return scope + name


def sub_key(scope: str, name: str, *parts: str) -> str:
    return scope + name + "|" + "|".join(parts)


def split_scope(scope: str) -> tuple[str, str]:
    account, region, _ = scope.split("|", 2)
    return account, region


# --- repositories -------------------------------------------------------------------------
def wildcard_match(pattern: str, value: str) -> bool:
    """ECR wildcards: only `*` (any run of characters) is special."""
    rx = "".join(".*" if c == "*" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, value) is not None


def tag_is_immutable(repo: dict[str, Any], tag: str) -> bool:
    mode = repo.get("imageTagMutability", "MUTABLE")
    filters = [f.get("filter", "") for f in repo.get("imageTagMutabilityExclusionFilters") or []]
    matched = any(wildcard_match(f, tag) for f in filters)
    if mode == "IMMUTABLE":
        return True
    if mode == "IMMUTABLE_WITH_EXCLUSION":
        return not matched
    if mode == "MUTABLE_WITH_EXCLUSION":
        return matched
    return False


def new_repo(scope: str, name: str, now: float, **settings: Any) -> dict[str, Any]:
    account, region = split_scope(scope)
    doc = {
        "repositoryName": name,
        "registryId": account,
        "region": region,
        "repositoryArn": arns.ecr_repository(region, account, name),
        "createdAt": now,
        "imageTagMutability": settings.get("imageTagMutability") or "MUTABLE",
        "imageTagMutabilityExclusionFilters": settings.get("imageTagMutabilityExclusionFilters") or [],
        "imageScanningConfiguration": settings.get("imageScanningConfiguration") or {"scanOnPush": False},
        "encryptionConfiguration": settings.get("encryptionConfiguration") or {"encryptionType": "AES256"},
        "tags": settings.get("tags") or [],
        "policyText": settings.get("policyText"),
        "lifecyclePolicyText": settings.get("lifecyclePolicyText"),
        "lifecycleEvaluatedAt": None,
    }
    if settings.get("createdFromTemplate"):
        doc["createdFromTemplate"] = settings["createdFromTemplate"]
    return doc


def create_repo(txn: Txn, scope: str, name: str, now: float, **settings: Any) -> dict[str, Any]:
    doc = new_repo(scope, name, now, **settings)
    if not txn.insert(REPOS, repo_key(scope, name), doc):
        account, _ = split_scope(scope)
        raise RepositoryAlreadyExists(
            f"The repository with name '{name}' already exists in the registry with id '{account}'"
        )
    txn.publish("ecr.repository", {"scope": scope, "name": name, "event": "created"})
    return doc


def get_repo(txn: Txn, scope: str, name: str) -> dict[str, Any] | None:
    return txn.get(REPOS, repo_key(scope, name))


def require_repo(txn: Txn, scope: str, name: str) -> dict[str, Any]:
    doc = txn.get(REPOS, repo_key(scope, name))
    if doc is None:
        account, _ = split_scope(scope)
        raise RepositoryNotFound(
            f"The repository with name '{name}' does not exist in the registry with id '{account}'",
            {"name": name},
        )
    return doc


def ensure_repo(txn: Txn, scope: str, name: str, now: float, create: bool) -> dict[str, Any]:
    """The repository, created with defaults on first push when `create` (ECR's
    create-on-push); RepositoryNotFound otherwise."""
    doc = txn.get(REPOS, repo_key(scope, name))
    if doc is None:
        if not create:
            require_repo(txn, scope, name)
        doc = create_by_ecr(txn, scope, name, now, "CREATE_ON_PUSH")
    return doc


def create_by_ecr(txn: Txn, scope: str, name: str, now: float, applied_for: str, **fallback: Any) -> dict[str, Any]:
    """A repository ECR creates itself (`applied_for`: CREATE_ON_PUSH, PULL_THROUGH_CACHE or
    REPLICATION): with the settings of the repository creation template that applies
    (templates.py), else with `fallback` (defaults, or the replicated repository's)."""
    template = templates.matching(txn, scope, name, applied_for)
    settings = templates.repo_settings(template) if template is not None else fallback
    return create_repo(txn, scope, name, now, **settings)


def update_repo(txn: Txn, scope: str, name: str, **changes: Any) -> dict[str, Any]:
    doc = require_repo(txn, scope, name)
    doc.update(changes)
    txn.put(REPOS, repo_key(scope, name), doc)
    return doc


def list_repos(txn: Txn, scope: str, *, start: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    rows = txn.scan(REPOS, scope, start=(scope + start) if start is not None else None, limit=limit)
    return [doc for _, doc in rows]


def all_scopes_with_repos(txn: Txn) -> list[tuple[str, str]]:
    """(scope, name) of every repository, every account and region."""
    out = []
    for key, _doc in txn.scan(REPOS):
        account, region, name = key.split("|", 2)
        out.append((f"{account}|{region}|", name))
    return out


def delete_repo(txn: Txn, scope: str, name: str, force: bool) -> dict[str, Any]:
    doc = require_repo(txn, scope, name)
    prefix = sub_key(scope, name, "")
    if not force and txn.count(MANIFESTS, prefix) > 0:
        account, _ = split_scope(scope)
        raise RepositoryNotEmpty(
            f"The repository with name '{name}' in registry with id '{account}' cannot be deleted "
            "because it still contains images"
        )
    for key, _ in txn.scan(LINKS, prefix):
        digest = key[len(prefix):]
        txn.delete(BLOBIDX, f"{digest}|{scope}{name}")
    for table in (MANIFESTS, TAGS, LINKS, REFCOUNT, REFERRERS):
        txn.delete_prefix(table, prefix)
    txn.delete(META, "preview|" + scope + name)
    txn.delete(REPOS, repo_key(scope, name))
    txn.publish("ecr.repository", {"scope": scope, "name": name, "event": "deleted"})
    return doc


# --- blob links ------------------------------------------------------------------------------
def get_link(txn: Txn, scope: str, name: str, digest: str) -> dict[str, Any] | None:
    return txn.get(LINKS, sub_key(scope, name, digest))


def link_blob(txn: Txn, scope: str, name: str, digest: str, size: int, now: float, kind: str = "blob") -> None:
    key = sub_key(scope, name, digest)
    old = txn.get(LINKS, key)
    if old is not None and old.get("kind") == "manifest" and kind == "blob":
        kind = "manifest"
    txn.put(LINKS, key, {"size": size, "at": now, "touched": now, "kind": kind})
    txn.put(BLOBIDX, f"{digest}|{scope}{name}", {})


def unlink_blob(txn: Txn, scope: str, name: str, digest: str) -> None:
    txn.delete(LINKS, sub_key(scope, name, digest))
    txn.delete(BLOBIDX, f"{digest}|{scope}{name}")


def touch_link(txn: Txn, scope: str, name: str, digest: str, now: float, stale_after: float) -> None:
    """Record that a client saw this blob (HEAD before skipping an upload), so the collector
    leaves the link alone for its grace period. Written only when stale: rare writes."""
    key = sub_key(scope, name, digest)
    doc = txn.get(LINKS, key)
    if doc is not None and now - doc.get("touched", 0) > stale_after:
        doc["touched"] = now
        txn.put(LINKS, key, doc)


def delete_blob_link(txn: Txn, scope: str, name: str, digest: str) -> None:
    """DELETE /v2/<name>/blobs/<digest>: the repository forgets the blob (the collector
    reclaims the bytes later). Refused while a manifest of the repository needs it."""
    require_repo(txn, scope, name)
    link = get_link(txn, scope, name, digest)
    if link is None:
        raise BlobUnknown("blob unknown to registry", {"digest": digest})
    if link.get("kind") == "manifest" or _refcount(txn, scope, name, digest) > 0:
        raise BlobInUse(f"blob {digest} is referenced by a manifest of {name}; delete the manifest first")
    unlink_blob(txn, scope, name, digest)


def find_link_elsewhere(txn: Txn, scope: str, digest: str) -> str | None:
    """Another repository of the same account and region holding this blob (for a mount
    without `from`)."""
    for key, _ in txn.scan(BLOBIDX, f"{digest}|{scope}", limit=1):
        return key.split("|", 3)[3]
    return None


def mount_blob(txn: Txn, scope: str, name: str, digest: str, source: str, now: float, create: bool) -> dict[str, Any] | None:
    """Link `digest` from repository `source` (same scope) into `name`; None when the source
    does not have it (the client then uploads)."""
    src = get_link(txn, scope, source, digest)
    if src is None or get_repo(txn, scope, source) is None:
        return None
    if txn.get(GC, "tomb|" + digest) is not None:
        return None
    ensure_repo(txn, scope, name, now, create)
    link_blob(txn, scope, name, digest, src["size"], now)
    return src


# --- pins: a blob being written is out of the collector's reach ----------------------
def pin(txn: Txn, digest: str, pin_id: str, now: float) -> None:
    if txn.get(GC, "tomb|" + digest) is not None:
        raise Busy(f"blob {digest} is being garbage-collected; retry")
    txn.put(PINS, f"{digest}|{pin_id}", {"at": now})


def unpin(txn: Txn, digest: str, pin_id: str) -> None:
    txn.delete(PINS, f"{digest}|{pin_id}")


# --- manifests ---------------------------------------------------------------------------------
def _refcount(txn: Txn, scope: str, name: str, digest: str) -> int:
    doc = txn.get(REFCOUNT, sub_key(scope, name, digest))
    return doc["n"] if doc else 0


def _add_ref(txn: Txn, scope: str, name: str, digest: str, delta: int) -> None:
    key = sub_key(scope, name, digest)
    n = _refcount(txn, scope, name, digest) + delta
    if n > 0:
        txn.put(REFCOUNT, key, {"n": n})
    else:
        txn.delete(REFCOUNT, key)


def get_manifest(txn: Txn, scope: str, name: str, digest: str) -> dict[str, Any] | None:
    return txn.get(MANIFESTS, sub_key(scope, name, digest))


def resolve(txn: Txn, scope: str, name: str, ref: str) -> dict[str, Any]:
    """The manifest document for a tag or digest (RepositoryNotFound / ImageNotFound)."""
    require_repo(txn, scope, name)
    if ":" in ref:
        doc = get_manifest(txn, scope, name, ref)
    else:
        t = txn.get(TAGS, sub_key(scope, name, ref))
        doc = get_manifest(txn, scope, name, t["digest"]) if t else None
    if doc is None:
        account, _ = split_scope(scope)
        what = f"imageDigest={ref}" if ":" in ref else f"imageTag={ref}"
        raise ImageNotFound(
            f"The image with imageId {{{what}}} does not exist within the repository with name "
            f"'{name}' in the registry with id '{account}'",
            {"reference": ref},
        )
    return doc


def manifest_doc(m: Manifest, now: float) -> dict[str, Any]:
    return {
        "digest": m.digest,
        "mediaType": m.media_type,
        "artifactType": m.artifact_type,
        "size": m.size,
        "pushedAt": now,
        "config": {"mediaType": m.config.media_type, "digest": m.config.digest, "size": m.config.size} if m.config else None,
        "imageSize": m.image_size,
        "refs": sorted({d.digest for d in m.blob_refs()}),
        "children": [d.digest for d in m.manifests],
        "subject": m.subject.digest if m.subject else None,
        "annotations": m.annotations or None,
        "tags": [],
        "lastPull": None,
        "scan": None,
    }


def put_manifest(
    txn: Txn,
    scope: str,
    name: str,
    m: Manifest,
    tag: str | None,
    now: float,
    *,
    create: bool,
    pin_id: str | None = None,
    put_image: bool = False,
) -> dict[str, Any]:
    """Store a manifest (its bytes are already in the blob store under m.digest) and point
    `tag` at it. Checks every referenced blob/child is in the repository with the declared
    size, and tag immutability. Returns the manifest document and whether anything changed.

    `put_image` gives ECR PutImage's stricter answers (ImageAlreadyExists on a no-op)."""
    repo = ensure_repo(txn, scope, name, now, create)
    if pin_id is not None:
        unpin(txn, m.digest, pin_id)
    existing = get_manifest(txn, scope, name, m.digest)
    old_tag = txn.get(TAGS, sub_key(scope, name, tag)) if tag else None
    if put_image and existing is not None:
        if tag is None:
            raise ImageAlreadyExists(
                f"Image with digest '{m.digest}' already exists in the repository with name '{name}' "
                f"in registry with id '{repo['registryId']}'"
            )
        if old_tag is not None and old_tag["digest"] == m.digest:
            raise ImageAlreadyExists(
                f"Image with digest '{m.digest}' and tag '{tag}' already exists in the repository with "
                f"name '{name}' in registry with id '{repo['registryId']}'"
            )
    if tag and old_tag is not None and old_tag["digest"] != m.digest and tag_is_immutable(repo, tag):
        raise ImageTagAlreadyExists(
            f"The image tag '{tag}' already exists in the '{name}' repository and cannot be overwritten "
            "because the tag is immutable.",
            {"tag": tag},
        )
    if existing is None:
        for d in m.blob_refs():
            link = get_link(txn, scope, name, d.digest)
            if link is None:
                raise LayersNotFound(
                    f"Layers with digests ['{d.digest}'] required for pushing image into repository "
                    f"with name '{name}' in the registry with id '{repo['registryId']}' do not exist",
                    {"digest": d.digest},
                )
            if link["size"] != d.size:
                raise LayersNotFound(
                    f"blob {d.digest} is {link['size']} bytes, the manifest says {d.size}", {"digest": d.digest}
                )
        for d in m.manifests:
            child = get_manifest(txn, scope, name, d.digest)
            if child is None:
                raise ReferencedImagesNotFound(
                    f"Some of the referenced images ['{d.digest}'] do not exist in the repository "
                    f"with name '{name}' in the registry with id '{repo['registryId']}'",
                    {"digest": d.digest},
                )
            if child["size"] != d.size:
                raise ReferencedImagesNotFound(
                    f"manifest {d.digest} is {child['size']} bytes, the index says {d.size}", {"digest": d.digest}
                )
        doc = manifest_doc(m, now)
        if repo.get("imageScanningConfiguration", {}).get("scanOnPush") and not m.is_index:
            doc["scan"] = {"status": "PENDING", "requestedAt": now}
        for dg in doc["refs"]:
            _add_ref(txn, scope, name, dg, +1)
        for dg in doc["children"]:
            _add_ref(txn, scope, name, dg, +1)
        link_blob(txn, scope, name, m.digest, m.size, now, kind="manifest")
        if m.subject is not None:
            txn.put(REFERRERS, sub_key(scope, name, m.subject.digest, m.digest), m.referrer_descriptor().to_json())
        created = True
    else:
        doc = existing
        created = False
        if doc.get("imageStatus") == "ARCHIVED":  # pushing an archived image again restores it (AWS)
            doc.update(imageStatus="ACTIVE", lastActivatedAt=now)
            created = True
    changed_tag = False
    if tag and (old_tag is None or old_tag["digest"] != m.digest):
        if old_tag is not None:
            prev = get_manifest(txn, scope, name, old_tag["digest"])
            if prev is not None:
                prev["tags"] = [t for t in prev["tags"] if t != tag]
                txn.put(MANIFESTS, sub_key(scope, name, prev["digest"]), prev)
        txn.put(TAGS, sub_key(scope, name, tag), {"digest": m.digest, "at": now})
        doc["tags"] = sorted(set(doc["tags"]) | {tag})
        changed_tag = True
    if created or changed_tag:
        txn.put(MANIFESTS, sub_key(scope, name, m.digest), doc)
        txn.publish("ecr.image", {"scope": scope, "name": name, "digest": m.digest, "tag": tag, "event": "pushed"})
    return {"manifest": doc, "created": created, "tagged": changed_tag, "repo": repo}


def untag(txn: Txn, scope: str, name: str, tag: str) -> dict[str, Any]:
    require_repo(txn, scope, name)
    t = txn.get(TAGS, sub_key(scope, name, tag))
    if t is None:
        raise ImageNotFound(f"tag {tag} not found", {"reference": tag})
    txn.delete(TAGS, sub_key(scope, name, tag))
    doc = get_manifest(txn, scope, name, t["digest"])
    if doc is not None:
        doc["tags"] = [x for x in doc["tags"] if x != tag]
        txn.put(MANIFESTS, sub_key(scope, name, doc["digest"]), doc)
    return doc or {}


def referenced_by_index(txn: Txn, scope: str, name: str, digest: str) -> bool:
    return _refcount(txn, scope, name, digest) > 0 and any(
        digest in doc.get("children", ()) for _, doc in txn.scan(MANIFESTS, sub_key(scope, name, ""))
    )


def delete_manifest(txn: Txn, scope: str, name: str, digest: str) -> dict[str, Any]:
    """Remove a manifest and every tag pointing at it; blob links stay (the collector
    reclaims unreferenced ones after its grace period)."""
    doc = resolve(txn, scope, name, digest)
    for tag in doc.get("tags", []):
        txn.delete(TAGS, sub_key(scope, name, tag))
    for dg in doc.get("refs", []):
        _add_ref(txn, scope, name, dg, -1)
    for dg in doc.get("children", []):
        _add_ref(txn, scope, name, dg, -1)
    if doc.get("subject"):
        txn.delete(REFERRERS, sub_key(scope, name, doc["subject"], digest))
    txn.delete(MANIFESTS, sub_key(scope, name, digest))
    # The manifest's own bytes become an ordinary unreferenced link: collectable later.
    link = get_link(txn, scope, name, digest)
    if link is not None:
        link["kind"] = "blob"
        txn.put(LINKS, sub_key(scope, name, digest), link)
    txn.publish("ecr.image", {"scope": scope, "name": name, "digest": digest, "event": "deleted"})
    return doc


def list_manifests(txn: Txn, scope: str, name: str) -> list[dict[str, Any]]:
    return [doc for _, doc in txn.scan(MANIFESTS, sub_key(scope, name, ""))]


def record_pull(txn: Txn, scope: str, name: str, digest: str, now: float, every: float) -> None:
    key = sub_key(scope, name, digest)
    doc = txn.get(MANIFESTS, key)
    if doc is not None and (doc.get("lastPull") is None or now - doc["lastPull"] > every):
        doc["lastPull"] = now
        txn.put(MANIFESTS, key, doc)


def list_tags(txn: Txn, scope: str, name: str, n: int | None, last: str | None) -> tuple[list[str], bool]:
    require_repo(txn, scope, name)
    prefix = sub_key(scope, name, "")
    start = prefix + last + "\x00" if last else None
    limit = None if n is None else n + 1
    rows = txn.scan(TAGS, prefix, start=start, limit=limit)
    tags = [k[len(prefix):] for k, _ in rows]
    if n is not None and len(tags) > n:
        return tags[:n], True
    return tags, False


def list_referrers(txn: Txn, scope: str, name: str, subject: str) -> list[dict[str, Any]]:
    if get_repo(txn, scope, name) is None:
        return []
    return [doc for _, doc in txn.scan(REFERRERS, sub_key(scope, name, subject, ""))]


def catalog(txn: Txn, scope: str, n: int | None, last: str | None) -> tuple[list[str], bool]:
    start = scope + last + "\x00" if last else None
    rows = txn.scan(REPOS, scope, start=start, limit=None if n is None else n + 1)
    names = [k[len(scope):] for k, _ in rows]
    if n is not None and len(names) > n:
        return names[:n], True
    return names, False


# --- upload sessions ----------------------------------------------------------------------------
def start_upload(txn: Txn, upload_id: str, scope: str, name: str, now: float, api: str = "oci") -> dict[str, Any]:
    account, region = split_scope(scope)
    doc = {"account": account, "region": region, "repo": name, "startedAt": now, "updatedAt": now, "api": api}
    txn.put(UPLOADS, upload_id, doc)
    return doc


def get_upload(txn: Txn, upload_id: str, scope: str, name: str) -> dict[str, Any]:
    doc = txn.get(UPLOADS, upload_id)
    account, region = split_scope(scope)
    if doc is None or doc["account"] != account or doc["region"] != region or doc["repo"] != name:
        raise UploadNotFound(
            f"Upload with id '{upload_id}' is not found in repository '{name}'", {"uuid": upload_id}
        )
    return doc


def touch_upload(txn: Txn, upload_id: str, now: float) -> None:
    doc = txn.get(UPLOADS, upload_id)
    if doc is not None:
        doc["updatedAt"] = now
        txn.put(UPLOADS, upload_id, doc)


def end_upload(txn: Txn, upload_id: str) -> bool:
    return txn.delete(UPLOADS, upload_id)


def stale_uploads(txn: Txn, older_than: float) -> list[str]:
    return [k for k, doc in txn.scan(UPLOADS) if doc.get("updatedAt", 0) < older_than]


# --- registry-level settings ---------------------------------------------------------------------
def registry_settings(txn: Txn, scope: str) -> dict[str, Any]:
    return txn.get(META, "registry|" + scope) or {}


def put_registry_settings(txn: Txn, scope: str, **changes: Any) -> dict[str, Any]:
    doc = registry_settings(txn, scope)
    doc.update(changes)
    txn.put(META, "registry|" + scope, doc)
    return doc


def now() -> float:
    return time.time()


# --- replication: copy an image between scopes (blobs are shared, links are per repo) ----
def copy_image(txn: Txn, src: str, name: str, digest: str, dst: str, now: float) -> str:
    """Replicate manifest `digest` (with its index children, blobs and tags) from repository
    `name` in scope `src` to the same-named repository in scope `dst` (created with the
    source's settings when absent). Returns COMPLETE or FAILED."""
    repo = require_repo(txn, src, name)
    top = get_manifest(txn, src, name, digest)
    if top is None:
        return "FAILED"
    order: list[dict[str, Any]] = []

    def walk(doc: dict[str, Any]) -> None:
        for child in doc.get("children", []):
            c = get_manifest(txn, src, name, child)
            if c is not None:
                walk(c)
        order.append(doc)

    walk(top)
    target = get_repo(txn, dst, name)
    if target is None:
        settings = {k: repo.get(k) for k in ("imageTagMutability", "imageTagMutabilityExclusionFilters",
                                             "imageScanningConfiguration", "encryptionConfiguration")}
        target = create_by_ecr(txn, dst, name, now, "REPLICATION", **settings)
    for doc in order:
        for dg in [*doc.get("refs", []), doc["digest"]]:
            link = get_link(txn, src, name, dg)
            if link is None:
                return "FAILED"
        if get_manifest(txn, dst, name, doc["digest"]) is not None:
            continue
        for dg in doc.get("refs", []):
            link = get_link(txn, src, name, dg)
            if link is None:
                return "FAILED"
            link_blob(txn, dst, name, dg, link["size"], now)
        copy = dict(doc, tags=[], lastPull=None, pushedAt=now, scan=None, replication=None)
        for dg in copy["refs"]:
            _add_ref(txn, dst, name, dg, +1)
        for dg in copy["children"]:
            _add_ref(txn, dst, name, dg, +1)
        link_blob(txn, dst, name, doc["digest"], doc["size"], now, kind="manifest")
        if doc.get("subject"):
            ref = txn.get(REFERRERS, sub_key(src, name, doc["subject"], doc["digest"]))
            if ref is not None:
                txn.put(REFERRERS, sub_key(dst, name, doc["subject"], doc["digest"]), ref)
        txn.put(MANIFESTS, sub_key(dst, name, doc["digest"]), copy)
    dst_doc = get_manifest(txn, dst, name, digest)
    assert dst_doc is not None
    for tag in top.get("tags", []):
        old = txn.get(TAGS, sub_key(dst, name, tag))
        if old is not None and old["digest"] == digest:
            continue
        if old is not None and tag_is_immutable(target, tag):
            return "FAILED"
        if old is not None:
            prev = get_manifest(txn, dst, name, old["digest"])
            if prev is not None:
                prev["tags"] = [t for t in prev["tags"] if t != tag]
                txn.put(MANIFESTS, sub_key(dst, name, prev["digest"]), prev)
        txn.put(TAGS, sub_key(dst, name, tag), {"digest": digest, "at": now})
        dst_doc["tags"] = sorted(set(dst_doc["tags"]) | {tag})
    txn.put(MANIFESTS, sub_key(dst, name, digest), dst_doc)
    txn.publish("ecr.image", {"scope": dst, "name": name, "digest": digest, "event": "replicated"})
    return "COMPLETE"


# --- storage classes (UpdateImageStorageClass) --------------------------------------------------
def require_pullable(doc: dict[str, Any]) -> dict[str, Any]:
    """ImageArchived (a 404 to a registry client, as AWS answers) for an archived image."""
    if doc.get("imageStatus") == "ARCHIVED":
        raise ImageArchived(f"The image with digest '{doc['digest']}' is archived; restore it to pull it",
                            {"digest": doc["digest"]})
    return doc


def set_storage_class(txn: Txn, scope: str, name: str, digest: str, target: str, now: float) -> str:
    """Move image `digest` to `target` (STANDARD or ARCHIVE); returns its status. An archived
    image is restored at once here (AWS reports ACTIVATING for up to 20 minutes first): the
    answer to the restore says ACTIVATING, the image is ACTIVE from then on."""
    doc = get_manifest(txn, scope, name, digest)
    if doc is None:
        raise ImageNotFound(f"The image with digest '{digest}' does not exist in the repository with name '{name}'")
    status = doc.get("imageStatus") or "ACTIVE"
    if target == "ARCHIVE":
        if status == "ARCHIVED":
            return status
        if referenced_by_index(txn, scope, name, digest):
            raise ImageStorageClassUpdateNotSupported(
                f"The image with digest '{digest}' is referenced by an image index: archive the index instead")
        doc.update(imageStatus="ARCHIVED", lastArchivedAt=now)
        answer = "ARCHIVED"
    else:
        if status != "ARCHIVED":
            return status
        doc.update(imageStatus="ACTIVE", lastActivatedAt=now)
        answer = "ACTIVATING"
    txn.put(MANIFESTS, sub_key(scope, name, digest), doc)
    for child in doc.get("children", []):  # an index moves with its children
        c = get_manifest(txn, scope, name, child)
        if c is not None:
            c.update({k: doc[k] for k in ("imageStatus", "lastArchivedAt", "lastActivatedAt") if k in doc})
            txn.put(MANIFESTS, sub_key(scope, name, child), c)
    txn.publish("ecr.image", {"scope": scope, "name": name, "digest": digest, "event": "storage-class"})
    return answer
