"""Request validation (a method's request validator, deployed with the API): required
request parameters (`method.request.{querystring,header,path}.<name>` marked true) and the
body against the method's model for the request's Content-Type (or "$default"), a JSON
Schema draft 4 document checked by `jsonschema`. Failures are AWS's 400s: "Missing required
request parameters: [a, b]" and "Invalid request body"."""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from gureum.services.apigateway import proxy
from gureum.services.apigateway.integrations import Failure

Doc = dict[str, Any]


def check(snapshot: Doc, method: Doc, call: proxy.Call) -> None:
    validator = (snapshot.get("validators") or {}).get(method.get("requestValidatorId"))
    if validator is None:
        return
    if validator.get("validateRequestParameters"):
        missing = []
        for name, required in (method.get("requestParameters") or {}).items():
            parts = name.split(".", 3)
            if not required or len(parts) != 4 or parts[:2] != ["method", "request"]:
                continue
            where, key = parts[2], parts[3]
            if where in ("header", "multivalueheader"):
                present = any(k.lower() == key.lower() for k, _ in call.headers)
            elif where in ("querystring", "multivaluequerystring"):
                present = any(k == key for k, _ in call.query)
            else:
                present = bool(call.path_parameters.get(key))
            if not present:
                missing.append(key)
        if missing:
            raise Failure(400, "BadRequestException", f"Missing required request parameters: [{', '.join(missing)}]",
                          response_type="BAD_REQUEST_PARAMETERS")
    if validator.get("validateRequestBody"):
        content_type = next((v for k, v in call.headers if k.lower() == "content-type"), "application/json")
        content_type = content_type.split(";", 1)[0].strip().lower()
        models = method.get("requestModels") or {}
        name = models.get(content_type) or models.get("$default")
        model = (snapshot.get("models") or {}).get(name) if name else None
        if model is None or not model.get("schema"):
            return
        invalid = Failure(400, "BadRequestException", "Invalid request body", response_type="BAD_REQUEST_BODY")
        try:
            schema = json.loads(model["schema"])
            body = json.loads(call.body or b"null")
        except ValueError:
            raise invalid from None
        try:
            jsonschema.Draft4Validator(schema).validate(body)
        except (jsonschema.ValidationError, jsonschema.SchemaError):
            raise invalid from None
