"""EKS clusters: the records and AWS's rules for them.

Table eks_clusters: "{account}/{region}/{name}" -> {"name", "arn", "createdAt" (epoch seconds),
"version", "roleArn", "resourcesVpcConfig", "kubernetesNetworkConfig", "logging",
"accessConfig", "deletionProtection", "creatorArn" (the caller's canonical principal ARN),
"clientRequestToken", "status", "health" (None or {"issues": [...]}), "tags": {k: v}}.

Invariants: a name is unique per account and Region (CreateCluster again with the same
clientRequestToken answers the existing cluster, as AWS's idempotency does; with another token
it is ResourceInUseException); `status` is one of CREATING, FAILED, DELETING (the control plane
that would make a cluster ACTIVE is not built: control.py fails each new cluster, saying why);
at most `MAX_CLUSTERS` per account and Region. Every write publishes "eks.cluster" {"key"}.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.aws.errors import AwsError
from gureum.store import Txn

CLUSTERS = "eks_clusters"
TOPIC = "eks.cluster"

# The Kubernetes minor the control-plane build (issue 23, kube/) targets: the one version a
# cluster may ask for.
KUBERNETES_VERSION = "1.37"
MAX_CLUSTERS = 100  # AWS's default quota of clusters per account and Region
_NAME = re.compile(r"[0-9A-Za-z][A-Za-z0-9\-_]{0,99}")
_MODES = ("CONFIG_MAP", "API", "API_AND_CONFIG_MAP")
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")

TAG_RULES = tags.Rules(invalid=lambda m: AwsError.modeled("eks", "BadRequestException", m),
                       too_many=lambda m: AwsError.modeled("eks", "BadRequestException", m))

Doc = dict[str, Any]


def key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def _invalid(message: str, name: str | None = None) -> AwsError:
    if name:
        return AwsError.modeled("eks", "InvalidParameterException", message, clusterName=name)
    return AwsError.modeled("eks", "InvalidParameterException", message)


def not_found(name: str) -> AwsError:
    return AwsError.modeled("eks", "ResourceNotFoundException", f"No cluster found for name: {name}.",
                            clusterName=name)


def _vpc_config(p: Mapping[str, Any]) -> Doc:
    """The resourcesVpcConfig a cluster reports, from the request's (AWS's defaults filled)."""
    public = bool(p.get("endpointPublicAccess", True))
    private = bool(p.get("endpointPrivateAccess", False))
    if not public and not private:
        raise _invalid("Private and public endpoint access cannot both be disabled.")
    cidrs = list(p.get("publicAccessCidrs") or ["0.0.0.0/0"])
    return {"subnetIds": list(p.get("subnetIds") or []), "securityGroupIds": list(p.get("securityGroupIds") or []),
            "endpointPublicAccess": public, "endpointPrivateAccess": private, "publicAccessCidrs": cidrs}


def _logging(p: Mapping[str, Any] | None) -> Doc:
    enabled: set[str] = set()
    for entry in (p or {}).get("clusterLogging") or []:
        for t in entry.get("types") or []:
            if entry.get("enabled"):
                enabled.add(t)
            else:
                enabled.discard(t)
    on = [t for t in LOG_TYPES if t in enabled]
    off = [t for t in LOG_TYPES if t not in enabled]
    return {"clusterLogging": [x for x in ({"types": on, "enabled": True} if on else None,
                                           {"types": off, "enabled": False} if off else None) if x]}


def create(txn: Txn, account: str, region: str, p: Mapping[str, Any], now: float,
           creator: str) -> tuple[Doc, bool]:
    """CreateCluster's rules and write: the cluster document (status CREATING), and False when
    it is an idempotent repeat answered with the existing cluster. `creator` is the caller's
    canonical principal ARN (authn.py admits it when the request bootstraps the creator's
    admin permissions)."""
    name = str(p["name"])
    if not _NAME.fullmatch(name):
        raise _invalid("The name can contain only alphanumeric characters (case-sensitive), hyphens, and "
                       "underscores. It must start with an alphanumeric character and can't be longer than "
                       "100 characters.", name)
    k = key(account, region, name)
    existing = txn.get(CLUSTERS, k)
    if existing is not None:
        token = p.get("clientRequestToken")
        if token and existing.get("clientRequestToken") == token:
            return existing, False
        raise AwsError.modeled("eks", "ResourceInUseException", f"Cluster already exists with name: {name}",
                               clusterName=name)
    version = str(p.get("version") or KUBERNETES_VERSION)
    if version != KUBERNETES_VERSION:
        raise _invalid(f"unsupported Kubernetes version {version}", name)
    role = arns.try_parse(str(p["roleArn"]))
    if role is None or role.service != "iam" or not role.resource.startswith("role/"):
        raise _invalid(f"Invalid role ARN: {p['roleArn']}", name)
    access = p.get("accessConfig") or {}
    mode = str(access.get("authenticationMode") or "CONFIG_MAP")
    if mode not in _MODES:
        raise _invalid(f"Invalid authenticationMode: {mode}", name)
    if txn.count(CLUSTERS, f"{account}/{region}/") >= MAX_CLUSTERS:
        raise AwsError.modeled("eks", "ResourceLimitExceededException",
                               f"Cluster limit exceeded for account {account} in region {region}.",
                               clusterName=name)
    net = p.get("kubernetesNetworkConfig") or {}
    doc: Doc = {
        "name": name, "arn": arns.eks_cluster(region, account, name), "createdAt": now, "version": version,
        "roleArn": str(p["roleArn"]), "resourcesVpcConfig": _vpc_config(p["resourcesVpcConfig"]),
        "kubernetesNetworkConfig": {"serviceIpv4Cidr": str(net.get("serviceIpv4Cidr") or "10.100.0.0/16"),
                                    "ipFamily": str(net.get("ipFamily") or "ipv4")},
        "logging": _logging(p.get("logging")),
        "accessConfig": {"authenticationMode": mode,
                         "bootstrapClusterCreatorAdminPermissions":
                             bool(access.get("bootstrapClusterCreatorAdminPermissions", True))},
        "deletionProtection": bool(p.get("deletionProtection", False)), "creatorArn": creator,
        "clientRequestToken": p.get("clientRequestToken"), "status": "CREATING", "health": None,
        "tags": tags.check(dict(p.get("tags") or {}), TAG_RULES),
    }
    txn.put(CLUSTERS, k, doc)
    txn.publish(TOPIC, {"key": k})
    return doc, True


def get(txn: Txn, account: str, region: str, name: str) -> Doc:
    doc = txn.get(CLUSTERS, key(account, region, name))
    if doc is None:
        raise not_found(name)
    return doc


def names(txn: Txn, account: str, region: str, p: Mapping[str, Any]) -> tuple[list[str], str | None]:
    """One page of ListClusters (names in order; AWS's 100 per page at most)."""
    rows, nxt = paging.page(txn, CLUSTERS, f"{account}/{region}/", token=p.get("nextToken"),
                            limit=p.get("maxResults"), default_limit=100, max_limit=100,
                            error=lambda: _invalid("The nextToken is not valid."))
    return [str(d["name"]) for _, d in rows], nxt


def delete(txn: Txn, account: str, region: str, name: str) -> Doc:
    """DeleteCluster: the record goes (nothing runs for it); the document as it was, DELETING."""
    doc = get(txn, account, region, name)
    if doc.get("deletionProtection"):
        raise AwsError.modeled("eks", "InvalidRequestException",
                               f"Cluster {name} has deletion protection enabled; disable it before deleting "
                               "the cluster.", clusterName=name)
    k = key(account, region, name)
    txn.delete(CLUSTERS, k)
    txn.publish(TOPIC, {"key": k})
    return {**doc, "status": "DELETING"}


def fail(txn: Txn, k: str, code: str, message: str) -> bool:
    """Move the CREATING cluster at `k` to FAILED with one health issue; False if it is gone or
    no longer CREATING."""
    doc = txn.get(CLUSTERS, k)
    if doc is None or doc.get("status") != "CREATING":
        return False
    doc["status"] = "FAILED"
    doc["health"] = {"issues": [{"code": code, "message": message, "resourceIds": [doc["name"]]}]}
    txn.put(CLUSTERS, k, doc)
    txn.publish(TOPIC, {"key": k})
    return True


def creating(txn: Txn) -> list[str]:
    """Keys of every cluster (any account) still CREATING."""
    return [k for k, d in txn.scan(CLUSTERS) if d.get("status") == "CREATING"]


def view(doc: Doc) -> Doc:
    """The `Cluster` shape of a document."""
    out: Doc = {k: doc[k] for k in ("name", "arn", "version", "roleArn", "resourcesVpcConfig",
                                    "kubernetesNetworkConfig", "logging", "accessConfig", "status",
                                    "deletionProtection", "tags")}
    out["createdAt"] = doc["createdAt"]
    out["certificateAuthority"] = {}
    if doc.get("clientRequestToken"):
        out["clientRequestToken"] = doc["clientRequestToken"]
    if doc.get("health"):
        out["health"] = doc["health"]
    return out


class _TagPlace:
    def __init__(self, k: str, doc: Doc) -> None:
        self.k, self.doc = k, doc

    def read(self, txn: Txn) -> dict[str, str]:
        return dict(self.doc.get("tags") or {})

    def write(self, txn: Txn, tag_set: dict[str, str]) -> None:
        self.doc["tags"] = tag_set
        txn.put(CLUSTERS, self.k, self.doc)
        txn.publish(TOPIC, {"key": self.k})


def tag_place(txn: Txn, account: str, region: str, resource_arn: str) -> _TagPlace:
    """Where the tags of the resource `resource_arn` live (only clusters exist yet)."""
    a = arns.try_parse(resource_arn)
    if a is None or a.service != "eks":
        raise AwsError.modeled("eks", "BadRequestException", f"Invalid ARN: {resource_arn}")
    kind, _, name = a.resource.partition("/")
    if kind != "cluster" or not name or "/" in name:
        raise AwsError.modeled("eks", "BadRequestException", f"Invalid ARN: {resource_arn}")
    k = key(a.account, a.region, name)
    doc = txn.get(CLUSTERS, k) if (a.account, a.region) == (account, region) else None
    if doc is None:
        raise AwsError.modeled("eks", "NotFoundException", f"Resource was not found: {resource_arn}")
    return _TagPlace(k, doc)
