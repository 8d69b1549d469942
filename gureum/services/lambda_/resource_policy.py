"""Lambda's resource policy for the authorization gate: the statements AddPermission (or
PutResourcePolicy) stored on the function (per qualifier; an unqualified ARN reads the
function's own), read through the Lambda engine's function cache when the engine runs here;
and a layer version's (layer_policy.py)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.lambda_ import model
from gureum.services.lambda_.slots import ENGINE

if TYPE_CHECKING:
    from gureum.app import App


async def read(app: App, arn: str) -> str | None:
    """The policy of function `arn` (arn:aws:lambda:<region>:<account>:function:<name>[:<q>])
    as GetPolicy returns it, or None."""
    a = arns.try_parse(arn)
    parts = a.resource.split(":") if a is not None else []
    if a is not None and len(parts) == 3 and parts[0] == "layer" and parts[2].isdigit():
        from gureum.services.lambda_.layer_policy import layer_document

        region, account, name, version = a.region, a.account, parts[1], int(parts[2])
        return await app.store.read(lambda t: layer_document(t, account, region, name, version))
    if a is None or len(parts) < 2 or parts[0] != "function":
        return None
    region, account, name = a.region, a.account, parts[1]
    qualifier = parts[2] if len(parts) > 2 else ""
    key = model.fn_key(account, region, name)
    engine = app.parts.get(ENGINE)
    doc: dict[str, Any] | None
    if engine is not None:  # the engine's function cache, dropped on every function change
        try:
            doc = (await engine.function(key, model.function_arn(account, region, name))).doc
        except AwsError:
            doc = None
    else:
        doc = await app.store.read(lambda t: t.get(model.FUNCTIONS, key))
    if doc is None:
        return None
    statements = (doc.get("policies") or {}).get(qualifier)
    if not statements:
        return None
    return json.dumps({"Version": "2012-10-17", "Id": "default", "Statement": statements})
