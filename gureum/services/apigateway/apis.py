"""REST APIs: the store layout of every API Gateway REST API object and the rules for the APIs
themselves (create, clone, update, delete, tags).

Tables (every key starts "{account}/{region}/{api_id}", `scope()`):
- apigw_apis: scope -> the RestApi {"id", "name", "description", "createdDate", "version",
  "binaryMediaTypes", "minimumCompressionSize", "apiKeySource", "endpointConfiguration",
  "policy", "disableExecuteApiEndpoint", "rootResourceId", "tags"}.
- apigw_resources: scope + "/{resource_id}" -> a Resource {"id", "parentId", "pathPart",
  "path", "methods": {HTTP method: Method, with "methodResponses" and "methodIntegration"
  (with "integrationResponses") nested}} (resources.py).
- apigw_deployments: scope + "/{deployment_id}" -> {"id", "description", "createdDate",
  "snapshot": the API's resources and settings as deployed} (stages.py).
- apigw_stages: scope + "/{stage_name}" -> a Stage (stages.py).
- apigw_models: scope + "/{model_name}" -> a Model; apigw_validators: scope + "/{id}" -> a
  RequestValidator (models.py).
- apigw_authorizers: scope + "/{id}" -> an Authorizer; apigw_gateway_responses: scope +
  "/{responseType}" -> a GatewayResponse put by the user (authorizers.py).
- apigw_ids: "{api_id}" -> the owner (ids.py).

Invariants: an API id is unique across accounts; every API has its root resource "/" (no
parent, no path part) from creation; deleting an API deletes everything under its scope.
Writes that change what a stage serves publish "apigateway.api" {"api": id} (the data
plane's cache follows it).
"""

from __future__ import annotations

import time
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.services.apigateway import cache_cluster, ids, patch
from gureum.services.apigateway.errors import bad_request, not_found
from gureum.store import Txn

APIS = "apigw_apis"
RESOURCES = "apigw_resources"
DEPLOYMENTS = "apigw_deployments"
STAGES = "apigw_stages"
MODELS = "apigw_models"
VALIDATORS = "apigw_validators"
AUTHORIZERS = "apigw_authorizers"
GATEWAY_RESPONSES = "apigw_gateway_responses"
CLIENT_CERTS = "apigw_client_certs"  # "{account}/{region}/{id}" -> a ClientCertificate (client_certs.py)
ACCOUNT = "apigw_account"  # "{account}/{region}" -> {"cloudwatchRoleArn"}: GetAccount/UpdateAccount
DOC_PARTS = "apigw_doc_parts"  # scope + "/{id}" -> a DocumentationPart (documentation.py)
DOC_VERSIONS = "apigw_doc_versions"  # scope + "/{version}" -> a DocumentationVersion with its parts (documentation.py)
CHILD_TABLES = (RESOURCES, DEPLOYMENTS, STAGES, MODELS, VALIDATORS, AUTHORIZERS, GATEWAY_RESPONSES, DOC_PARTS, DOC_VERSIONS)
TOPIC = "apigateway.api"
MAX_COMPRESSION = 10485760
ENDPOINT_TYPES = ("EDGE", "REGIONAL", "PRIVATE")
TAG_RULES = tags.Rules(invalid=bad_request, too_many=bad_request)

Doc = dict[str, Any]


def scope(account: str, region: str, api_id: str) -> str:
    return f"{account}/{region}/{api_id}"


def changed(txn: Txn, api_id: str) -> None:
    txn.publish(TOPIC, {"api": api_id})


def invalid_api(account: str, api_id: str) -> Exception:
    return not_found(f"Invalid API identifier specified {account}:{api_id}")


def get(txn: Txn, account: str, region: str, api_id: str) -> Doc:
    doc = txn.get(APIS, scope(account, region, api_id))
    if doc is None:
        raise invalid_api(account, api_id)
    return doc


def api_arn(region: str, api_id: str) -> str:
    return arns.apigateway_resource(region, f"/restapis/{api_id}")


def _endpoint(config: Doc | None) -> Doc:
    types = list((config or {}).get("types") or ["EDGE"])
    if len(types) != 1 or types[0] not in ENDPOINT_TYPES:
        raise bad_request("Invalid endpoint configuration: exactly one endpoint type (EDGE, REGIONAL or PRIVATE) must be specified")
    out: Doc = {"types": types, "ipAddressType": (config or {}).get("ipAddressType") or "ipv4"}
    if (config or {}).get("vpcEndpointIds"):
        if types[0] != "PRIVATE":
            raise bad_request("VPC endpoint IDs can only be specified for PRIVATE endpoint types")
        out["vpcEndpointIds"] = list((config or {})["vpcEndpointIds"])
    return out


def _compression(value: Any) -> None:
    if value is not None and not 0 <= int(value) <= MAX_COMPRESSION:
        raise bad_request(f"Invalid minimum compression size, must be between 0 and {MAX_COMPRESSION}")


def create(txn: Txn, account: str, region: str, p: Doc, now: float) -> Doc:
    _compression(p.get("minimumCompressionSize"))
    source = get(txn, account, region, p["cloneFrom"]) if p.get("cloneFrom") else None
    api_id = ids.claim_api_id(txn, account, region)
    root = ids.random_id(10)
    doc: Doc = {
        "id": api_id, "name": p["name"], "createdDate": now,
        "apiKeySource": p.get("apiKeySource") or "HEADER",
        "endpointConfiguration": _endpoint(p.get("endpointConfiguration")),
        "disableExecuteApiEndpoint": bool(p.get("disableExecuteApiEndpoint", False)),
        "rootResourceId": root,
        "tags": tags.check(dict(p.get("tags") or {}), TAG_RULES),
    }
    for name in ("description", "version", "binaryMediaTypes", "minimumCompressionSize", "policy"):
        if p.get(name) is not None:
            doc[name] = p[name]
    if source is not None:
        for name in ("description", "binaryMediaTypes", "minimumCompressionSize", "policy", "version"):
            if name not in doc and source.get(name) is not None:
                doc[name] = source[name]
    txn.put(APIS, scope(account, region, api_id), doc)
    if source is not None:
        _clone(txn, scope(account, region, source["id"]), scope(account, region, api_id), source["rootResourceId"], root)
    else:
        txn.put(RESOURCES, f"{scope(account, region, api_id)}/{root}", {"id": root, "path": "/", "methods": {}})
    changed(txn, api_id)
    return doc


def _clone(txn: Txn, src: str, dst: str, src_root: str, root: str) -> None:
    """Copy the resources (new ids, same tree), models and validators of API `src` into `dst`."""
    rows = txn.scan(RESOURCES, src + "/")
    new_ids = {src_root: root}
    for _, r in rows:
        if r["id"] != src_root:
            new_ids[r["id"]] = ids.random_id(6)
    for _, r in rows:
        copy = {**r, "id": new_ids[r["id"]]}
        if r.get("parentId"):
            copy["parentId"] = new_ids.get(r["parentId"], r["parentId"])
        txn.put(RESOURCES, f"{dst}/{copy['id']}", copy)
    for table in (MODELS, VALIDATORS):
        for key, d in txn.scan(table, src + "/"):
            txn.put(table, dst + key[len(src):], d)


def listing(txn: Txn, account: str, region: str, position: str | None, limit: int | None) -> tuple[list[Doc], str | None]:
    rows, nxt = page(txn, APIS, f"{account}/{region}/", position, limit)
    return [d for _, d in rows], nxt


def page(txn: Txn, table: str, prefix: str, position: str | None, limit: int | None) -> tuple[list[tuple[str, Doc]], str | None]:
    """One page of a listing as API Gateway pages (`position`, `limit` 1..500, 25 by default)."""
    if limit is not None and not 1 <= limit <= 500:
        raise bad_request("Invalid limit, must be between 1 and 500")
    return paging.page(txn, table, prefix, token=position, limit=limit, default_limit=25, max_limit=500,
                       error=lambda: bad_request("Invalid position parameter"))


_API_FIELDS = patch.Fields(
    scalars={"name": patch.as_str, "description": patch.as_str, "version": patch.as_str, "policy": patch.as_str,
             "apiKeySource": patch.as_str, "minimumCompressionSize": patch.as_int,
             "disableExecuteApiEndpoint": patch.as_bool},
    lists=("binaryMediaTypes",),
)


def _api_special(doc: Doc, op: str, parts: list[str], value: str | None) -> bool:
    if parts[:2] == ["endpointConfiguration", "types"] and op == "replace":
        doc["endpointConfiguration"] = _endpoint({**doc.get("endpointConfiguration", {}), "types": [value]})
        return True
    return False


def update(txn: Txn, account: str, region: str, api_id: str, operations: list[Doc] | None) -> Doc:
    doc = get(txn, account, region, api_id)
    fields = patch.Fields(scalars=_API_FIELDS.scalars, lists=_API_FIELDS.lists, special=_api_special)
    new = patch.apply(doc, operations, fields)
    if not new.get("name"):
        raise bad_request("Name must be non-empty")
    if new.get("apiKeySource") not in ("HEADER", "AUTHORIZER"):
        raise bad_request(f"Invalid API Key source: {new.get('apiKeySource')}")
    _compression(new.get("minimumCompressionSize"))
    txn.put(APIS, scope(account, region, api_id), new)
    changed(txn, api_id)
    return new


def delete(txn: Txn, account: str, region: str, api_id: str, now: float | None = None) -> None:
    get(txn, account, region, api_id)
    s = scope(account, region, api_id)
    for _, stage in list(txn.scan(STAGES, s + "/")):
        cache_cluster.settle_deleted(txn, account, region, api_id, stage, time.time() if now is None else now)
    txn.delete(APIS, s)
    for table in CHILD_TABLES:
        txn.delete_prefix(table, s + "/")
    txn.delete(ids.API_IDS, api_id)
    changed(txn, api_id)


def owner(txn: Txn, api_id: str) -> tuple[str, str] | None:
    """(account, region) of REST API `api_id`, or None when no account has one by that id."""
    doc = txn.get(ids.API_IDS, api_id)
    return (doc["account"], doc["region"]) if doc is not None else None


class TagPlace:
    """Where the tags of an API or a stage live: its own document's "tags"."""

    def __init__(self, table: str, key: str, missing: Exception) -> None:
        self.table, self.key, self.missing = table, key, missing

    def _doc(self, txn: Txn) -> Doc:
        doc = txn.get(self.table, self.key)
        if doc is None:
            raise self.missing
        return doc

    def read(self, txn: Txn) -> dict[str, str]:
        return dict(self._doc(txn).get("tags") or {})

    def write(self, txn: Txn, new: dict[str, str]) -> None:
        txn.put(self.table, self.key, {**self._doc(txn), "tags": new})


def tag_place(txn: Txn, account: str, resource_arn: str) -> TagPlace:
    """The taggable resource `resource_arn` names (a REST API, one of its stages, a client certificate)."""
    a = arns.try_parse(resource_arn)
    parts = a.resource.strip("/").split("/") if a is not None and a.service == "apigateway" else []
    missing = not_found(f"Invalid resource identifier specified {resource_arn}")
    if a is not None and len(parts) == 2 and parts[0] == "clientcertificates":
        return TagPlace(CLIENT_CERTS, f"{account}/{a.region}/{parts[1]}", missing)
    if a is None or not parts or parts[0] != "restapis" or len(parts) not in (2, 4):
        raise bad_request(f"Invalid ARN specified in the request: {resource_arn}") if a is None else missing
    s = scope(account, a.region, parts[1])
    if len(parts) == 2:
        return TagPlace(APIS, s, missing)
    if parts[2] != "stages":
        raise missing
    return TagPlace(STAGES, f"{s}/{parts[3]}", missing)
