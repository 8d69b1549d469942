"""ECR API handlers (json protocol): one thin function per operation over the registry
engine (engine.py) and the state rules (model.py)."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.policy import resource_policies
from gureum.public import public_netloc
from gureum.services.ecr import auth, lifecycle, model, oci, pull_time, replication, scanning, upstream
from gureum.services.ecr.engine import RangeMismatch, Registry, Scope, registry_of
from gureum.services.ecr.http import download_url

PART_SIZE = 10 * 1024 * 1024
T = TypeVar("T")
# ECR: a bad key or value is InvalidTagParameterException, more than 50 TooManyTagsException.
TAG_RULES = tags.Rules(invalid=lambda m: AwsError.modeled("ecr", "InvalidTagParameterException", m),
                       too_many=lambda m: AwsError.modeled("ecr", "TooManyTagsException", m),
                       too_many_message="the repository can have at most {max} tags")


def ecr(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register an ECR operation; model and registry errors become ECR's exceptions."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        async def handler(ctx: RequestContext, params: dict[str, Any]) -> Any:
            try:
                return await fn(ctx, params)
            except model.EcrError as e:
                raise AwsError.modeled("ecr", e.aws_code, e.message) from None
            except oci.RegistryError as e:
                raise AwsError.modeled("ecr", "InvalidParameterException", e.message) from None
            except lifecycle.PolicyError as e:
                raise AwsError.modeled("ecr", "InvalidParameterException", str(e)) from None

        return operation("ecr", name)(handler)

    return wrap


def _ctx(ctx: RequestContext, params: dict[str, Any]) -> tuple[Registry, Scope, str]:
    account = params.get("registryId") or ctx.account_id
    return registry_of(ctx.app), Scope(account, ctx.region), account


def registry_host(ctx: RequestContext) -> str:
    """The advertised address (not the caller's Host): repository URIs are kept and pulled
    by other clients (ECS tasks, other nodes)."""
    return public_netloc(ctx.app)


def repository_uri(ctx: RequestContext, account: str, name: str) -> str:
    """`localhost:<port>/<name>`: usable as is by docker/podman/skopeo. The registry maps
    it to the account and region of the client's token (default account otherwise)."""
    return f"{registry_host(ctx)}/{name}"


def repo_out(ctx: RequestContext, doc: dict[str, Any]) -> dict[str, Any]:
    out = {
        "repositoryArn": doc["repositoryArn"],
        "registryId": doc["registryId"],
        "repositoryName": doc["repositoryName"],
        "repositoryUri": repository_uri(ctx, doc["registryId"], doc["repositoryName"]),
        "createdAt": doc["createdAt"],
        "imageTagMutability": doc["imageTagMutability"],
        "imageScanningConfiguration": doc["imageScanningConfiguration"],
        "encryptionConfiguration": doc["encryptionConfiguration"],
    }
    if doc.get("imageTagMutabilityExclusionFilters"):
        out["imageTagMutabilityExclusionFilters"] = doc["imageTagMutabilityExclusionFilters"]
    return out


def _bad_token() -> AwsError:
    return AwsError.modeled("ecr", "InvalidParameterException", "Invalid parameter at 'nextToken'")


def _page_items(items: list[T], key: Callable[[T], paging.Sortable], listing: str, params: dict[str, Any],
                default: int, filters: dict[str, Any] | None = None) -> tuple[list[T], str | None]:
    """A page of a listing computed in memory, sorted by `key` (gureum.aws.paging.page_items)."""
    return paging.page_items(items, key, listing=listing, token=params.get("nextToken"), limit=params.get("maxResults"),
                             default_limit=default, filters=filters, error=_bad_token)


def _check_mutability(params: dict[str, Any]) -> None:
    mode = params.get("imageTagMutability") or "MUTABLE"
    filters = params.get("imageTagMutabilityExclusionFilters")
    if mode.endswith("_WITH_EXCLUSION") and not filters:
        raise AwsError.modeled("ecr", "InvalidParameterException", f"imageTagMutabilityExclusionFilters are required with {mode}")
    if filters and not mode.endswith("_WITH_EXCLUSION"):
        raise AwsError.modeled("ecr", "InvalidParameterException", f"imageTagMutabilityExclusionFilters are not allowed with {mode}")


# --- repositories ---------------------------------------------------------------------------
@ecr("CreateRepository")
async def create_repository(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    _check_mutability(params)
    new_tags = tags.to_pairs(tags.apply({}, tags.check([(t["Key"], t.get("Value") or "") for t in params.get("tags") or []], TAG_RULES), (), TAG_RULES))
    enc = params.get("encryptionConfiguration")
    if enc and enc.get("encryptionType") == "AES256" and enc.get("kmsKey"):
        raise AwsError.modeled("ecr", "InvalidParameterException", "kmsKey is only allowed with encryptionType KMS")
    if enc and enc.get("encryptionType") in ("KMS", "KMS_DSSE") and not enc.get("kmsKey"):
        enc = dict(enc, kmsKey=arns.kms_alias(ctx.region, scope.account, "aws/ecr"))
    name = params["repositoryName"]
    now = model.now()
    doc = await reg.store.run(
        lambda txn: model.create_repo(
            txn, scope.key, name, now,
            imageTagMutability=params.get("imageTagMutability"),
            imageTagMutabilityExclusionFilters=params.get("imageTagMutabilityExclusionFilters"),
            imageScanningConfiguration=params.get("imageScanningConfiguration"),
            encryptionConfiguration=enc,
            tags=new_tags,
        )
    )
    return {"repository": repo_out(ctx, doc)}


@ecr("DescribeRepositories")
async def describe_repositories(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    names = params.get("repositoryNames")
    if names:
        if params.get("nextToken") or params.get("maxResults"):
            raise AwsError.modeled("ecr", "InvalidParameterException", "nextToken and maxResults cannot be used with repositoryNames")
        docs = await reg.store.read(lambda txn: [model.require_repo(txn, scope.key, n) for n in names])
        return {"repositories": [repo_out(ctx, d) for d in docs]}
    rows, token = await reg.store.read(lambda txn: paging.page(txn, model.REPOS, scope.key, token=params.get("nextToken"),
                                                               limit=params.get("maxResults"), default_limit=1000, error=_bad_token))
    out: dict[str, Any] = {"repositories": [repo_out(ctx, d) for _, d in rows]}
    if token:
        out["nextToken"] = token
    return out


@ecr("DeleteRepository")
async def delete_repository(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    doc = await reg.store.run(lambda txn: model.delete_repo(txn, scope.key, params["repositoryName"], bool(params.get("force"))))
    return {"repository": repo_out(ctx, doc)}


@ecr("PutImageTagMutability")
async def put_image_tag_mutability(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    _check_mutability(params)
    doc = await reg.store.run(
        lambda txn: model.update_repo(
            txn, scope.key, params["repositoryName"],
            imageTagMutability=params["imageTagMutability"],
            imageTagMutabilityExclusionFilters=params.get("imageTagMutabilityExclusionFilters") or [],
        )
    )
    out = {"registryId": account, "repositoryName": doc["repositoryName"], "imageTagMutability": doc["imageTagMutability"]}
    if doc["imageTagMutabilityExclusionFilters"]:
        out["imageTagMutabilityExclusionFilters"] = doc["imageTagMutabilityExclusionFilters"]
    return out


@ecr("PutImageScanningConfiguration")
async def put_image_scanning_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    cfg = {"scanOnPush": bool(params["imageScanningConfiguration"].get("scanOnPush"))}
    doc = await reg.store.run(lambda txn: model.update_repo(txn, scope.key, params["repositoryName"], imageScanningConfiguration=cfg))
    return {"registryId": account, "repositoryName": doc["repositoryName"], "imageScanningConfiguration": cfg}


@ecr("SetRepositoryPolicy")
async def set_repository_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    text = params["policyText"]
    try:
        policy = json.loads(text)
        if not isinstance(policy, dict) or "Statement" not in policy:
            raise ValueError
        if resource_policies.unreadable(text) is not None:  # the gate would skip it, a Deny with it
            raise ValueError
    except ValueError:
        raise AwsError.modeled("ecr", "InvalidParameterException", "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'") from None
    doc = await reg.store.run(lambda txn: model.update_repo(txn, scope.key, params["repositoryName"], policyText=text))
    return {"registryId": account, "repositoryName": doc["repositoryName"], "policyText": text}


@ecr("GetRepositoryPolicy")
async def get_repository_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    doc = await reg.store.read(lambda txn: model.require_repo(txn, scope.key, params["repositoryName"]))
    if not doc.get("policyText"):
        raise AwsError.modeled("ecr", "RepositoryPolicyNotFoundException",
                       f"Repository policy does not exist for the repository with name '{doc['repositoryName']}' in the registry with id '{account}'")
    return {"registryId": account, "repositoryName": doc["repositoryName"], "policyText": doc["policyText"]}


@ecr("DeleteRepositoryPolicy")
async def delete_repository_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    out = await get_repository_policy.__wrapped__(ctx, params)  # type: ignore[attr-defined]
    reg, scope, _ = _ctx(ctx, params)
    await reg.store.run(lambda txn: model.update_repo(txn, scope.key, params["repositoryName"], policyText=None))
    return out


def _repo_from_arn(ctx: RequestContext, arn: str) -> tuple[Scope, str]:
    a = arns.try_parse(arn)
    if a is None or a.service != "ecr" or not a.resource.startswith("repository/"):
        raise AwsError.modeled("ecr", "InvalidParameterException", f"Invalid parameter at 'resourceArn' failed to satisfy constraint: '{arn}'")
    return Scope(a.account, a.region), a.resource[len("repository/"):]


class _TagPlace:
    """ECR keeps a repository's tags as a list of {"Key", "Value"} on its doc."""

    def __init__(self, scope: Scope, name: str) -> None:
        self.scope, self.name = scope, name

    def read(self, txn: Any) -> dict[str, str]:
        return tags.from_pairs(model.require_repo(txn, self.scope.key, self.name).get("tags"))

    def write(self, txn: Any, new: dict[str, str]) -> None:
        model.update_repo(txn, self.scope.key, self.name, tags=tags.to_pairs(new))


@ecr("TagResource")
async def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg = registry_of(ctx.app)
    place = _TagPlace(*_repo_from_arn(ctx, params["resourceArn"]))
    add = [(t["Key"], t.get("Value") or "") for t in params["tags"]]
    await reg.store.run(lambda txn: tags.tag(txn, place, add, TAG_RULES))
    return {}


@ecr("UntagResource")
async def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg = registry_of(ctx.app)
    place = _TagPlace(*_repo_from_arn(ctx, params["resourceArn"]))
    await reg.store.run(lambda txn: tags.untag(txn, place, params["tagKeys"], TAG_RULES))
    return {}


@ecr("ListTagsForResource")
async def list_tags_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg = registry_of(ctx.app)
    place = _TagPlace(*_repo_from_arn(ctx, params["resourceArn"]))
    return {"tags": tags.to_pairs(await reg.store.read(lambda txn: tags.list_tags(txn, place)))}


# --- images ----------------------------------------------------------------------------------
def _image_detail(account: str, name: str, doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "registryId": account,
        "repositoryName": name,
        "imageDigest": doc["digest"],
        "imageSizeInBytes": doc.get("imageSize", 0),
        "imagePushedAt": doc["pushedAt"],
        "imageManifestMediaType": doc["mediaType"],
        "imageStatus": doc.get("imageStatus") or "ACTIVE",
    }
    for member in ("lastArchivedAt", "lastActivatedAt"):
        if doc.get(member):
            out[member] = doc[member]
    if doc.get("tags"):
        out["imageTags"] = list(doc["tags"])
    if doc.get("config"):
        out["artifactMediaType"] = doc["config"]["mediaType"]
    if doc.get("artifactType") and not doc.get("config"):
        out["artifactMediaType"] = doc["artifactType"]
    if doc.get("lastPull"):
        out["lastRecordedPullTime"] = doc["lastPull"]
    if doc.get("subject"):
        out["subjectManifestDigest"] = doc["subject"]
    scan = doc.get("scan")
    if scan:
        out["imageScanStatus"] = {"status": scan["status"], "description": scan.get("description", "")}
        if scan["status"] == "COMPLETE":
            out["imageScanFindingsSummary"] = {"imageScanCompletedAt": scan["completedAt"], "findingSeverityCounts": {}}
    return out


def _image_status_ok(doc: dict[str, Any], wanted: str | None) -> bool:
    """DescribeImages/ListImages show ACTIVE images unless the filter names another status (or ANY)."""
    return wanted == "ANY" or (doc.get("imageStatus") or "ACTIVE") == (wanted or "ACTIVE")


def _tag_status_ok(doc: dict[str, Any], status: str | None) -> bool:
    if status == "TAGGED":
        return bool(doc.get("tags"))
    if status == "UNTAGGED":
        return not doc.get("tags")
    return True


def _find(txn: Any, scope: str, name: str, image_id: dict[str, Any]) -> dict[str, Any]:
    tag, digest = image_id.get("imageTag"), image_id.get("imageDigest")
    ref = digest or tag
    if not ref:
        raise AwsError.modeled("ecr", "InvalidParameterException", "imageId needs an imageDigest or an imageTag")
    doc = model.resolve(txn, scope, name, ref)
    if tag and digest and tag not in doc.get("tags", []):
        raise model.ImageNotFound(f"The image with imageId {{imageDigest:'{digest}', imageTag:'{tag}'}} does not exist")
    return doc


@ecr("DescribeImages")
async def describe_images(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    name = params["repositoryName"]
    ids = params.get("imageIds")
    status = (params.get("filter") or {}).get("tagStatus")
    image_status = (params.get("filter") or {}).get("imageStatus")
    if ids:
        docs = await reg.store.read(lambda txn: [_find(txn, scope.key, name, i) for i in ids])
        seen: dict[str, dict[str, Any]] = {d["digest"]: d for d in docs}
        return {"imageDetails": [_image_detail(account, name, d) for d in seen.values()]}

    def page(txn: Any) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        model.require_repo(txn, scope.key, name)
        return paging.page(txn, model.MANIFESTS, model.sub_key(scope.key, name, ""), token=params.get("nextToken"),
                           limit=params.get("maxResults"), default_limit=100,
                           keep=lambda d: _tag_status_ok(d, status) and _image_status_ok(d, image_status),
                           filters={"tagStatus": status, "imageStatus": image_status}, error=_bad_token)

    rows, token = await reg.store.read(page)
    out: dict[str, Any] = {"imageDetails": [_image_detail(account, name, d) for _, d in rows]}
    if token:
        out["nextToken"] = token
    return out


@ecr("ListImages")
async def list_images(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    name = params["repositoryName"]
    status = (params.get("filter") or {}).get("tagStatus")
    image_status = (params.get("filter") or {}).get("imageStatus")
    docs = await reg.store.read(lambda txn: (model.require_repo(txn, scope.key, name), model.list_manifests(txn, scope.key, name))[1])
    ids: list[dict[str, str]] = []
    for d in docs:
        if not _tag_status_ok(d, status) or not _image_status_ok(d, image_status):
            continue
        if d.get("tags"):
            ids.extend({"imageDigest": d["digest"], "imageTag": t} for t in d["tags"])
        else:
            ids.append({"imageDigest": d["digest"]})
    ids.sort(key=_image_id_key)
    page, token = _page_items(ids, _image_id_key, "ecr.images/" + model.sub_key(scope.key, name, ""), params, 100,
                              {"tagStatus": status, "imageStatus": image_status})
    out: dict[str, Any] = {"imageIds": page}
    if token:
        out["nextToken"] = token
    return out


def _image_id_key(image_id: dict[str, str]) -> tuple[str, str]:
    return image_id["imageDigest"], image_id.get("imageTag", "")


def _failure(image_id: dict[str, Any], code: str, reason: str) -> dict[str, Any]:
    return {"imageId": image_id, "failureCode": code, "failureReason": reason}


@ecr("BatchGetImage")
async def batch_get_image(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    name = params["repositoryName"]
    accepted = [t.lower() for t in params.get("acceptedMediaTypes") or []]
    images, failures = [], []
    record = not await reg.store.read(lambda txn: pull_time.excluded(txn, scope.key, ctx.principal_arn))
    for image_id in params["imageIds"]:
        tag, digest = image_id.get("imageTag"), image_id.get("imageDigest")
        if not tag and not digest:
            failures.append(_failure(image_id, "MissingDigestAndTag", "Missing the image digest and tag"))
            continue
        if digest and not oci.SHA256_RE.match(digest):
            failures.append(_failure(image_id, "InvalidImageDigest", "Invalid image digest"))
            continue
        try:  # a pull through cache rule brings the image from its upstream first
            await upstream.cache_image(reg, scope, name, digest or tag)
        except upstream.UpstreamError as e:
            failures.append(_failure(image_id, "UpstreamUnavailable", str(e)))
            continue
        await reg.store.read(lambda txn: model.require_repo(txn, scope.key, name))
        try:
            doc = await reg.store.read(lambda txn, i=image_id: _find(txn, scope.key, name, i))
        except model.ImageNotFound:
            code = "ImageTagDoesNotMatchDigest" if tag and digest else "ImageNotFound"
            failures.append(_failure(image_id, code, "Requested image not found" if code == "ImageNotFound" else "Image tag does not match digest"))
            continue
        try:
            read = await reg.get_manifest(scope, name, tag if (tag and not digest) else doc["digest"], accepted or None,
                                          record_pull=record)
        except model.ImageArchived:
            failures.append(_failure(image_id, "ImageInaccessible", "The image is archived: restore it to pull it"))
            continue
        except model.ImageNotFound:
            failures.append(_failure(image_id, "ImageNotFound", "Requested image not found: no accepted media type"))
            continue
        if accepted and read.media_type not in accepted and doc["mediaType"] not in accepted:
            failures.append(_failure(image_id, "ImageNotFound", "Requested image not found: no accepted media type"))
            continue
        out_id = {"imageDigest": read.digest}
        if tag:
            out_id["imageTag"] = tag
        images.append({"registryId": account, "repositoryName": name, "imageId": out_id,
                       "imageManifest": read.data.decode(), "imageManifestMediaType": read.media_type})
    return {"images": images, "failures": failures}


@ecr("BatchDeleteImage")
async def batch_delete_image(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    name = params["repositoryName"]

    def delete(txn: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        model.require_repo(txn, scope.key, name)
        deleted: list[dict[str, Any]] = []
        failures: list[dict[str, Any]] = []
        for image_id in params["imageIds"]:
            tag, digest = image_id.get("imageTag"), image_id.get("imageDigest")
            if not tag and not digest:
                failures.append(_failure(image_id, "MissingDigestAndTag", "Missing the image digest and tag"))
                continue
            try:
                doc = _find(txn, scope.key, name, image_id)
            except model.ImageNotFound:
                failures.append(_failure(image_id, "ImageNotFound", "Requested image not found"))
                continue
            if digest and not tag:
                if model.referenced_by_index(txn, scope.key, name, doc["digest"]):
                    failures.append(_failure(image_id, "ImageReferencedByManifestList",
                                             "Requested image is referenced by a manifest list"))
                    continue
                model.delete_manifest(txn, scope.key, name, doc["digest"])
                deleted.extend({"imageDigest": doc["digest"], "imageTag": t} for t in doc.get("tags", []))
                if not doc.get("tags"):
                    deleted.append({"imageDigest": doc["digest"]})
                continue
            # By tag: drop the tag; the last tag going takes the image with it (as ECR).
            after = model.untag(txn, scope.key, name, tag)
            deleted.append({"imageDigest": doc["digest"], "imageTag": tag})
            if not after.get("tags") and not model.referenced_by_index(txn, scope.key, name, doc["digest"]):
                model.delete_manifest(txn, scope.key, name, doc["digest"])
        return deleted, failures

    deleted, failures = await reg.store.run(delete)
    return {"imageIds": deleted, "failures": failures}


@ecr("PutImage")
async def put_image(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    name = params["repositoryName"]
    data = params["imageManifest"].encode()
    tag = params.get("imageTag")
    media_type = params.get("imageManifestMediaType")
    if params.get("imageDigest") and params["imageDigest"] != oci.sha256_digest(data):
        raise AwsError.modeled("ecr", "ImageDigestDoesNotMatchException",
                       f"Invalid parameter at 'imageDigest' failed to satisfy constraint: the digest of the manifest is {oci.sha256_digest(data)}")
    if tag and not oci.TAG_RE.match(tag):
        raise AwsError.modeled(
            "ecr", "InvalidParameterException", f"Invalid parameter at 'imageTag' failed to satisfy constraint: '{tag}'"
        )
    await reg.store.read(lambda txn: model.require_repo(txn, scope.key, name))
    if not media_type:
        try:
            media_type = json.loads(data).get("mediaType")
        except (ValueError, AttributeError):
            media_type = None
    try:
        m, _ = await reg.put_manifest(scope, name, tag, data, media_type, put_image=True, create=False)
    except oci.RegistryError as e:
        raise AwsError.modeled(
            "ecr",
            "InvalidParameterException",
            f"Invalid parameter at 'ImageManifest' failed to satisfy constraint: '{e.message}'",
        ) from None
    image_id = {"imageDigest": m.digest}
    if tag:
        image_id["imageTag"] = tag
    return {"image": {"registryId": account, "repositoryName": name, "imageId": image_id,
                      "imageManifest": params["imageManifest"], "imageManifestMediaType": m.media_type}}


@ecr("ListImageReferrers")
async def list_image_referrers(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    name = params["repositoryName"]
    subject = params["subjectId"]["imageDigest"]
    types = (params.get("filter") or {}).get("artifactTypes") or []
    descs = await reg.store.read(lambda txn: (model.require_repo(txn, scope.key, name), model.list_referrers(txn, scope.key, name, subject))[1])
    if types:
        descs = [d for d in descs if d.get("artifactType") in types]
    descs.sort(key=lambda d: d["digest"])
    page, token = _page_items(descs, lambda d: d["digest"], f"ecr.referrers/{model.sub_key(scope.key, name, subject)}", params, 50,
                              {"artifactTypes": types})
    out: dict[str, Any] = {"referrers": [dict(d, artifactStatus="ACTIVE") for d in page]}
    if token:
        out["nextToken"] = token
    return out


# --- layers --------------------------------------------------------------------------------------
async def _one(data: bytes) -> AsyncIterator[bytes]:
    if data:
        yield data


def _upload_key(upload_id: str) -> str:
    return upload_id.replace("-", "").lower()


@ecr("BatchCheckLayerAvailability")
async def batch_check_layer_availability(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    name = params["repositoryName"]
    await reg.store.read(lambda txn: model.require_repo(txn, scope.key, name))
    layers, failures = [], []
    for digest in params["layerDigests"]:
        if not digest:
            failures.append({"layerDigest": digest, "failureCode": "MissingLayerDigest", "failureReason": "Missing layer digest"})
            continue
        if not oci.SHA256_RE.match(digest):
            failures.append({"layerDigest": digest, "failureCode": "InvalidLayerDigest", "failureReason": "Invalid layer digest"})
            continue
        try:
            size = await reg.blob_size(scope, name, digest)
            layers.append({"layerDigest": digest, "layerAvailability": "AVAILABLE", "layerSize": size,
                           "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip"})
        except model.BlobUnknown:
            layers.append({"layerDigest": digest, "layerAvailability": "UNAVAILABLE"})
    return {"layers": layers, "failures": failures}


@ecr("InitiateLayerUpload")
async def initiate_layer_upload(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    name = params["repositoryName"]
    await reg.store.read(lambda txn: model.require_repo(txn, scope.key, name))
    upload_id = await reg.start_upload(scope, name, api="ecr")
    return {"uploadId": str(uuid.UUID(hex=upload_id)), "partSize": PART_SIZE}


@ecr("UploadLayerPart")
async def upload_layer_part(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    name = params["repositoryName"]
    first, last = params["partFirstByte"], params["partLastByte"]
    blob: bytes = params["layerPartBlob"]
    key = _upload_key(params["uploadId"])
    await reg.store.read(lambda txn: model.require_repo(txn, scope.key, name))

    def invalid(received: int, why: str) -> AwsError:
        return AwsError.modeled(
            "ecr",
            "InvalidLayerPartException",
            why,
            registryId=account,
            repositoryName=name,
            uploadId=params["uploadId"],
            lastValidByteReceived=max(received - 1, 0),
        )

    if last < first or last - first + 1 != len(blob):
        size = await reg.upload_size(scope, name, key)
        raise invalid(size, f"The part's byte range {first}-{last} does not match its length {len(blob)}")
    try:
        size = await reg.append(scope, name, key, _one(blob), first, len(blob))
    except RangeMismatch as e:
        raise invalid(e.size, f"The layer part must start at byte {e.size} (it starts at {first})") from None
    return {"registryId": account, "repositoryName": name, "uploadId": params["uploadId"], "lastByteReceived": size - 1}


@ecr("CompleteLayerUpload")
async def complete_layer_upload(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    name = params["repositoryName"]
    key = _upload_key(params["uploadId"])
    digests = params["layerDigests"]
    digest = digests[0]
    if not oci.SHA256_RE.match(digest):
        raise AwsError.modeled("ecr", "InvalidLayerException", f"Invalid layer digest {digest}")
    size = await reg.upload_size(scope, name, key)
    if size == 0:
        raise AwsError.modeled("ecr", "EmptyUploadException", f"The upload with id '{params['uploadId']}' is empty")
    existing = await reg.store.read(lambda txn: model.get_link(txn, scope.key, name, digest))
    if existing is not None and reg.blobs.exists(digest):
        await reg.cancel(scope, name, key)
        raise AwsError.modeled(
            "ecr",
            "LayerAlreadyExistsException",
            f"The layer '{digest}' already exists in the repository with name '{name}' in registry with id '{account}'",
        )
    try:
        await reg.finish(scope, name, key, digest)
    except oci.RegistryError as e:
        if e.code == "DIGEST_INVALID":
            await reg.store.run(lambda txn: model.end_upload(txn, key))
            raise AwsError.modeled(
                "ecr", "InvalidLayerException", f"The layer digest '{digest}' does not match the uploaded content"
            ) from None
        raise
    return {"registryId": account, "repositoryName": name, "uploadId": params["uploadId"], "layerDigest": digest}


@ecr("GetDownloadUrlForLayer")
async def get_download_url_for_layer(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    name, digest = params["repositoryName"], params["layerDigest"]
    try:
        await reg.blob_size(scope, name, digest, touch=False)
    except model.BlobUnknown:
        raise AwsError.modeled(
            "ecr",
            "LayersNotFoundException",
            f"The layer '{digest}' does not exist in the repository with name '{name}'",
        ) from None
    secret = await reg.secret()
    password = auth.make_password(secret, scope.account, scope.region, model.now() + 3600)
    return {"downloadUrl": download_url(f"http://{registry_host(ctx)}", name, digest, password), "layerDigest": digest}


# --- registry ---------------------------------------------------------------------------------------
@ecr("GetAuthorizationToken")
async def get_authorization_token(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg = registry_of(ctx.app)
    secret = await reg.secret()
    out = []
    for account in params.get("registryIds") or [ctx.account_id]:
        if account != ctx.account_id:
            # A gureum token acts as the account it names on the OCI registry (/v2/), so a
            # token for another registry would be that account's keys: never issued.
            # Another account's images are reached through its repository policy instead.
            raise AwsError.modeled(
                "ecr",
                "AccessDeniedException",
                f"User: {ctx.principal_arn} is not authorized to perform: ecr:GetAuthorizationToken on "
                f"resource: {arns.ecr_repository(ctx.region, account, '*')} because no resource-based policy "
                "allows the ecr:GetAuthorizationToken action",
            )
        token, expires = auth.make_token(secret, account, ctx.region)
        out.append({"authorizationToken": token, "expiresAt": expires, "proxyEndpoint": f"http://{registry_host(ctx)}"})
    return {"authorizationData": out}


@ecr("DescribeRegistry")
async def describe_registry(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    settings = await reg.store.read(lambda txn: model.registry_settings(txn, scope.key))
    return {"registryId": account, "replicationConfiguration": settings.get("replicationConfiguration") or {"rules": []}}


@ecr("PutReplicationConfiguration")
async def put_replication_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    cfg = params["replicationConfiguration"]
    rules = cfg.get("rules") or []
    if len(rules) > 10:
        raise AwsError.modeled("ecr", "ValidationException", "at most 10 replication rules")
    if sum(len(r.get("destinations") or []) for r in rules) > 25:
        raise AwsError.modeled("ecr", "ValidationException", "at most 25 unique destinations")
    for r in rules:
        for d in r.get("destinations") or []:
            if d["region"] == ctx.region and d["registryId"] == scope.account:
                raise AwsError.modeled(
                    "ecr",
                    "InvalidParameterException",
                    "a replication destination cannot be the source registry and region",
                )
    await reg.store.run(lambda txn: model.put_registry_settings(txn, scope.key, replicationConfiguration=cfg))
    return {"replicationConfiguration": cfg}


@ecr("DescribeImageReplicationStatus")
async def describe_image_replication_status(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    name = params["repositoryName"]
    doc = await reg.store.read(lambda txn: _find(txn, scope.key, name, params["imageId"]))
    settings = await reg.store.read(lambda txn: model.registry_settings(txn, scope.key))
    statuses = doc.get("replication")
    if statuses is None:
        statuses = [{"region": r, "registryId": a, "status": "IN_PROGRESS"}
                    for a, r in replication.destinations(settings.get("replicationConfiguration") or {}, scope.key, name)]
    return {"repositoryName": name, "imageId": params["imageId"], "replicationStatuses": statuses}


# --- lifecycle ----------------------------------------------------------------------------------------
@ecr("PutLifecyclePolicy")
async def put_lifecycle_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    name, text = params["repositoryName"], params["lifecyclePolicyText"]
    lifecycle.parse_policy(text)

    def put(txn: Any) -> None:
        model.update_repo(txn, scope.key, name, lifecyclePolicyText=text)
        txn.publish("ecr.lifecycle", {"scope": scope.key, "name": name})

    await reg.store.run(put)
    return {"registryId": account, "repositoryName": name, "lifecyclePolicyText": text}


@ecr("GetLifecyclePolicy")
async def get_lifecycle_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    name = params["repositoryName"]
    doc = await reg.store.read(lambda txn: model.require_repo(txn, scope.key, name))
    if not doc.get("lifecyclePolicyText"):
        raise AwsError.modeled(
            "ecr",
            "LifecyclePolicyNotFoundException",
            f"Lifecycle policy does not exist for the repository with name '{name}' in the registry with id '{account}'",
        )
    out = {"registryId": account, "repositoryName": name, "lifecyclePolicyText": doc["lifecyclePolicyText"]}
    if doc.get("lifecycleEvaluatedAt"):
        out["lastEvaluatedAt"] = doc["lifecycleEvaluatedAt"]
    return out


@ecr("DeleteLifecyclePolicy")
async def delete_lifecycle_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    out = await get_lifecycle_policy.__wrapped__(ctx, params)  # type: ignore[attr-defined]
    reg, scope, _ = _ctx(ctx, params)
    await reg.store.run(lambda txn: model.update_repo(txn, scope.key, params["repositoryName"], lifecyclePolicyText=None))
    return out


@ecr("StartLifecyclePolicyPreview")
async def start_lifecycle_policy_preview(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    name = params["repositoryName"]
    text = params.get("lifecyclePolicyText")
    if not text:
        doc = await reg.store.read(lambda txn: model.require_repo(txn, scope.key, name))
        text = doc.get("lifecyclePolicyText")
        if not text:
            raise AwsError.modeled(
                "ecr",
                "LifecyclePolicyNotFoundException",
                f"Lifecycle policy does not exist for the repository with name '{name}'",
            )
    expired = await lifecycle.preview(reg, scope.key, name, text)
    results = [{"imageTags": list(e.tags), "imageDigest": e.digest, "imagePushedAt": e.pushed_at,
                "action": {"type": "EXPIRE"}, "appliedRulePriority": e.rule_priority} for e in expired]
    await reg.store.run(lambda txn: txn.put(model.META, "preview|" + scope.key + name, {"text": text, "results": results}))
    return {"registryId": account, "repositoryName": name, "lifecyclePolicyText": text, "status": "IN_PROGRESS"}


@ecr("GetLifecyclePolicyPreview")
async def get_lifecycle_policy_preview(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    name = params["repositoryName"]
    doc = await reg.store.read(lambda txn: (model.require_repo(txn, scope.key, name), txn.get(model.META, "preview|" + scope.key + name))[1])
    if doc is None:
        raise AwsError.modeled(
            "ecr",
            "LifecyclePolicyPreviewNotFoundException",
            f"There is no dry run for the repository with name '{name}' in the registry with id '{account}'",
        )
    results = doc["results"]
    status = (params.get("filter") or {}).get("tagStatus")
    if status == "TAGGED":
        results = [r for r in results if r["imageTags"]]
    elif status == "UNTAGGED":
        results = [r for r in results if not r["imageTags"]]
    if params.get("imageIds"):
        want = {i.get("imageDigest") for i in params["imageIds"]} | {i.get("imageTag") for i in params["imageIds"]}
        results = [r for r in results if r["imageDigest"] in want or set(r["imageTags"]) & want]
    # The preview is a stored snapshot; its results page in digest order.
    results = sorted(results, key=lambda r: r["imageDigest"])
    page, token = _page_items(results, lambda r: r["imageDigest"], "ecr.preview/" + model.repo_key(scope.key, name), params, 100,
                              {"tagStatus": status, "imageIds": params.get("imageIds")})
    out: dict[str, Any] = {
        "registryId": account, "repositoryName": name, "lifecyclePolicyText": doc["text"], "status": "COMPLETE",
        "previewResults": page,
        "summary": {"expiringImageTotalCount": len(doc["results"])},
    }
    if token:
        out["nextToken"] = token
    return out


# --- scanning ---------------------------------------------------------------------------------------
@ecr("StartImageScan")
async def start_image_scan(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    name = params["repositoryName"]
    doc = await reg.store.read(lambda txn: _find(txn, scope.key, name, params["imageId"]))
    result = await scanning.scan(reg, scope.key, name, doc["digest"])
    if result["status"] == "UNSUPPORTED_IMAGE":
        raise AwsError.modeled("ecr", "UnsupportedImageTypeException", result["description"])
    return {"registryId": account, "repositoryName": name, "imageId": params["imageId"],
            "imageScanStatus": {"status": result["status"], "description": result["description"]}}


@ecr("DescribeImageScanFindings")
async def describe_image_scan_findings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    name = params["repositoryName"]
    doc = await reg.store.read(lambda txn: _find(txn, scope.key, name, params["imageId"]))
    scan = doc.get("scan")
    if not scan:
        raise AwsError.modeled(
            "ecr",
            "ScanNotFoundException",
            f"Image scan does not exist for the image with '{params['imageId']}' in the repository with name '{name}' in the registry with id '{account}'",
        )
    out: dict[str, Any] = {"registryId": account, "repositoryName": name, "imageId": params["imageId"],
                           "imageScanStatus": {"status": scan["status"], "description": scan.get("description", "")}}
    if scan["status"] == "COMPLETE":
        out["imageScanFindings"] = {"imageScanCompletedAt": scan["completedAt"], "findingSeverityCounts": {}, "findings": []}
    return out


@ecr("PutRegistryScanningConfiguration")
async def put_registry_scanning_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    cfg = {"scanType": params.get("scanType") or "BASIC", "rules": params.get("rules") or []}
    await reg.store.run(lambda txn: model.put_registry_settings(txn, scope.key, scanningConfiguration=cfg))
    return {"registryScanningConfiguration": cfg}


@ecr("GetRegistryScanningConfiguration")
async def get_registry_scanning_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    settings = await reg.store.read(lambda txn: model.registry_settings(txn, scope.key))
    return {"registryId": account, "scanningConfiguration": settings.get("scanningConfiguration") or {"scanType": "BASIC", "rules": []}}


@ecr("BatchGetRepositoryScanningConfiguration")
async def batch_get_repository_scanning_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    names = params["repositoryNames"]

    def look(txn: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        found, failures = [], []
        for n in names:
            doc = model.get_repo(txn, scope.key, n)
            if doc is None:
                failures.append({"repositoryName": n, "failureCode": "REPOSITORY_NOT_FOUND", "failureReason": "REPOSITORY_NOT_FOUND"})
                continue
            on_push = bool(doc["imageScanningConfiguration"].get("scanOnPush"))
            found.append({"repositoryArn": doc["repositoryArn"], "repositoryName": n, "scanOnPush": on_push,
                          "scanFrequency": "SCAN_ON_PUSH" if on_push else "MANUAL", "appliedScanFilters": []})
        return found, failures

    found, failures = await reg.store.read(look)
    return {"scanningConfigurations": found, "failures": failures}
