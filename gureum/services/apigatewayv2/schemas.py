"""API Gateway v2 models (CreateModel/GetModel/GetModels/UpdateModel/DeleteModel/
GetModelTemplate) and the validation of WebSocket messages against them.

Table apigwv2_items (model.ITEMS), kind "models": "{account}/{region}/{apiId}/models/{ModelId}"
-> {"ModelId", "Name", "Schema", "ContentType", "Description"}. A model's name is
alphanumeric and unique in its API; its schema is a JSON Schema draft 4 document (at most
32768 characters). A route's RequestModels ({selection key: model name}) may name only models
of its API (model._check), and a model a route names cannot be deleted. Models are part of what a
deployment snapshots (model.SNAPSHOT_KINDS), so a stage validates with the models it was
deployed with; every write runs model.auto_deploy and publishes model.TOPIC.

Validation (`check_message`, sans-IO): a WebSocket message to a route with RequestModels is
checked against the model its ModelSelectionExpression picks ("$request.body.<path>" of the
message; the key "$default" when the expression gives no model); a body that is not JSON or
does not satisfy the schema is refused with AWS's frame {"message": "Invalid request body",
"connectionId", "requestId"} and the integration is not called.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema

from gureum.aws import paging
from gureum.services.apigatewayv2 import model
from gureum.store import Txn

Doc = dict[str, Any]
KIND = "models"
MAX_SCHEMA = 32768
_NAME = re.compile(r"[A-Za-z0-9]{1,255}")
INVALID_BODY = "Invalid request body"


def _key(account: str, region: str, api_id: str, model_id: str) -> str:
    return model.item_prefix(account, region, api_id, KIND) + model_id


def _models(txn: Txn, account: str, region: str, api_id: str) -> list[Doc]:
    return [d for _, d in txn.scan(model.ITEMS, model.item_prefix(account, region, api_id, KIND))]


def _check_schema(text: Any) -> str:
    if not isinstance(text, str) or len(text) > MAX_SCHEMA:
        raise model.bad_request(f"Model schema must be at most {MAX_SCHEMA} characters.")
    try:
        schema = json.loads(text)
        jsonschema.Draft4Validator.check_schema(schema)
    except (ValueError, jsonschema.SchemaError) as e:
        raise model.bad_request(f"Invalid model schema specified: {str(e).splitlines()[0]}") from None
    if not isinstance(schema, dict):
        raise model.bad_request("Invalid model schema specified: the schema must be a JSON object.")
    return text


def _check_name(txn: Txn, account: str, region: str, api_id: str, name: Any, own_id: str | None) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise model.bad_request("Model name must be alphanumeric.")
    if any(d["Name"] == name and d["ModelId"] != own_id for d in _models(txn, account, region, api_id)):
        raise model.conflict(f"Model name already exists for this API: {name}")
    return name


def create(txn: Txn, account: str, region: str, api_id: str, p: Doc, now: float) -> Doc:
    model.get_api(txn, account, region, api_id)
    doc: Doc = {"Name": _check_name(txn, account, region, api_id, p.get("Name"), None),
                "Schema": _check_schema(p.get("Schema"))}
    for field in ("ContentType", "Description"):
        if p.get(field) is not None:
            doc[field] = p[field]
    while True:
        model_id = model.new_id(6)
        if txn.get(model.ITEMS, _key(account, region, api_id, model_id)) is None:
            break
    doc["ModelId"] = model_id
    txn.put(model.ITEMS, _key(account, region, api_id, model_id), doc)
    model.auto_deploy(txn, account, region, api_id, now)
    model.touch(txn, api_id)
    return doc


def get(txn: Txn, account: str, region: str, api_id: str, model_id: str) -> Doc:
    model.get_api(txn, account, region, api_id)
    doc = txn.get(model.ITEMS, _key(account, region, api_id, model_id))
    if doc is None:
        raise model.not_found(f"Invalid Model identifier specified {account}:{model_id}")
    return doc


def listing(txn: Txn, account: str, region: str, api_id: str, p: Doc) -> tuple[list[Doc], str | None]:
    model.get_api(txn, account, region, api_id)
    limit = p.get("MaxResults")
    rows, nxt = paging.page(txn, model.ITEMS, model.item_prefix(account, region, api_id, KIND), token=p.get("NextToken"),
                            limit=int(limit) if limit is not None else None, default_limit=100, max_limit=500,
                            error=lambda: model.bad_request("Invalid NextToken"))
    return [d for _, d in rows], nxt


def update(txn: Txn, account: str, region: str, api_id: str, model_id: str, p: Doc, now: float) -> Doc:
    doc = dict(get(txn, account, region, api_id, model_id))
    if p.get("Name") is not None and p["Name"] != doc["Name"]:
        old = doc["Name"]
        doc["Name"] = _check_name(txn, account, region, api_id, p["Name"], model_id)
        if _routes_naming(txn, account, region, api_id, old):
            raise model.conflict(f"Cannot rename model {old}: it is referenced by a route.")
    if p.get("Schema") is not None:
        doc["Schema"] = _check_schema(p["Schema"])
    for field in ("ContentType", "Description"):
        if p.get(field) is not None:
            doc[field] = p[field]
    txn.put(model.ITEMS, _key(account, region, api_id, model_id), doc)
    model.auto_deploy(txn, account, region, api_id, now)
    model.touch(txn, api_id)
    return doc


def _routes_naming(txn: Txn, account: str, region: str, api_id: str, name: str) -> list[str]:
    return [r["RouteId"] for _, r in txn.scan(model.ITEMS, model.item_prefix(account, region, api_id, "routes"))
            if name in (r.get("RequestModels") or {}).values()]


def delete(txn: Txn, account: str, region: str, api_id: str, model_id: str, now: float) -> None:
    doc = get(txn, account, region, api_id, model_id)
    routes = _routes_naming(txn, account, region, api_id, doc["Name"])
    if routes:
        raise model.conflict(f"Cannot delete model {doc['Name']}: it is referenced by route {routes[0]}.")
    txn.delete(model.ITEMS, _key(account, region, api_id, model_id))
    model.auto_deploy(txn, account, region, api_id, now)
    model.touch(txn, api_id)


def template(doc: Doc) -> str:
    """GetModelTemplate: a mapping template that builds the model's top-level shape from $input."""
    try:
        schema = json.loads(doc.get("Schema") or "{}")
    except ValueError:
        schema = {}
    properties = (schema.get("properties") or {}) if isinstance(schema, dict) else {}
    fields = []
    for name, spec in properties.items():
        kind = (spec or {}).get("type") if isinstance(spec, dict) else None
        if kind in ("number", "integer", "boolean"):
            fields.append(f'  "{name}" : $inputRoot.{name}')
        elif kind in ("object", "array"):
            fields.append(f'  "{name}" : $input.json(\'$.{name}\')')
        else:
            fields.append(f'  "{name}" : "$inputRoot.{name}"')
    return "#set($inputRoot = $input.path('$'))\n{\n" + ",\n".join(fields) + "\n}"


def _selection_key(expression: str, body: Any) -> str | None:
    m = re.fullmatch(r"\$request\.body\.(.+)", expression.strip())
    if m is None:
        return None
    value = body
    for part in m.group(1).split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


def check_message(snapshot: Doc, route: Doc, body: str) -> str | None:
    """None when the message may go on to the route's integration, else AWS's refusal message."""
    wanted = route.get("RequestModels") or {}
    if not wanted:
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return INVALID_BODY
    key = _selection_key(str(route.get("ModelSelectionExpression") or ""), parsed)
    name = wanted.get(key) if key is not None and key in wanted else wanted.get("$default")
    if name is None:
        return None
    found = next((m for m in (snapshot.get("models") or {}).values() if m.get("Name") == name), None)
    if found is None:
        return INVALID_BODY
    validator = jsonschema.Draft4Validator(json.loads(found["Schema"]))
    return None if validator.is_valid(parsed) else INVALID_BODY
