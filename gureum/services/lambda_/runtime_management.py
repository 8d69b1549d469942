"""Runtime management configuration (Put/GetRuntimeManagementConfig): when a function's
runtime version changes. Auto (AWS's default) and FunctionUpdate follow the runtime's
toolchain installed here (gureum changes a toolchain only when it installs or builds one, not
behind a function's back, so the two differ in nothing observable on one host); Manual pins
the function to one RuntimeVersionArn of gureum's runtime catalogue (runtimes/versions.py:
the ARN the runtime's INIT_START line names). A pinned version that no longer runs here (its
toolchain replaced) fails the init with Runtime.Unavailable saying so, rather than running
another version than the one pinned.

Stored in the function document (model.py) as "runtime_management": {qualifier ($LATEST or
a version number): {"UpdateRuntimeOn", "RuntimeVersionArn"?}}, written with the function's
change event; absent: Auto.
"""

from __future__ import annotations

import asyncio
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.lambda_ import functions, model
from gureum.services.lambda_.runtimes import versions as runtime_versions
from gureum.store import Txn

DEFAULT = "Auto"


def pinned(doc: dict[str, Any], version: str) -> str:
    """The RuntimeVersionArn version `version` of the function is pinned to ("" when none)."""
    cfg = (doc.get("runtime_management") or {}).get(version) or {}
    return str(cfg.get("RuntimeVersionArn") or "") if cfg.get("UpdateRuntimeOn") == "Manual" else ""


def current_arn(region: str, runtime: str) -> str | None:
    """The runtime version ARN `runtime` runs with here now (None for a runtime not
    catalogued). May query a toolchain's version: call it off the event loop."""
    from gureum.services.lambda_.runtimes import RUNTIMES

    rt = RUNTIMES.get(runtime)
    if rt is None:
        return None
    return runtime_versions.version_arn(region, rt.toolchain())


def put(txn: Txn, key: str, arn: str, qualifier: str, value: dict[str, Any]) -> None:
    doc = model.get_function(txn, key, arn)
    functions.config_for(txn, key, None if qualifier == "$LATEST" else qualifier, arn)  # the version must exist
    doc.setdefault("runtime_management", {})[qualifier] = value
    txn.put(model.FUNCTIONS, key, doc)
    model.changed(txn, key, "runtime-management")


def get(txn: Txn, key: str, arn: str, qualifier: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the stored configuration or {}, the configuration of that version)."""
    config, doc = functions.config_for(txn, key, None if qualifier == "$LATEST" else qualifier, arn)
    return dict((doc.get("runtime_management") or {}).get(qualifier) or {}), config


def _target(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str, str, str]:
    """(function key, function ARN, qualifier, the qualified ARN)."""
    name, qualifier = model.parse_name(params["FunctionName"], ctx.account_id, ctx.region, params.get("Qualifier"))
    qualifier = qualifier or "$LATEST"
    if qualifier != "$LATEST" and not qualifier.isdigit():
        raise AwsError.modeled("lambda", "InvalidParameterValueException",
                               "Runtime management configuration is only supported for $LATEST and published versions.", Type="User")
    return (model.fn_key(ctx.account_id, ctx.region, name), model.function_arn(ctx.account_id, ctx.region, name), qualifier,
            model.function_arn(ctx.account_id, ctx.region, name, qualifier))


@operation("lambda", "PutRuntimeManagementConfig")
async def put_runtime_management_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn, qualifier, qualified = _target(ctx, params)
    mode = params["UpdateRuntimeOn"]
    wanted = params.get("RuntimeVersionArn")
    _, config = await ctx.app.store.read(lambda t: get(t, key, arn, qualifier))
    if config.get("PackageType") == "Image":
        raise AwsError.modeled("lambda", "InvalidParameterValueException",
                               "Runtime management configuration is not supported for container image functions.", Type="User")
    if mode != "Manual" and wanted:
        raise AwsError.modeled("lambda", "InvalidParameterValueException",
                               f"RuntimeVersionArn can only be specified when UpdateRuntimeOn is Manual (it is {mode}).", Type="User")
    value: dict[str, Any] = {"UpdateRuntimeOn": mode}
    if mode == "Manual":
        if not wanted:
            raise AwsError.modeled("lambda", "InvalidParameterValueException",
                                   "RuntimeVersionArn must be specified when UpdateRuntimeOn is Manual.", Type="User")
        known = await asyncio.to_thread(current_arn, ctx.region, config.get("Runtime") or "")
        if wanted != known:
            raise AwsError.modeled("lambda", "InvalidParameterValueException",
                                   f"The runtime version {wanted} is not available for runtime {config.get('Runtime')}.", Type="User")
        value["RuntimeVersionArn"] = wanted
    await ctx.app.store.run(lambda t: put(t, key, arn, qualifier, value))
    return {**value, "FunctionArn": qualified}


@operation("lambda", "GetRuntimeManagementConfig")
async def get_runtime_management_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn, qualifier, qualified = _target(ctx, params)
    stored, _ = await ctx.app.store.read(lambda t: get(t, key, arn, qualifier))
    out: dict[str, Any] = {"UpdateRuntimeOn": stored.get("UpdateRuntimeOn") or DEFAULT, "FunctionArn": qualified}
    if stored.get("RuntimeVersionArn"):
        out["RuntimeVersionArn"] = stored["RuntimeVersionArn"]
    return out
