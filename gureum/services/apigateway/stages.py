"""Deployments and stages of a REST API (tables apigw_deployments, apigw_stages: apis.py).

A deployment freezes what the API is at CreateDeployment: its "snapshot" holds the API's
settings ("api": binaryMediaTypes, apiKeySource, ...) and every resource with its methods,
so later edits change nothing a stage serves until the next deployment. A stage names one
deployment (and a canary's, if any), its variables, per-method settings ("methodSettings":
{"<resource path>/<METHOD>" or "*/*": MethodSetting}) and access log settings.

Invariants: a deployment needs at least one method and every method an integration; a
deployment a stage (or its canary) points at cannot be deleted; stage names are
[a-zA-Z0-9_]{1,128}. Every write publishes apis.TOPIC.
"""

from __future__ import annotations

import re
from typing import Any

from gureum.aws import tags
from gureum.services.apigateway import cache_cluster, ids, patch
from gureum.services.apigateway.apis import (
    APIS,
    AUTHORIZERS,
    CLIENT_CERTS,
    DEPLOYMENTS,
    GATEWAY_RESPONSES,
    MODELS,
    RESOURCES,
    STAGES,
    TAG_RULES,
    VALIDATORS,
    changed,
    get,
    page,
    scope,
)
from gureum.services.apigateway.errors import bad_request, conflict, not_found
from gureum.store import Txn

Doc = dict[str, Any]
_STAGE_NAME = re.compile(r"[a-zA-Z0-9_]{1,128}")
_VARIABLE_NAME = re.compile(r"[a-zA-Z0-9_]{1,64}")
_VARIABLE_VALUE = re.compile(r"[a-zA-Z0-9\-._~:/?#&=,]{0,512}")
_SETTINGS = {  # UpdateStage's method setting paths -> MethodSetting members, with their types
    "metrics/enabled": ("metricsEnabled", patch.as_bool),
    "logging/loglevel": ("loggingLevel", patch.as_str),
    "logging/dataTrace": ("dataTraceEnabled", patch.as_bool),
    "throttling/burstLimit": ("throttlingBurstLimit", patch.as_int),
    "throttling/rateLimit": ("throttlingRateLimit", patch.as_float),
    "caching/enabled": ("cachingEnabled", patch.as_bool),
    "caching/ttlInSeconds": ("cacheTtlInSeconds", patch.as_int),
    "caching/dataEncrypted": ("cacheDataEncrypted", patch.as_bool),
    "caching/requireAuthorizationForCacheControl": ("requireAuthorizationForCacheControl", patch.as_bool),
    "caching/unauthorizedCacheControlHeaderStrategy": ("unauthorizedCacheControlHeaderStrategy", patch.as_str),
}
_SETTING_DEFAULTS: Doc = {
    "metricsEnabled": False, "dataTraceEnabled": False, "throttlingBurstLimit": 5000, "throttlingRateLimit": 10000.0,
    "cachingEnabled": False, "cacheTtlInSeconds": 300, "cacheDataEncrypted": False,
    "requireAuthorizationForCacheControl": True, "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER",
    "loggingLevel": "OFF",
}


def _dkey(account: str, region: str, api_id: str, deployment_id: str) -> str:
    return f"{scope(account, region, api_id)}/{deployment_id}"


def deployment(txn: Txn, account: str, region: str, api_id: str, deployment_id: str) -> Doc:
    get(txn, account, region, api_id)
    doc = txn.get(DEPLOYMENTS, _dkey(account, region, api_id, deployment_id))
    if doc is None:
        raise not_found("Invalid Deployment identifier specified")
    return doc


def api_summary(snapshot: Doc) -> Doc:
    return {r["path"]: {m: {"authorizationType": d["authorizationType"], "apiKeyRequired": d.get("apiKeyRequired", False)}
                        for m, d in r["methods"].items()}
            for r in snapshot["resources"] if r["methods"]}


def _variables(variables: Any) -> dict[str, str]:
    out = dict(variables or {})
    for name, value in out.items():
        if not _VARIABLE_NAME.fullmatch(name):
            raise bad_request("Stage variable names must be alphanumeric (and underscores) and between 1 and 64 characters")
        if not _VARIABLE_VALUE.fullmatch(str(value)):
            raise bad_request("Stage variable value can only contain alphanumeric and the following special characters: "
                              "-._~:/?#&=, and must be between 0 and 512 characters")
    return out


def create_deployment(txn: Txn, account: str, region: str, api_id: str, p: Doc, now: float) -> Doc:
    api = get(txn, account, region, api_id)
    resources = [d for _, d in txn.scan(RESOURCES, scope(account, region, api_id) + "/")]
    methods = [m for r in resources for m in r["methods"].values()]
    if not methods:
        raise bad_request("The REST API doesn't contain any methods")
    if any("methodIntegration" not in m for m in methods):
        raise bad_request("No integration defined for method")
    stage_name = p.get("stageName")
    if stage_name is not None and not _STAGE_NAME.fullmatch(stage_name):
        raise bad_request("Stage name only allows a-zA-Z0-9_")
    variables = _variables(p.get("variables"))
    did = ids.fresh(lambda c: txn.get(DEPLOYMENTS, _dkey(account, region, api_id, c)) is not None)
    snapshot = snapshot_of(txn, account, region, api_id, api, resources)
    doc: Doc = {"id": did, "createdDate": now, "snapshot": snapshot}
    if p.get("description") is not None:
        doc["description"] = p["description"]
    txn.put(DEPLOYMENTS, _dkey(account, region, api_id, did), doc)
    if stage_name:
        skey = f"{scope(account, region, api_id)}/{stage_name}"
        stage = txn.get(STAGES, skey)
        old_stage = stage
        if stage is None:
            stage = _new_stage(api_id, stage_name, did, now)
        stage = {**stage, "deploymentId": did, "lastUpdatedDate": now}
        if variables:
            stage["variables"] = {**(stage.get("variables") or {}), **variables}
        if p.get("stageDescription") is not None:
            stage["description"] = p["stageDescription"]
        for name in ("cacheClusterEnabled", "cacheClusterSize", "tracingEnabled"):
            if p.get(name) is not None:
                stage[name] = p[name]
        if p.get("canarySettings"):
            stage["canarySettings"] = {**p["canarySettings"], "deploymentId": did}
        stage = cache_cluster.apply(txn, account, region, api_id, old_stage, stage, now)
        txn.put(STAGES, skey, stage)
    changed(txn, api_id)
    return doc


def snapshot_of(txn: Txn, account: str, region: str, api_id: str, api: Doc, resources: list[Doc]) -> Doc:
    """What a deployment freezes of the API now (also what TestInvokeMethod runs)."""
    s = scope(account, region, api_id)
    return {"api": {k: api.get(k) for k in ("binaryMediaTypes", "apiKeySource", "minimumCompressionSize",
                                              "disableExecuteApiEndpoint", "policy")},
            "resources": resources,
            "authorizers": {d["id"]: d for _, d in txn.scan(AUTHORIZERS, s + "/")},
            "gatewayResponses": {d["responseType"]: d for _, d in txn.scan(GATEWAY_RESPONSES, s + "/")},
            "models": {d["name"]: d for _, d in txn.scan(MODELS, s + "/")},
            "validators": {d["id"]: d for _, d in txn.scan(VALIDATORS, s + "/")}}


def deployment_view(doc: Doc, embed: list[str] | None = None) -> Doc:
    out = {k: v for k, v in doc.items() if k != "snapshot"}
    out["apiSummary"] = api_summary(doc["snapshot"])
    return out


def list_deployments(txn: Txn, account: str, region: str, api_id: str, position: str | None,
                     limit: int | None) -> tuple[list[Doc], str | None]:
    get(txn, account, region, api_id)
    rows, nxt = page(txn, DEPLOYMENTS, scope(account, region, api_id) + "/", position, limit)
    return [deployment_view(d) for _, d in rows], nxt


def _stages(txn: Txn, account: str, region: str, api_id: str) -> list[Doc]:
    return [d for _, d in txn.scan(STAGES, scope(account, region, api_id) + "/")]


def update_deployment(txn: Txn, account: str, region: str, api_id: str, deployment_id: str, operations: list[Doc] | None) -> Doc:
    doc = deployment(txn, account, region, api_id, deployment_id)
    new = patch.apply(doc, operations, patch.Fields(scalars={"description": patch.as_str}))
    txn.put(DEPLOYMENTS, _dkey(account, region, api_id, deployment_id), new)
    return new


def delete_deployment(txn: Txn, account: str, region: str, api_id: str, deployment_id: str) -> None:
    deployment(txn, account, region, api_id, deployment_id)
    for stage in _stages(txn, account, region, api_id):
        if deployment_id in (stage.get("deploymentId"), (stage.get("canarySettings") or {}).get("deploymentId")):
            raise bad_request("Active stages pointing to this deployment must be moved or deleted")
    txn.delete(DEPLOYMENTS, _dkey(account, region, api_id, deployment_id))
    changed(txn, api_id)


# --- stages -------------------------------------------------------------------------------

def _new_stage(api_id: str, name: str, deployment_id: str, now: float) -> Doc:
    return {"stageName": name, "deploymentId": deployment_id, "cacheClusterEnabled": False,
            "cacheClusterStatus": "NOT_AVAILABLE", "methodSettings": {}, "tracingEnabled": False,
            "createdDate": now, "lastUpdatedDate": now}


def stage(txn: Txn, account: str, region: str, api_id: str, name: str) -> Doc:
    get(txn, account, region, api_id)
    doc = txn.get(STAGES, f"{scope(account, region, api_id)}/{name}")
    if doc is None:
        raise not_found("Invalid Stage identifier specified")
    return doc


def create_stage(txn: Txn, account: str, region: str, api_id: str, p: Doc, now: float) -> Doc:
    name = p["stageName"]
    if not _STAGE_NAME.fullmatch(name):
        raise bad_request("Stage name only allows a-zA-Z0-9_")
    deployment(txn, account, region, api_id, p["deploymentId"])
    skey = f"{scope(account, region, api_id)}/{name}"
    if txn.get(STAGES, skey) is not None:
        raise conflict("Stage already exists")
    doc = _new_stage(api_id, name, p["deploymentId"], now)
    for field in ("description", "cacheClusterEnabled", "cacheClusterSize", "documentationVersion", "tracingEnabled"):
        if p.get(field) is not None:
            doc[field] = p[field]
    if p.get("variables"):
        doc["variables"] = _variables(p["variables"])
    canary = p.get("canarySettings")
    if canary:
        if canary.get("deploymentId"):
            deployment(txn, account, region, api_id, canary["deploymentId"])
        doc["canarySettings"] = dict(canary)
    doc["tags"] = tags.check(dict(p.get("tags") or {}), TAG_RULES)
    doc = cache_cluster.apply(txn, account, region, api_id, None, doc, now)
    txn.put(STAGES, skey, doc)
    changed(txn, api_id)
    return doc


def list_stages(txn: Txn, account: str, region: str, api_id: str, deployment_id: str | None) -> list[Doc]:
    get(txn, account, region, api_id)
    return [s for s in _stages(txn, account, region, api_id) if deployment_id is None or s["deploymentId"] == deployment_id]


def _stage_special(doc: Doc, op: str, parts: list[str], value: str | None) -> bool:
    """Method settings ("/{resource path}/{METHOD}/{group}/{setting}", "*/*" for all),
    canary settings and access log settings."""
    if len(parts) == 4 and "/".join(parts[2:]) in _SETTINGS:
        member, convert = _SETTINGS["/".join(parts[2:])]
        key = f"{parts[0].replace('~', '~0').replace('/', '~1')}/{parts[1]}"  # AWS keeps the path escaped
        settings = dict(doc.get("methodSettings") or {})
        current = dict(settings.get(key) or _SETTING_DEFAULTS)
        if op == "remove":
            current[member] = _SETTING_DEFAULTS[member]
        else:
            current[member] = convert(value)
        settings[key] = current
        doc["methodSettings"] = settings
        return True
    if len(parts) == 2 and parts[0] in ("*", "") and parts[1] in ("*", "") and op == "remove":
        doc["methodSettings"] = {k: v for k, v in (doc.get("methodSettings") or {}).items() if k != "*/*"}
        return True
    if parts[0] == "accessLogSettings" and len(parts) <= 2:
        if op == "remove":
            doc.pop("accessLogSettings", None) if len(parts) == 1 else (doc.get("accessLogSettings") or {}).pop(parts[1], None)
        elif len(parts) == 2 and parts[1] in ("format", "destinationArn"):
            doc["accessLogSettings"] = {**(doc.get("accessLogSettings") or {}), parts[1]: value}
        else:
            return False
        return True
    if parts[0] == "canarySettings":
        canary = dict(doc.get("canarySettings") or {})
        if len(parts) == 1 and op == "remove":
            doc.pop("canarySettings", None)
            return True
        if len(parts) == 2 and parts[1] in ("percentTraffic", "deploymentId", "useStageCache"):
            convert = {"percentTraffic": patch.as_float, "useStageCache": patch.as_bool}.get(parts[1], patch.as_str)
            if op == "remove":
                canary.pop(parts[1], None)
            else:
                canary[parts[1]] = convert(value)
            doc["canarySettings"] = canary
            return True
        if len(parts) == 3 and parts[1] == "stageVariableOverrides":
            overrides = dict(canary.get("stageVariableOverrides") or {})
            if op == "remove":
                overrides.pop(parts[2], None)
            else:
                overrides[parts[2]] = value
            canary["stageVariableOverrides"] = overrides
            doc["canarySettings"] = canary
            return True
    return False


_STAGE_FIELDS = patch.Fields(
    scalars={"deploymentId": patch.as_str, "description": patch.as_str, "cacheClusterEnabled": patch.as_bool,
             "cacheClusterSize": patch.as_str, "tracingEnabled": patch.as_bool, "clientCertificateId": patch.as_str,
             "documentationVersion": patch.as_str, "webAclArn": patch.as_str},
    maps=("variables",),
    special=_stage_special,
)


def update_stage(txn: Txn, account: str, region: str, api_id: str, name: str, operations: list[Doc] | None, now: float) -> Doc:
    doc = stage(txn, account, region, api_id, name)
    new = patch.apply(doc, operations, _STAGE_FIELDS)
    if new["deploymentId"] != doc["deploymentId"]:
        deployment(txn, account, region, api_id, new["deploymentId"])
    canary = new.get("canarySettings") or {}
    if canary.get("deploymentId") and canary["deploymentId"] != (doc.get("canarySettings") or {}).get("deploymentId"):
        deployment(txn, account, region, api_id, canary["deploymentId"])
    if canary.get("percentTraffic") is not None and not 0.0 <= float(canary["percentTraffic"]) <= 100.0:
        raise bad_request("Canary traffic percentage must be between 0.0 and 100.0")
    new["variables"] = _variables(new.get("variables"))
    if not new["variables"]:
        new.pop("variables")
    cert_id = new.get("clientCertificateId")
    if cert_id and cert_id != doc.get("clientCertificateId") and txn.get(CLIENT_CERTS, f"{account}/{region}/{cert_id}") is None:
        raise bad_request(f"Invalid client certificate identifier specified: {cert_id}")
    new["lastUpdatedDate"] = now
    new = cache_cluster.apply(txn, account, region, api_id, doc, new, now)
    txn.put(STAGES, f"{scope(account, region, api_id)}/{name}", new)
    changed(txn, api_id)
    return new


def delete_stage(txn: Txn, account: str, region: str, api_id: str, name: str, now: float) -> None:
    cache_cluster.settle_deleted(txn, account, region, api_id, stage(txn, account, region, api_id, name), now)
    txn.delete(STAGES, f"{scope(account, region, api_id)}/{name}")
    changed(txn, api_id)


def serving(txn: Txn, account: str, region: str, api_id: str, name: str) -> tuple[Doc, Doc, Doc, Doc | None] | None:
    """(api, stage, deployment, canary deployment or None) a request to stage `name` of
    `api_id` is served from, or None when the API has no such stage (or its deployment is gone)."""
    api = txn.get(APIS, scope(account, region, api_id))
    st = txn.get(STAGES, f"{scope(account, region, api_id)}/{name}")
    if api is None or st is None:
        return None
    dep = txn.get(DEPLOYMENTS, _dkey(account, region, api_id, st["deploymentId"]))
    canary_id = (st.get("canarySettings") or {}).get("deploymentId")
    canary = txn.get(DEPLOYMENTS, _dkey(account, region, api_id, canary_id)) if canary_id else None
    return None if dep is None else (api, st, dep, canary)
