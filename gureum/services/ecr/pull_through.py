"""Pull through cache rules (CreatePullThroughCacheRule...): which upstream registry a
repository namespace of this registry mirrors.

Table `ecr.ptc`: "<account>|<region>|<ecrRepositoryPrefix>" -> the rule document (the API's
PullThroughCacheRule members; `createdAt`/`updatedAt` epoch seconds).

Rules (AWS's): a prefix is unique per registry; at most 50 rules per registry; a rule with
prefix `p` serves repositories named `p/<upstream path>`, a ROOT rule every repository no
other rule covers; the upstream repository is `<upstreamRepositoryPrefix>/<upstream path>`
(no prefix for ROOT or when none was given). `upstreamRegistryUrl` is a host[:port] (an
`http://` or `https://` scheme may be given): registries on loopback are spoken to over
plain HTTP, others over HTTPS. An upstream that wants credentials gets them from a
Secrets Manager secret named by the rule's `credentialArn`: its name begins with
`ecr-pullthroughcache/`, it lives in the rule's account and region, and its value is JSON
with `username` and `accessToken` (AWS's format); it is checked when the rule is created or
updated and read again at every pull (a rotated secret applies at once). Without one,
upstreams are pulled anonymously (or with the Docker token flow's anonymous tokens).
Writes publish "ecr.ptc" {"scope", "prefix", "event"}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gureum.aws.errors import AwsError
from gureum.store.base import Txn

RULES = "ecr.ptc"
TOPIC = "ecr.ptc"
MAX_RULES = 50
ROOT = "ROOT"


@dataclass(frozen=True)
class Upstream:
    """Where a cached repository's images come from."""

    base_url: str  # scheme://host[:port]
    repository: str  # the repository's path on the upstream registry
    rule: dict[str, Any]


def _key(scope: str, prefix: str) -> str:
    return scope + prefix


def _not_found(prefix: str, account: str) -> AwsError:
    return AwsError.modeled("ecr", "PullThroughCacheRuleNotFoundException",
                            f"The pull through cache rule with prefix '{prefix}' does not exist in the registry with id '{account}'")


SECRET_PREFIX = "ecr-pullthroughcache/"


def credentials(txn: Txn, account: str, region: str, credential_arn: str) -> tuple[str, str]:
    """(username, access token) of the rule's secret, or ECR's AwsError for why not: a secret
    of another account or region, a name without the prefix, a missing or undecryptable
    secret, a value that is not AWS's JSON. Run in a writing transaction (Secrets Manager
    records the read)."""
    from gureum.services.secretsmanager import port as secretsmanager

    parts = credential_arn.split(":", 6)
    if len(parts) != 7 or parts[2] != "secretsmanager" or parts[5] != "secret" or \
            not parts[6].startswith(SECRET_PREFIX) or parts[3] != region or parts[4] != account:
        raise AwsError.modeled("ecr", "UnableToAccessSecretException",
                               f"The secret '{credential_arn}' cannot be used: a pull through cache rule's secret is in the "
                               f"rule's account and Region and its name begins with '{SECRET_PREFIX}'")
    try:
        value = secretsmanager.secret_value(txn, account, region, credential_arn)
    except AwsError as e:
        if e.code == "DecryptionFailure":
            raise AwsError.modeled("ecr", "UnableToDecryptSecretValueException",
                                   f"The secret '{credential_arn}' could not be decrypted") from None
        raise AwsError.modeled("ecr", "SecretNotFoundException",
                               f"The secret '{credential_arn}' was not found") from None
    try:
        doc = json.loads(value)
        username, token = doc["username"], doc["accessToken"]
        if not isinstance(username, str) or not isinstance(token, str):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise AwsError.modeled("ecr", "UnableToAccessSecretException",
                               f"The secret '{credential_arn}' must hold JSON with 'username' and 'accessToken'") from None
    return username, token


def base_url(upstream: str) -> str:
    """The upstream registry's base URL: its scheme if given, else http on loopback, https elsewhere."""
    url = upstream.rstrip("/")
    if url.startswith(("http://", "https://")):
        return url
    host = url.split("/", 1)[0]
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:host.find("]")]
    loopback = name in ("localhost", "::1") or name.startswith("127.")
    return ("http://" if loopback else "https://") + host


def _check_upstream(url: str) -> None:
    rest = url.split("://", 1)[-1].rstrip("/")
    if not rest or "/" in rest or any(c.isspace() for c in rest):
        raise AwsError.modeled("ecr", "InvalidParameterException",
                               f"Invalid parameter at 'upstreamRegistryUrl' failed to satisfy constraint: '{url}' is not a registry URL")


def create(txn: Txn, scope: str, account: str, region: str, params: dict[str, Any], now: float) -> dict[str, Any]:
    prefix = params["ecrRepositoryPrefix"].rstrip("/")
    if params.get("credentialArn"):
        credentials(txn, account, region, params["credentialArn"])
    _check_upstream(params["upstreamRegistryUrl"])
    if txn.get(RULES, _key(scope, prefix)) is not None:
        raise AwsError.modeled("ecr", "PullThroughCacheRuleAlreadyExistsException",
                               f"A pull through cache rule with prefix '{prefix}' already exists in the registry with id '{account}'")
    if txn.count(RULES, scope) >= MAX_RULES:
        raise AwsError.modeled("ecr", "LimitExceededException",
                               f"The maximum number of pull through cache rules ({MAX_RULES}) has been reached")
    doc: dict[str, Any] = {
        "ecrRepositoryPrefix": prefix,
        "upstreamRegistryUrl": params["upstreamRegistryUrl"],
        "registryId": account,
        "createdAt": now,
        "updatedAt": now,
        "upstreamRepositoryPrefix": params.get("upstreamRepositoryPrefix") or ROOT,
    }
    for k in ("upstreamRegistry", "customRoleArn", "credentialArn"):
        if params.get(k):
            doc[k] = params[k]
    txn.put(RULES, _key(scope, prefix), doc)
    txn.publish(TOPIC, {"scope": scope, "prefix": prefix, "event": "created"})
    return doc


def get(txn: Txn, scope: str, account: str, prefix: str) -> dict[str, Any]:
    doc = txn.get(RULES, _key(scope, prefix.rstrip("/")))
    if doc is None:
        raise _not_found(prefix, account)
    return doc


def update(txn: Txn, scope: str, account: str, region: str, params: dict[str, Any], now: float) -> dict[str, Any]:
    doc = get(txn, scope, account, params["ecrRepositoryPrefix"])
    if params.get("credentialArn"):
        credentials(txn, account, region, params["credentialArn"])
        doc["credentialArn"] = params["credentialArn"]
    if params.get("customRoleArn"):
        doc["customRoleArn"] = params["customRoleArn"]
    doc["updatedAt"] = now
    txn.put(RULES, _key(scope, doc["ecrRepositoryPrefix"]), doc)
    txn.publish(TOPIC, {"scope": scope, "prefix": doc["ecrRepositoryPrefix"], "event": "updated"})
    return doc


def delete(txn: Txn, scope: str, account: str, prefix: str) -> dict[str, Any]:
    doc = get(txn, scope, account, prefix)
    txn.delete(RULES, _key(scope, doc["ecrRepositoryPrefix"]))
    txn.publish(TOPIC, {"scope": scope, "prefix": doc["ecrRepositoryPrefix"], "event": "deleted"})
    return doc


def listing(txn: Txn, scope: str, account: str, prefixes: list[str] | None) -> list[dict[str, Any]]:
    if prefixes:
        return [get(txn, scope, account, p) for p in prefixes]
    return sorted((doc for _, doc in txn.scan(RULES, prefix=scope)), key=lambda d: d["ecrRepositoryPrefix"])


def upstream_for(txn: Txn, scope: str, name: str) -> Upstream | None:
    """The upstream a repository `name` of this registry caches, or None (no rule covers it)."""
    best: dict[str, Any] | None = None
    for _, doc in txn.scan(RULES, prefix=scope):
        p = doc["ecrRepositoryPrefix"]
        if p == ROOT:
            if best is None:
                best = doc
        elif name.startswith(p + "/") and (best is None or best["ecrRepositoryPrefix"] == ROOT
                                           or len(p) > len(best["ecrRepositoryPrefix"])):
            best = doc
    if best is None:
        return None
    p = best["ecrRepositoryPrefix"]
    path = name if p == ROOT else name[len(p) + 1:]
    up = best.get("upstreamRepositoryPrefix") or ROOT
    if up != ROOT:
        path = up.rstrip("/") + "/" + path
    return Upstream(base_url(best["upstreamRegistryUrl"]), path, best)
