"""Provisioned concurrency: environments initialised ahead of invocations for a published
version or an alias, kept while the configuration exists.

What a client asked for lives in the function document (lambda.functions <fn>, model.py)
as "provisioned": {qualifier: {"Requested": n, "LastModified": text, "generation": id}}, so
the invoke path reads it with the function (function_cache.py) and every write publishes
the function's one change event (model.changed, what "provisioned"). Where the allocation
stands lives apart, in table lambda.pc_status "<fn>/<qualifier>" -> {"generation",
"Status": IN_PROGRESS | READY | FAILED, "StatusReason"?, "Allocated", "node"}: written by
the engine that keeps the environments (engine.py `reconcile_provisioned`) and read only by
the API, so it publishes nothing. A status row whose generation differs from the config's
is stale and reads as IN_PROGRESS with nothing allocated.

Rules (AWS's): only a published version or an alias (never $LATEST); a version and an alias
pointing at it cannot both have one; the function's provisioned total never exceeds its
reserved concurrency, and for a function without a reservation the account's unreserved
concurrency minus every provisioned allocation of such functions stays at least
model.MIN_UNRESERVED.
"""

from __future__ import annotations

import uuid
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.lambda_ import model
from gureum.store import Txn

STATUS = "lambda.pc_status"


def _not_found() -> AwsError:
    return AwsError.modeled("lambda", "ProvisionedConcurrencyConfigNotFoundException",
                            "No Provisioned Concurrency Config found for this function", Type="User")


def version_of(txn: Txn, key: str, qualifier: str) -> str | None:
    """The published version `qualifier` names (itself, or the alias's version), None when it
    names nothing or $LATEST."""
    if qualifier.isdigit():
        return str(int(qualifier)) if txn.get(model.VERSIONS, model.version_key(key, qualifier)) is not None else None
    alias = txn.get(model.ALIASES, f"{key}/{qualifier}")
    if alias is None or alias["FunctionVersion"] == "$LATEST":
        return None
    return str(alias["FunctionVersion"])


def function_total(doc: dict[str, Any], exclude: str | None = None) -> int:
    return sum(int(c["Requested"]) for q, c in (doc.get("provisioned") or {}).items() if q != exclude)


def unreserved_total(txn: Txn, account: str, region: str, exclude: tuple[str, str] | None = None) -> int:
    """Provisioned concurrency of functions without a reservation (it comes out of the
    account's unreserved pool), leaving out `exclude` ((function key, qualifier))."""
    total = 0
    for key, doc in txn.scan(model.FUNCTIONS, f"{account}/{region}/"):
        if doc.get("reserved") is None:
            total += function_total(doc, exclude[1] if exclude is not None and key == exclude[0] else None)
    return total


def put(txn: Txn, account: str, region: str, key: str, arn: str, qualifier: str, wanted: int, account_limit: int) -> dict[str, Any]:
    """PutProvisionedConcurrencyConfig (`arn`: the qualified ARN)."""
    if qualifier == "$LATEST":
        raise AwsError.modeled("lambda", "InvalidParameterValueException",
                               "Provisioned Concurrency Configs cannot be applied to unpublished function versions.", Type="User")
    doc = model.get_function(txn, key, arn)
    version = version_of(txn, key, qualifier)
    if version is None:
        if not qualifier.isdigit() and txn.get(model.ALIASES, f"{key}/{qualifier}") is not None:  # an alias on $LATEST
            raise AwsError.modeled("lambda", "InvalidParameterValueException",
                                   "Provisioned Concurrency Configs cannot be applied to unpublished function versions.", Type="User")
        raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Function not found: {arn}", Type="User")
    configs = dict(doc.get("provisioned") or {})
    for other in configs:
        if other != qualifier and version_of(txn, key, other) == version:
            if qualifier.isdigit():
                raise AwsError.modeled("lambda", "ResourceConflictException",
                                       "Version is pointed by an alias which is already provisioned.", Type="User")
            raise AwsError.modeled("lambda", "ResourceConflictException",
                                   "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version",
                                   Type="User")
    reserved = doc.get("reserved")
    if reserved is not None:
        if function_total(doc, exclude=qualifier) + wanted > int(reserved):
            raise AwsError.modeled("lambda", "InvalidParameterValueException",
                                   "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution "
                                   "for function", Type="User")
    else:
        free = account_limit - model.reserved_total(txn, account, region) - unreserved_total(txn, account, region, (key, qualifier))
        if free - wanted < model.MIN_UNRESERVED:
            raise AwsError.modeled("lambda", "InvalidParameterValueException",
                                   f"Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
                                   f"below its minimum value of [{model.MIN_UNRESERVED}].", Type="User")
    config = {"Requested": wanted, "LastModified": model.now_text(), "generation": uuid.uuid4().hex}
    configs[qualifier] = config
    doc["provisioned"] = configs
    txn.put(model.FUNCTIONS, key, doc)
    txn.put(STATUS, f"{key}/{qualifier}", {"generation": config["generation"], "Status": "IN_PROGRESS", "Allocated": 0})
    model.changed(txn, key, "provisioned")
    return view(config, None)


def view(config: dict[str, Any], status: dict[str, Any] | None) -> dict[str, Any]:
    """A configuration as the API shows it, with where its allocation stands."""
    if status is None or status.get("generation") != config["generation"]:
        status = {"Status": "IN_PROGRESS", "Allocated": 0}
    allocated = int(status.get("Allocated") or 0)
    out: dict[str, Any] = {
        "RequestedProvisionedConcurrentExecutions": int(config["Requested"]),
        "AvailableProvisionedConcurrentExecutions": allocated,
        "AllocatedProvisionedConcurrentExecutions": allocated,
        "Status": status["Status"],
        "LastModified": config["LastModified"],
    }
    if status.get("StatusReason"):
        out["StatusReason"] = status["StatusReason"]
    return out


def get(txn: Txn, key: str, arn: str, qualifier: str) -> dict[str, Any]:
    doc = model.get_function(txn, key, arn)
    config = (doc.get("provisioned") or {}).get(qualifier)
    if config is None or version_of(txn, key, qualifier) is None:
        raise _not_found()
    return view(config, txn.get(STATUS, f"{key}/{qualifier}"))


def delete(txn: Txn, key: str, arn: str, qualifier: str) -> None:
    doc = model.get_function(txn, key, arn)
    configs = dict(doc.get("provisioned") or {})
    if configs.pop(qualifier, None) is None:
        raise _not_found()
    doc["provisioned"] = configs
    txn.put(model.FUNCTIONS, key, doc)
    txn.delete(STATUS, f"{key}/{qualifier}")
    model.changed(txn, key, "provisioned")


def list_configs(txn: Txn, key: str, arn: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    doc = model.get_function(txn, key, arn)
    items = []
    for qualifier, config in (doc.get("provisioned") or {}).items():
        if version_of(txn, key, qualifier) is None:  # its version or alias is gone
            continue
        items.append({"FunctionArn": f"{arn}:{qualifier}", **view(config, txn.get(STATUS, f"{key}/{qualifier}"))})
    return model.page(items, lambda d: d["FunctionArn"], "provisioned", params)


def claim(txn: Txn, key: str, qualifier: str, generation: str, node: str, now: float, dead_after: float) -> bool:
    """Whether `node` keeps this configuration's environments: it does when no node does
    yet, when it already does, or when the node that did is gone (gureum/roster.py); one node
    keeps each configuration, the others leave it alone."""
    from gureum import roster

    doc = txn.get(model.FUNCTIONS, key)
    config = ((doc or {}).get("provisioned") or {}).get(qualifier)
    if config is None or config["generation"] != generation:
        return False
    row = txn.get(STATUS, f"{key}/{qualifier}") or {"generation": generation, "Status": "IN_PROGRESS", "Allocated": 0}
    holder = row.get("node")
    if holder == node:
        return True
    if holder and not roster.is_gone(txn, holder, now, dead_after):
        return False
    if row.get("generation") != generation:
        row = {"generation": generation, "Status": "IN_PROGRESS", "Allocated": 0}
    row["node"] = node
    txn.put(STATUS, f"{key}/{qualifier}", row)
    return True


def set_status(txn: Txn, key: str, qualifier: str, generation: str, status: str, allocated: int, node: str,
               reason: str | None = None) -> bool:
    """The engine's report for one configuration, kept only while that configuration is the
    current one (False when it changed meanwhile)."""
    doc = txn.get(model.FUNCTIONS, key)
    config = ((doc or {}).get("provisioned") or {}).get(qualifier)
    if config is None or config["generation"] != generation:
        return False
    row: dict[str, Any] = {"generation": generation, "Status": status, "Allocated": allocated, "node": node}
    if reason:
        row["StatusReason"] = reason
    txn.put(STATUS, f"{key}/{qualifier}", row)
    return True


def wanted(txn: Txn) -> list[str]:
    """The functions that have (or just had) provisioned concurrency configured: read from
    the status rows, one per configuration, so no scan of every function."""
    return sorted({k.rsplit("/", 1)[0] for k, _ in txn.scan(STATUS)})


def drop_stale(txn: Txn, key: str) -> None:
    """Status rows of function `key` whose configuration is gone (its alias or version was
    deleted, or the function)."""
    doc = txn.get(model.FUNCTIONS, key)
    configs = (doc or {}).get("provisioned") or {}
    for row_key, _ in txn.scan(STATUS, key + "/"):
        qualifier = row_key[len(key) + 1:]
        if "/" not in qualifier and qualifier not in configs:
            txn.delete(STATUS, row_key)


# --- handlers ---------------------------------------------------------------------------
def _slot(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str, str]:
    name, qualifier = model.parse_name(params["FunctionName"], ctx.account_id, ctx.region, params.get("Qualifier"))
    if qualifier is None:  # the model requires Qualifier; a bare name in an ARN form lacks it
        raise AwsError.modeled("lambda", "InvalidParameterValueException",
                               "Provisioned Concurrency Configs cannot be applied to unpublished function versions.", Type="User")
    return model.fn_key(ctx.account_id, ctx.region, name), qualifier, model.function_arn(ctx.account_id, ctx.region, name, qualifier)


@operation("lambda", "PutProvisionedConcurrencyConfig")
async def put_provisioned_concurrency_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    from gureum.services.lambda_.settings import LambdaSettings

    key, qualifier, arn = _slot(ctx, params)
    limit = ctx.app.settings(LambdaSettings).concurrency
    wanted_n = int(params["ProvisionedConcurrentExecutions"])
    return await ctx.app.store.run(lambda t: put(t, ctx.account_id, ctx.region, key, arn, qualifier, wanted_n, limit))


@operation("lambda", "GetProvisionedConcurrencyConfig")
async def get_provisioned_concurrency_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, qualifier, arn = _slot(ctx, params)
    return await ctx.app.store.read(lambda t: get(t, key, arn, qualifier))


@operation("lambda", "DeleteProvisionedConcurrencyConfig")
async def delete_provisioned_concurrency_config(ctx: RequestContext, params: dict[str, Any]) -> None:
    key, qualifier, arn = _slot(ctx, params)
    await ctx.app.store.run(lambda t: delete(t, key, arn, qualifier))


@operation("lambda", "ListProvisionedConcurrencyConfigs")
async def list_provisioned_concurrency_configs(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, _ = model.parse_name(params["FunctionName"], ctx.account_id, ctx.region)
    key, arn = model.fn_key(ctx.account_id, ctx.region, name), model.function_arn(ctx.account_id, ctx.region, name)
    items, nxt = await ctx.app.store.read(lambda t: list_configs(t, key, arn, params))
    out: dict[str, Any] = {"ProvisionedConcurrencyConfigs": items}
    if nxt:
        out["NextMarker"] = nxt
    return out
