"""Models (JSON Schema draft 4 documents a method's request or response body follows) and
request validators of a REST API (tables apigw_models: scope + "/{name}" -> Model {"id",
"name", "description", "schema", "contentType"}; apigw_validators: scope + "/{id}" ->
RequestValidator {"id", "name", "validateRequestBody", "validateRequestParameters"}; apis.py).

Invariants: a model's name is alphanumeric and unique in its API, its schema valid JSON; a
model a method's request or response names cannot be deleted.
"""

from __future__ import annotations

import json
import re
from typing import Any

from gureum.services.apigateway import ids, patch
from gureum.services.apigateway.apis import MODELS, RESOURCES, VALIDATORS, changed, get, page, scope
from gureum.services.apigateway.errors import bad_request, conflict, not_found
from gureum.store import Txn

Doc = dict[str, Any]
_NAME = re.compile(r"[a-zA-Z0-9]+")


def _schema(text: str | None) -> None:
    if text is None:
        return
    try:
        doc = json.loads(text)
    except ValueError:
        raise bad_request("Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema "
                          "specified. Model schema must be a valid JSON document]") from None
    if not isinstance(doc, dict):
        raise bad_request("Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema "
                          "specified. Model schema must be a JSON object]")


def model(txn: Txn, account: str, region: str, api_id: str, name: str) -> Doc:
    get(txn, account, region, api_id)
    doc = txn.get(MODELS, f"{scope(account, region, api_id)}/{name}")
    if doc is None:
        raise not_found(f"Invalid model name specified: {name}")
    return doc


def create_model(txn: Txn, account: str, region: str, api_id: str, p: Doc) -> Doc:
    get(txn, account, region, api_id)
    name = p["name"]
    if not _NAME.fullmatch(name):
        raise bad_request("Model name must be alphanumeric")
    key = f"{scope(account, region, api_id)}/{name}"
    if txn.get(MODELS, key) is not None:
        raise conflict("Model name already exists for this REST API")
    _schema(p.get("schema"))
    doc: Doc = {"id": ids.random_id(6), "name": name, "contentType": p["contentType"]}
    for field in ("description", "schema"):
        if p.get(field) is not None:
            doc[field] = p[field]
    txn.put(MODELS, key, doc)
    changed(txn, api_id)
    return doc


def list_models(txn: Txn, account: str, region: str, api_id: str, position: str | None, limit: int | None) -> tuple[list[Doc], str | None]:
    get(txn, account, region, api_id)
    rows, nxt = page(txn, MODELS, scope(account, region, api_id) + "/", position, limit)
    return [d for _, d in rows], nxt


def update_model(txn: Txn, account: str, region: str, api_id: str, name: str, operations: list[Doc] | None) -> Doc:
    doc = model(txn, account, region, api_id, name)
    new = patch.apply(doc, operations, patch.Fields(scalars={"description": patch.as_str, "schema": patch.as_str}))
    _schema(new.get("schema"))
    txn.put(MODELS, f"{scope(account, region, api_id)}/{name}", new)
    changed(txn, api_id)
    return new


def delete_model(txn: Txn, account: str, region: str, api_id: str, name: str) -> None:
    model(txn, account, region, api_id, name)
    for _, r in txn.scan(RESOURCES, scope(account, region, api_id) + "/"):
        for verb, m in r["methods"].items():
            used = list((m.get("requestModels") or {}).values())
            used += [n for resp in (m.get("methodResponses") or {}).values() for n in (resp.get("responseModels") or {}).values()]
            if name in used:
                raise conflict(f"Cannot delete model '{name}', is referenced in method request: {r['path']}/{verb}")
    txn.delete(MODELS, f"{scope(account, region, api_id)}/{name}")
    changed(txn, api_id)


def template(doc: Doc) -> str:
    """GetModelTemplate: a mapping template that emits the model's shape from $input."""
    try:
        schema = json.loads(doc.get("schema") or "{}")
    except ValueError:
        schema = {}
    props = (schema.get("properties") or {}) if isinstance(schema, dict) else {}
    lines = ['#set($inputRoot = $input.path(\'$\'))', "{"]
    items = [f'  "{k}" : $inputRoot.{k}' if (v or {}).get("type") in ("number", "integer", "boolean")
             else f'  "{k}" : "$inputRoot.{k}"' for k, v in props.items()]
    lines.append(",\n".join(items))
    lines.append("}")
    return "\n".join(lines)


# --- request validators -------------------------------------------------------------------

def validator(txn: Txn, account: str, region: str, api_id: str, validator_id: str) -> Doc:
    get(txn, account, region, api_id)
    doc = txn.get(VALIDATORS, f"{scope(account, region, api_id)}/{validator_id}")
    if doc is None:
        raise not_found("Invalid Request Validator identifier specified")
    return doc


def create_validator(txn: Txn, account: str, region: str, api_id: str, p: Doc) -> Doc:
    get(txn, account, region, api_id)
    s = scope(account, region, api_id)
    vid = ids.fresh(lambda c: txn.get(VALIDATORS, f"{s}/{c}") is not None)
    doc: Doc = {"id": vid, "validateRequestBody": bool(p.get("validateRequestBody", False)),
                "validateRequestParameters": bool(p.get("validateRequestParameters", False))}
    if p.get("name") is not None:
        doc["name"] = p["name"]
    txn.put(VALIDATORS, f"{s}/{vid}", doc)
    changed(txn, api_id)
    return doc


def list_validators(txn: Txn, account: str, region: str, api_id: str, position: str | None,
                    limit: int | None) -> tuple[list[Doc], str | None]:
    get(txn, account, region, api_id)
    rows, nxt = page(txn, VALIDATORS, scope(account, region, api_id) + "/", position, limit)
    return [d for _, d in rows], nxt


def update_validator(txn: Txn, account: str, region: str, api_id: str, validator_id: str, operations: list[Doc] | None) -> Doc:
    doc = validator(txn, account, region, api_id, validator_id)
    new = patch.apply(doc, operations, patch.Fields(scalars={"name": patch.as_str, "validateRequestBody": patch.as_bool,
                                                             "validateRequestParameters": patch.as_bool}))
    txn.put(VALIDATORS, f"{scope(account, region, api_id)}/{validator_id}", new)
    changed(txn, api_id)
    return new


def delete_validator(txn: Txn, account: str, region: str, api_id: str, validator_id: str) -> None:
    validator(txn, account, region, api_id, validator_id)
    txn.delete(VALIDATORS, f"{scope(account, region, api_id)}/{validator_id}")
    changed(txn, api_id)
