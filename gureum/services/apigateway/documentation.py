"""API documentation: documentation parts, their import, documentation versions, and what
GetExport's `extensions=documentation` adds.

Tables (keys start with the API's scope, apis.scope):
- apigw_doc_parts (apis.DOC_PARTS): scope + "/{id}" -> {"id", "location": {"type", "path",
  "method", "statusCode", "name"} (only the fields the type has), "properties": JSON text}.
- apigw_doc_versions (apis.DOC_VERSIONS): scope + "/{version}" -> {"version", "createdDate",
  "description", "parts": [the API's parts when the version was created]}.

Location rules (AWS's DocumentationPartLocation): `path` belongs to RESOURCE, METHOD and every
parameter, body and response type ("/" by default); `method` to METHOD and those same
children ("*" by default); `statusCode` to RESPONSE, RESPONSE_HEADER, RESPONSE_BODY ("*" by
default); `name` is required by AUTHORIZER, MODEL, PATH_PARAMETER, QUERY_PARAMETER,
REQUEST_HEADER and RESPONSE_HEADER (REQUEST_BODY may name its model); a field a type does not
have is a BadRequest. One part per location (ConflictException). Properties are a JSON object.

Inheritance (`effective`): PATH_PARAMETER, QUERY_PARAMETER, REQUEST_HEADER, RESPONSE,
RESPONSE_HEADER and RESPONSE_BODY entities without a part of their own take the content of
the most specific part of the same type (and name) whose path is a prefix of theirs, whose
method is theirs or "*" and whose statusCode is theirs or "*". API, AUTHORIZER, METHOD,
MODEL, REQUEST_BODY and RESOURCE inherit nothing.

A stage's `documentationVersion` picks what its export documents (else the current parts).
Parts and versions are documentation only: nothing here changes what a stage serves.
"""

from __future__ import annotations

import json
import re
from typing import Any

from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.services.apigateway import ids, openapi, patch
from gureum.services.apigateway.apis import DOC_PARTS, DOC_VERSIONS, STAGES, changed, get, page, scope
from gureum.services.apigateway.errors import bad_request, conflict, not_found
from gureum.store import Txn

Doc = dict[str, Any]
TYPES = ("API", "AUTHORIZER", "MODEL", "RESOURCE", "METHOD", "PATH_PARAMETER", "QUERY_PARAMETER", "REQUEST_HEADER",
         "REQUEST_BODY", "RESPONSE", "RESPONSE_HEADER", "RESPONSE_BODY")
_CHILDREN = ("PATH_PARAMETER", "QUERY_PARAMETER", "REQUEST_HEADER", "REQUEST_BODY", "RESPONSE", "RESPONSE_HEADER",
             "RESPONSE_BODY")
_HAS_PATH = ("RESOURCE", "METHOD", *_CHILDREN)
_HAS_METHOD = ("METHOD", *_CHILDREN)
_HAS_STATUS = ("RESPONSE", "RESPONSE_HEADER", "RESPONSE_BODY")
_NEEDS_NAME = ("AUTHORIZER", "MODEL", "PATH_PARAMETER", "QUERY_PARAMETER", "REQUEST_HEADER", "RESPONSE_HEADER")
_HAS_NAME = (*_NEEDS_NAME, "REQUEST_BODY")
INHERITING = ("PATH_PARAMETER", "QUERY_PARAMETER", "REQUEST_HEADER", "RESPONSE", "RESPONSE_HEADER", "RESPONSE_BODY")
_VERSION = re.compile(r"[^/\s]{1,64}")


def location(raw: Any) -> Doc:
    """A location with AWS's defaults filled in; BadRequest for one AWS refuses."""
    if not isinstance(raw, dict) or raw.get("type") not in TYPES:
        raise bad_request(f"Invalid documentation part location type: {(raw or {}).get('type') if isinstance(raw, dict) else raw}"
                          f". Valid values are {', '.join(TYPES)}")
    kind = raw["type"]
    out: Doc = {"type": kind}
    for field, owners, default in (("path", _HAS_PATH, "/"), ("method", _HAS_METHOD, "*"),
                                   ("statusCode", _HAS_STATUS, "*"), ("name", _HAS_NAME, None)):
        value = raw.get(field)
        if value is not None and kind not in owners:
            raise bad_request(f"Invalid location: {field} is not a valid field for documentation parts of type {kind}")
        if kind in owners:
            if value is None and field == "name" and kind in _NEEDS_NAME:
                raise bad_request(f"Invalid location: name is required for documentation parts of type {kind}")
            if value is not None or default is not None:
                out[field] = value if value is not None else default
    if "path" in out and not str(out["path"]).startswith("/"):
        raise bad_request("Invalid location: path must start with '/'")
    if "method" in out:
        out["method"] = str(out["method"]).upper()
    return out


def _properties(raw: Any) -> str:
    try:
        parsed = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise bad_request("Invalid properties: the documentation part properties must be a valid JSON object")
    return str(raw)


def _same_place(a: Doc, b: Doc) -> bool:
    return all(a.get(k) == b.get(k) for k in ("type", "path", "method", "statusCode", "name"))


def _parts(txn: Txn, account: str, region: str, api_id: str) -> list[Doc]:
    return [d for _, d in txn.scan(DOC_PARTS, scope(account, region, api_id) + "/")]


def _put_new(txn: Txn, account: str, region: str, api_id: str, loc: Doc, properties: str) -> Doc:
    s = scope(account, region, api_id)
    part_id = ids.fresh(lambda c: txn.get(DOC_PARTS, f"{s}/{c}") is not None)
    doc = {"id": part_id, "location": loc, "properties": properties}
    txn.put(DOC_PARTS, f"{s}/{part_id}", doc)
    return doc


def create_part(txn: Txn, account: str, region: str, api_id: str, p: Doc) -> Doc:
    get(txn, account, region, api_id)
    loc, properties = location(p.get("location")), _properties(p.get("properties"))
    if any(_same_place(d["location"], loc) for d in _parts(txn, account, region, api_id)):
        raise conflict("Documentation part already exists for the specified location")
    return _put_new(txn, account, region, api_id, loc, properties)


def part(txn: Txn, account: str, region: str, api_id: str, part_id: str) -> Doc:
    get(txn, account, region, api_id)
    doc = txn.get(DOC_PARTS, f"{scope(account, region, api_id)}/{part_id}")
    if doc is None:
        raise not_found("Invalid Documentation part identifier specified")
    return doc


def list_parts(txn: Txn, account: str, region: str, api_id: str, p: Doc) -> tuple[list[Doc], str | None]:
    get(txn, account, region, api_id)
    kind, name, path, status = p.get("type"), p.get("nameQuery"), p.get("path"), p.get("locationStatus")
    if p.get("limit") is not None and not 1 <= int(p["limit"]) <= 500:
        raise bad_request("Invalid limit, must be between 1 and 500")

    def keep(d: Doc) -> bool:
        loc = d["location"]
        documented = bool(json.loads(d["properties"]))
        return ((not kind or loc["type"] == kind) and (not name or str(loc.get("name") or "").startswith(name))
                and (not path or loc.get("path") == path)
                and (not status or (status == "DOCUMENTED") == documented))

    rows, nxt = paging.page(txn, DOC_PARTS, scope(account, region, api_id) + "/", token=p.get("position"),
                            limit=p.get("limit"), default_limit=25, max_limit=500, keep=keep,
                            filters={"type": kind, "name": name, "path": path, "status": status},
                            error=lambda: bad_request("Invalid position parameter"))
    return [d for _, d in rows], nxt


def update_part(txn: Txn, account: str, region: str, api_id: str, part_id: str, operations: list[Doc] | None) -> Doc:
    doc = part(txn, account, region, api_id, part_id)
    new = patch.apply(doc, operations, patch.Fields(scalars={"properties": patch.as_str}))
    new["properties"] = _properties(new.get("properties"))
    txn.put(DOC_PARTS, f"{scope(account, region, api_id)}/{part_id}", new)
    return new


def delete_part(txn: Txn, account: str, region: str, api_id: str, part_id: str) -> None:
    part(txn, account, region, api_id, part_id)
    txn.delete(DOC_PARTS, f"{scope(account, region, api_id)}/{part_id}")


def import_parts(txn: Txn, account: str, region: str, api_id: str, body: bytes, mode: str,
                 fail_on_warnings: bool) -> tuple[list[str], list[str]]:
    """ImportDocumentationParts: the x-amazon-apigateway-documentation of an OpenAPI file;
    "overwrite" replaces every part, "merge" (the default) replaces the content of parts at
    the same locations and adds the others. (ids written, warnings)."""
    get(txn, account, region, api_id)
    doc = openapi.parse(body)
    section = doc.get("x-amazon-apigateway-documentation")
    if not isinstance(section, dict) or not isinstance(section.get("documentationParts"), list):
        raise bad_request("Invalid documentation file: no x-amazon-apigateway-documentation.documentationParts")
    wanted: list[tuple[Doc, str]] = []
    warnings: list[str] = []
    for i, raw in enumerate(section["documentationParts"]):
        try:
            props = raw.get("properties") if isinstance(raw, dict) else None
            text = props if isinstance(props, str) else json.dumps(props if props is not None else {})
            wanted.append((location(raw.get("location") if isinstance(raw, dict) else None), _properties(text)))
        except AwsError as e:  # the part is skipped
            warnings.append(f"documentationParts[{i}]: {e.message}")
    if warnings and fail_on_warnings:
        raise bad_request("; ".join(warnings))
    s = scope(account, region, api_id)
    existing = _parts(txn, account, region, api_id)
    if mode == "overwrite":
        for d in existing:
            txn.delete(DOC_PARTS, f"{s}/{d['id']}")
        existing = []
    written: list[str] = []
    for loc, properties in wanted:
        same = next((d for d in existing if _same_place(d["location"], loc)), None)
        if same is not None:
            same = {**same, "properties": properties}
            txn.put(DOC_PARTS, f"{s}/{same['id']}", same)
            written.append(same["id"])
        else:
            new = _put_new(txn, account, region, api_id, loc, properties)
            existing.append(new)
            written.append(new["id"])
    return written, warnings


# --- versions -----------------------------------------------------------------------------

def _version_view(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k != "parts"}


def version(txn: Txn, account: str, region: str, api_id: str, name: str) -> Doc:
    get(txn, account, region, api_id)
    doc = txn.get(DOC_VERSIONS, f"{scope(account, region, api_id)}/{name}")
    if doc is None:
        raise not_found("Invalid Documentation version identifier specified")
    return doc


def create_version(txn: Txn, account: str, region: str, api_id: str, p: Doc, now: float) -> Doc:
    get(txn, account, region, api_id)
    name = str(p["documentationVersion"])
    if not _VERSION.fullmatch(name):
        raise bad_request("Invalid documentation version: at most 64 characters, no '/' or white space")
    s = scope(account, region, api_id)
    if txn.get(DOC_VERSIONS, f"{s}/{name}") is not None:
        raise conflict(f"Documentation version {name} already exists")
    stage_name = p.get("stageName")
    if stage_name:
        stage = txn.get(STAGES, f"{s}/{stage_name}")
        if stage is None:
            raise not_found("Invalid Stage identifier specified")
        txn.put(STAGES, f"{s}/{stage_name}", {**stage, "documentationVersion": name, "lastUpdatedDate": now})
        changed(txn, api_id)
    doc: Doc = {"version": name, "createdDate": now, "parts": _parts(txn, account, region, api_id)}
    if p.get("description") is not None:
        doc["description"] = p["description"]
    txn.put(DOC_VERSIONS, f"{s}/{name}", doc)
    return _version_view(doc)


def get_version(txn: Txn, account: str, region: str, api_id: str, name: str) -> Doc:
    return _version_view(version(txn, account, region, api_id, name))


def list_versions(txn: Txn, account: str, region: str, api_id: str, position: str | None,
                  limit: int | None) -> tuple[list[Doc], str | None]:
    get(txn, account, region, api_id)
    rows, nxt = page(txn, DOC_VERSIONS, scope(account, region, api_id) + "/", position, limit)
    return [_version_view(d) for _, d in rows], nxt


def update_version(txn: Txn, account: str, region: str, api_id: str, name: str, operations: list[Doc] | None) -> Doc:
    doc = version(txn, account, region, api_id, name)
    new = patch.apply(doc, operations, patch.Fields(scalars={"description": patch.as_str}))
    txn.put(DOC_VERSIONS, f"{scope(account, region, api_id)}/{name}", new)
    return _version_view(new)


def delete_version(txn: Txn, account: str, region: str, api_id: str, name: str) -> None:
    version(txn, account, region, api_id, name)
    txn.delete(DOC_VERSIONS, f"{scope(account, region, api_id)}/{name}")


def for_export(txn: Txn, account: str, region: str, api_id: str, stage: Doc) -> tuple[str | None, list[Doc]]:
    """(version, parts) a stage's export documents: its documentationVersion's, else the current parts."""
    name = stage.get("documentationVersion")
    if name:
        doc = txn.get(DOC_VERSIONS, f"{scope(account, region, api_id)}/{name}")
        if doc is not None:
            return str(name), list(doc["parts"])
    return None, _parts(txn, account, region, api_id)


# --- inheritance and export ---------------------------------------------------------------

def _path_prefix(parent: str, child: str) -> bool:
    return parent == "/" or child == parent or child.startswith(parent.rstrip("/") + "/")


def effective(parts: list[Doc], want: Doc) -> Doc | None:
    """The properties (parsed) that document the concrete location `want`: its own part's, or
    for an inheriting type the most specific more general part's (module docstring)."""
    own = next((p for p in parts if _same_place(p["location"], want)), None)
    if own is not None:
        found: Doc = json.loads(own["properties"])
        return found
    if want["type"] not in INHERITING:
        return None
    best: tuple[tuple[int, int, int], Doc] | None = None
    for p in parts:
        loc = p["location"]
        if loc["type"] != want["type"] or loc.get("name") != want.get("name"):
            continue
        if not _path_prefix(str(loc.get("path", "/")), str(want.get("path", "/"))):
            continue
        if loc.get("method", "*") not in ("*", want.get("method")):
            continue
        if loc.get("statusCode", "*") not in ("*", want.get("statusCode", "*")):
            continue
        rank = (len(str(loc.get("path", "/"))), int(loc.get("method") != "*"), int(loc.get("statusCode", "*") != "*"))
        if best is None or rank > best[0]:
            best = (rank, json.loads(p["properties"]))
    return None if best is None else best[1]


def _merge(target: Doc, properties: Doc | None) -> None:
    for k, v in (properties or {}).items():
        if isinstance(v, dict) and isinstance(target.get(k), dict):
            _merge(target[k], v)
        else:
            target[k] = v


def annotate(export: Doc, parts: list[Doc], version_name: str | None, oas3: bool) -> Doc:
    """An OpenAPI export with its documentation: each entity's (inherited) properties merged
    into its object, and the parts themselves under x-amazon-apigateway-documentation."""
    out: Doc = json.loads(json.dumps(export))
    api_doc = next((p for p in parts if p["location"]["type"] == "API"), None)
    if api_doc is not None:
        _merge(out, json.loads(api_doc["properties"]))
    schemas = (out.get("components") or {}).get("schemas") if oas3 else out.get("definitions")
    for name, schema in (schemas or {}).items():
        _merge(schema, effective(parts, {"type": "MODEL", "name": name}))
    for path, item in (out.get("paths") or {}).items():
        _merge(item, effective(parts, {"type": "RESOURCE", "path": path}))
        for verb, op in item.items():
            if not isinstance(op, dict) or verb.startswith("x-") and verb != "x-amazon-apigateway-any-method":
                continue
            method = "*" if verb == "x-amazon-apigateway-any-method" else verb.upper()
            _merge(op, effective(parts, {"type": "METHOD", "path": path, "method": method}))
            for param in op.get("parameters") or []:
                kind = {"path": "PATH_PARAMETER", "query": "QUERY_PARAMETER", "header": "REQUEST_HEADER"}.get(param.get("in"))
                if kind:
                    _merge(param, effective(parts, {"type": kind, "path": path, "method": method, "name": param["name"]}))
            if "requestBody" in op:
                _merge(op["requestBody"], effective(parts, {"type": "REQUEST_BODY", "path": path, "method": method}))
            for code, response in (op.get("responses") or {}).items():
                where = {"path": path, "method": method, "statusCode": code}
                _merge(response, effective(parts, {"type": "RESPONSE", **where}))
                for header, spec in (response.get("headers") or {}).items():
                    _merge(spec, effective(parts, {"type": "RESPONSE_HEADER", **where, "name": header}))
    section: Doc = {"documentationParts": [{"location": p["location"], "properties": json.loads(p["properties"])}
                                           for p in parts]}
    if version_name:
        section = {"version": version_name, **section}
    out["x-amazon-apigateway-documentation"] = section
    return out
