"""EKS access entries and their access policy associations, and what they grant (authn.py).

Table eks_access_entries: "{account}/{region}/{cluster}/{principalArn}" -> {"clusterName",
"principalArn", "kubernetesGroups", "accessEntryArn", "createdAt", "modifiedAt" (epoch
seconds), "username", "type", "tags", "policies": {policyArn: {"accessScope", "associatedAt",
"modifiedAt"}}}.

Rules (AWS's): entries exist only on clusters whose authenticationMode is API or
API_AND_CONFIG_MAP (InvalidRequestException otherwise); one entry per principal (an IAM role or
user ARN) and cluster; Kubernetes group names may not start with "system:"; only STANDARD
entries are built here (node types need the kubelets of a later slice); a policy is one of
`POLICIES`, scoped to the cluster or to named namespaces. A cluster's entries go with it.
CreateCluster with bootstrapClusterCreatorAdminPermissions in an API mode gives the creator
an entry with AmazonEKSClusterAdminPolicy (`bootstrap`).

What an entry grants (`groups`): its kubernetesGroups; AmazonEKSClusterAdminPolicy on the
cluster is `system:masters`; every other association is the group
"gureum:eks:{policy}" (cluster scope) or "gureum:eks:{policy}:{namespace}", which the
control plane is to bind to the admin/edit/view ClusterRoles (not built yet: no control plane).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.aws.errors import AwsError
from gureum.services.eks import clusters as C
from gureum.store import Txn

ENTRIES = "eks_access_entries"
POLICIES = ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy")
ADMIN = "AmazonEKSClusterAdminPolicy"
API_MODES = ("API", "API_AND_CONFIG_MAP")

Doc = dict[str, Any]


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("eks", "InvalidParameterException", message)


def _entry_key(account: str, region: str, cluster: str, principal: str) -> str:
    return f"{C.key(account, region, cluster)}/{principal}"


def _cluster_for_entries(txn: Txn, account: str, region: str, cluster: str) -> Doc:
    doc = C.get(txn, account, region, cluster)
    if (doc.get("accessConfig") or {}).get("authenticationMode") not in API_MODES:
        raise AwsError.modeled("eks", "InvalidRequestException",
                               "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] "
                               "to perform this operation.", clusterName=cluster)
    return doc


def _principal(text: str) -> tuple[str, str, str]:
    """(kind, account, name) of an IAM role or user ARN."""
    a = arns.try_parse(text)
    kind, _, rest = (a.resource if a else "").partition("/")
    if a is None or a.service != "iam" or kind not in ("role", "user") or not rest:
        raise _invalid(f"The specified principalArn is invalid: {text}")
    return kind, a.account, rest.rsplit("/", 1)[-1]


def create(txn: Txn, account: str, region: str, p: Mapping[str, Any], now: float) -> Doc:
    cluster, principal = str(p["clusterName"]), str(p["principalArn"])
    _cluster_for_entries(txn, account, region, cluster)
    kind, p_account, name = _principal(principal)
    if str(p.get("type") or "STANDARD") != "STANDARD":
        raise _invalid(f"The access entry type {p.get('type')} is not supported by this gureum yet.")
    groups = [str(g) for g in p.get("kubernetesGroups") or []]
    if any(g.startswith("system:") for g in groups):
        raise _invalid("Kubernetes group names can't start with system:")
    k = _entry_key(account, region, cluster, principal)
    if txn.get(ENTRIES, k) is not None:
        raise AwsError.modeled("eks", "ResourceInUseException",
                               "The specified access entry resource is already in use on this cluster.",
                               clusterName=cluster)
    default_user = (principal if kind == "user"
                    else arns.sts_assumed_role(p_account, name, "{{SessionName}}"))
    doc: Doc = {
        "clusterName": cluster, "principalArn": principal, "kubernetesGroups": groups,
        "accessEntryArn": arns.eks_access_entry(region, account, cluster, kind, p_account, name, str(uuid.uuid4())),
        "createdAt": now, "modifiedAt": now, "username": str(p.get("username") or default_user),
        "type": "STANDARD", "tags": tags.check(dict(p.get("tags") or {}), C.TAG_RULES), "policies": {},
    }
    txn.put(ENTRIES, k, doc)
    return doc


def bootstrap(txn: Txn, account: str, region: str, cluster: Doc, now: float) -> None:
    """The creator's entry with cluster-wide AmazonEKSClusterAdminPolicy, as CreateCluster with
    bootstrapClusterCreatorAdminPermissions makes it in the API modes."""
    access = cluster.get("accessConfig") or {}
    creator = str(cluster.get("creatorArn") or "")
    if access.get("authenticationMode") not in API_MODES or not access.get("bootstrapClusterCreatorAdminPermissions"):
        return
    a = arns.try_parse(creator)
    if a is None or a.service != "iam" or not a.resource.startswith(("role/", "user/")):
        return  # a root caller has no entry: it is admitted as the creator (authn.py)
    doc = create(txn, account, region, {"clusterName": cluster["name"], "principalArn": creator}, now)
    doc["policies"][arns.eks_access_policy(ADMIN)] = {"accessScope": {"type": "cluster", "namespaces": []},
                                                      "associatedAt": now, "modifiedAt": now}
    txn.put(ENTRIES, _entry_key(account, region, cluster["name"], creator), doc)


def get(txn: Txn, account: str, region: str, cluster: str, principal: str) -> Doc:
    _cluster_for_entries(txn, account, region, cluster)
    doc = txn.get(ENTRIES, _entry_key(account, region, cluster, principal))
    if doc is None:
        raise AwsError.modeled("eks", "ResourceNotFoundException",
                               f"The specified access entry resource can't be found on cluster {cluster}.",
                               clusterName=cluster)
    return doc


def find(txn: Txn, account: str, region: str, cluster: str, principal: str) -> Doc | None:
    """The entry of `principal` on a cluster, without the API's checks (authn.py)."""
    return txn.get(ENTRIES, _entry_key(account, region, cluster, principal))


def delete(txn: Txn, account: str, region: str, cluster: str, principal: str) -> None:
    get(txn, account, region, cluster, principal)
    txn.delete(ENTRIES, _entry_key(account, region, cluster, principal))


def delete_all(txn: Txn, account: str, region: str, cluster: str) -> int:
    return txn.delete_prefix(ENTRIES, C.key(account, region, cluster) + "/")


def principals(txn: Txn, account: str, region: str, p: Mapping[str, Any]) -> tuple[list[str], str | None]:
    cluster = str(p["clusterName"])
    _cluster_for_entries(txn, account, region, cluster)
    wanted = p.get("associatedPolicyArn")
    rows, nxt = paging.page(txn, ENTRIES, C.key(account, region, cluster) + "/", token=p.get("nextToken"),
                            limit=p.get("maxResults"), default_limit=100, max_limit=100,
                            keep=(lambda d: wanted in (d.get("policies") or {})) if wanted else None,
                            filters={"policy": wanted} if wanted else None,
                            error=lambda: _invalid("The nextToken is not valid."))
    return [str(d["principalArn"]) for _, d in rows], nxt


def _policy(text: str) -> str:
    a = arns.try_parse(text)
    name = a.resource.removeprefix("cluster-access-policy/") if a else ""
    if a is None or a.service != "eks" or a.account != "aws" or name not in POLICIES \
            or not a.resource.startswith("cluster-access-policy/"):
        raise _invalid(f"The specified policyArn is invalid: {text}")
    return name


def associate(txn: Txn, account: str, region: str, p: Mapping[str, Any], now: float) -> Doc:
    cluster, principal = str(p["clusterName"]), str(p["principalArn"])
    doc = get(txn, account, region, cluster, principal)
    _policy(str(p["policyArn"]))
    scope = p["accessScope"]
    kind = str(scope.get("type") or "")
    namespaces = [str(n) for n in scope.get("namespaces") or []]
    if kind == "cluster" and namespaces:
        raise _invalid("Namespaces can't be specified for an access scope of type cluster.")
    if kind == "namespace" and not namespaces:
        raise _invalid("At least one namespace is required for an access scope of type namespace.")
    if kind not in ("cluster", "namespace"):
        raise _invalid(f"Invalid access scope type: {kind}")
    old = (doc.get("policies") or {}).get(str(p["policyArn"]))
    assoc = {"accessScope": {"type": kind, "namespaces": namespaces},
             "associatedAt": old["associatedAt"] if old else now, "modifiedAt": now}
    doc.setdefault("policies", {})[str(p["policyArn"])] = assoc
    txn.put(ENTRIES, _entry_key(account, region, cluster, principal), doc)
    return {"policyArn": str(p["policyArn"]), **assoc}


def disassociate(txn: Txn, account: str, region: str, cluster: str, principal: str, policy: str) -> None:
    doc = get(txn, account, region, cluster, principal)
    if policy not in (doc.get("policies") or {}):
        raise AwsError.modeled("eks", "ResourceNotFoundException",
                               f"The specified policy association can't be found on cluster {cluster}.",
                               clusterName=cluster)
    del doc["policies"][policy]
    txn.put(ENTRIES, _entry_key(account, region, cluster, principal), doc)


def associations(doc: Doc) -> list[Doc]:
    return [{"policyArn": arn, **a} for arn, a in sorted((doc.get("policies") or {}).items())]


def catalogue() -> list[Doc]:
    return [{"name": n, "arn": arns.eks_access_policy(n)} for n in sorted(POLICIES)]


def groups(doc: Doc) -> list[str]:
    """The Kubernetes groups an entry puts its principal in (see the module docstring)."""
    out = list(doc.get("kubernetesGroups") or [])
    for arn, a in sorted((doc.get("policies") or {}).items()):
        name = arn.rsplit("/", 1)[-1]
        scope = a.get("accessScope") or {}
        if scope.get("type") == "cluster":
            out.append("system:masters" if name == ADMIN else f"gureum:eks:{name}")
        else:
            out += [f"gureum:eks:{name}:{ns}" for ns in scope.get("namespaces") or []]
    return out


def view(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k != "policies"}
