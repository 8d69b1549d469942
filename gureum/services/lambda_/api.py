"""Lambda API operations (rest-json): thin handlers over model.py (rules and stored state)
and engine.py (running functions)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import time
from datetime import datetime, timezone
from typing import Any

from gureum.aws import tags
from gureum.aws.dispatch import RequestContext, operation
from gureum.policy import actions
from gureum.services.lambda_ import code_urls, images, layers, model
from gureum.services.lambda_.code import code_bytes, store_code
from gureum.services.lambda_.engine import COMPONENT, encode_tail, engine_of
from gureum.services.lambda_.runtimes import RUNTIMES
from gureum.services.lambda_.scheduler import Throttled

log = logging.getLogger("gureum.lambda")

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 1024 * 1024
CLIENT_CONTEXT_LIMIT = 3583


# --- helpers -----------------------------------------------------------------------------
def _target(ctx: RequestContext, params: dict[str, Any], qualifier_param: str = "Qualifier") -> tuple[str, str, str | None, str]:
    """(store key, name, qualifier, arn as named)."""
    name, qualifier = model.parse_name(params["FunctionName"], ctx.account_id, ctx.region, params.get(qualifier_param))
    return model.fn_key(ctx.account_id, ctx.region, name), name, qualifier, model.function_arn(ctx.account_id, ctx.region, name, qualifier)


async def _changed(ctx: RequestContext, key: str) -> None:
    engine = ctx.app.components.get("lambda")
    if engine is not None:
        engine.invalidate(key)


def _check_revision(current: str, given: str | None) -> None:
    if given is not None and given != current:
        raise model.err(
            "PreconditionFailedException",
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
            412,
        )


def _check_runtime(runtime: str | None, handler: str | None) -> None:
    if runtime is None:
        raise model.invalid("Runtime is required for .zip deployment packages.")
    if runtime not in RUNTIMES:
        raise model.invalid(f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set")
    if not handler and not runtime.startswith("provided"):
        raise model.invalid("Handler is required for .zip deployment packages.")


async def _check_role(ctx: RequestContext, role: str) -> None:
    """The execution role must exist and its trust policy let lambda.amazonaws.com assume it."""
    try:
        from gureum.services.iam.lookup import get_role, role_trusts_service
    except ImportError:  # IAM not there: accept any well-formed role ARN
        return
    account = role.split(":")[4] if role.count(":") >= 5 else ""
    found = await get_role(ctx.app, account or ctx.account_id, role)
    if found is None or not role_trusts_service(found, "lambda.amazonaws.com"):
        raise model.invalid("The role defined for the function cannot be assumed by Lambda.")


# --- functions ---------------------------------------------------------------------------
@operation("lambda", "CreateFunction")
async def create_function(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["FunctionName"]
    if ":" in name:
        name, _ = model.parse_name(name, ctx.account_id, ctx.region)
        params = {**params, "FunctionName": name}
    package = params.get("PackageType") or "Zip"
    if package not in ("Zip", "Image"):
        raise model.err("ValidationException", f"1 validation error detected: Value '{package}' at 'packageType' failed to satisfy constraint: Member must satisfy enum value set: [Image, Zip]")
    if package == "Zip":
        if params.get("ImageConfig"):
            raise model.invalid("ImageConfig is not supported for .zip deployment packages.")
        _check_runtime(params.get("Runtime"), params.get("Handler"))
    model.check_limits(params)
    variables = model.check_environment(params.get("Environment"))
    await _check_role(ctx, params["Role"])
    if package == "Image":
        uri = (params.get("Code") or {}).get("ImageUri")
        if not uri:
            raise model.invalid("Please provide a source for function code.")
        if params.get("Layers"):
            raise model.invalid("Layers are not supported for container image functions.")
        image = await images.resolve(ctx.app, uri, ctx.account_id, ctx.region)
        code = {"digest": None, "sha256": image["digest"].split(":", 1)[1], "size": 0, "image": image}
    else:
        code = await store_code(ctx, await code_bytes(ctx, params.get("Code")))
    key = model.fn_key(ctx.account_id, ctx.region, name)
    doc = model.new_function(ctx.account_id, ctx.region, params, code, variables)

    def create(txn: model.Txn) -> dict[str, Any]:
        _attach_layers(txn, doc, params.get("Layers"))
        if not txn.insert(model.FUNCTIONS, key, doc):
            raise model.conflict(f"Function already exist: {name}")
        result = doc["config"]
        if params.get("Publish"):
            result = _publish(txn, key, doc, None)["config"]
        model.touch(txn, key)
        return result

    config = await ctx.app.store.run(create)
    await _changed(ctx, key)
    if package == "Image":
        ctx.app.spawn(
            images.prepare(ctx.app, key, ctx.account_id, ctx.region, code["image"]["resolved"], True), name=f"lambda-image-{key}"
        )
    return model.as_created(config)


def _attach_layers(txn: model.Txn, doc: dict[str, Any], arns: list[str] | None) -> None:
    """Point the function at these layer versions (None: leave as is, []: none)."""
    if arns is None:
        return
    found = layers.resolve(txn, arns)
    if found:
        doc["config"]["Layers"] = [{"Arn": d["LayerVersionArn"], "CodeSize": d["Content"]["CodeSize"]} for d in found]
        doc["code"]["layers"] = [d["digest"] for d in found]
    else:
        doc["config"].pop("Layers", None)
        doc["code"].pop("layers", None)


def _publish(txn: model.Txn, key: str, doc: dict[str, Any], description: str | None) -> dict[str, Any]:
    fingerprint = hashlib.sha256(
        json.dumps({k: v for k, v in doc["config"].items() if k not in ("RevisionId", "LastModified")}, sort_keys=True).encode()
    ).hexdigest()
    last = doc.get("last_published")
    if last and last["fingerprint"] == fingerprint:
        existing = txn.get(model.VERSIONS, model.version_key(key, last["version"]))
        if existing is not None:
            return existing
    version = int(doc.get("next_version", 1))
    snap = model.snapshot_version(doc, version, description)
    txn.put(model.VERSIONS, model.version_key(key, str(version)), snap)
    doc["next_version"] = version + 1
    doc["last_published"] = {"fingerprint": fingerprint, "version": str(version)}
    txn.put(model.FUNCTIONS, key, doc)
    return snap


@operation("lambda", "GetFunction")
async def get_function(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, qualifier, arn = _target(ctx, params)
    config, doc = await ctx.app.store.read(lambda t: _config_for(t, key, qualifier, arn))
    image = doc["code"].get("image")
    if image is not None:
        code_doc: dict[str, Any] = {"RepositoryType": "ECR", "ImageUri": image["uri"], "ResolvedImageUri": image["resolved"]}
    else:
        code_doc = {"RepositoryType": "S3", "Location": await code_urls.location(ctx.app, doc["code"]["digest"])}
    out: dict[str, Any] = {"Configuration": config, "Code": code_doc}
    if doc.get("tags"):
        out["Tags"] = doc["tags"]
    if doc.get("reserved") is not None:
        out["Concurrency"] = {"ReservedConcurrentExecutions": doc["reserved"]}
    return out


def _config_for(txn: model.Txn, key: str, qualifier: str | None, arn: str) -> tuple[dict[str, Any], dict[str, Any]]:
    doc = model.get_function(txn, key, arn)
    if qualifier in (None, "$LATEST"):
        return doc["config"], doc
    if not qualifier.isdigit():
        alias = txn.get(model.ALIASES, f"{key}/{qualifier}")
        if alias is None:
            raise model.not_found(arn)
        qualifier = alias["FunctionVersion"]
        if qualifier == "$LATEST":
            return doc["config"], doc
    v = txn.get(model.VERSIONS, model.version_key(key, qualifier))
    if v is None:
        raise model.not_found(arn)
    return v["config"], doc


@operation("lambda", "GetFunctionConfiguration")
async def get_function_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, qualifier, arn = _target(ctx, params)
    config, _ = await ctx.app.store.read(lambda t: _config_for(t, key, qualifier, arn))
    return config


@operation("lambda", "ListFunctions")
async def list_functions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    prefix = f"{ctx.account_id}/{ctx.region}/"
    all_versions = params.get("FunctionVersion") == "ALL"

    def read(txn: model.Txn) -> tuple[list[dict[str, Any]], str | None]:
        if not all_versions:  # a range scan from the Marker's function
            docs, nxt = model.page_rows(txn, model.FUNCTIONS, prefix, params)
            return [d["config"] for d in docs], nxt
        out = []  # every version of every function: the documented in-memory fallback
        for key, doc in txn.scan(model.FUNCTIONS, prefix):
            out.append(doc["config"])
            out += [v["config"] for _, v in txn.scan(model.VERSIONS, key + "/")]
        return model.page(out, lambda c: (c["FunctionName"], model.version_order(c["Version"])), "lambda.functions/" + prefix, params,
                          filters={"FunctionVersion": "ALL"})

    page, nxt = await ctx.app.store.read(read)
    out: dict[str, Any] = {"Functions": page}
    if nxt:
        out["NextMarker"] = nxt
    return out


@operation("lambda", "DeleteFunction")
async def delete_function(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, name, qualifier, arn = _target(ctx, params)

    def delete(txn: model.Txn) -> None:
        doc = model.get_function(txn, key, arn)
        if qualifier in (None, "$LATEST"):
            if qualifier == "$LATEST":
                raise model.invalid("$LATEST version cannot be deleted without deleting the function.")
            txn.delete(model.FUNCTIONS, key)
            for table in (model.VERSIONS, model.ALIASES, model.EIC, model.URLS):
                for k, v in txn.scan(table, key + "/"):
                    if table == model.URLS:
                        txn.delete(model.URL_IDS, v["id"])
                    txn.delete(table, k)
        else:
            if not qualifier.isdigit():
                raise model.invalid("Deletion of aliases is not supported by DeleteFunction; use DeleteAlias.")
            referencing = [a["Name"] for _, a in txn.scan(model.ALIASES, key + "/") if a["FunctionVersion"] == str(int(qualifier))]
            if referencing:
                raise model.conflict(f"Unable to delete version because the following aliases reference it: {referencing}")
            if not txn.delete(model.VERSIONS, model.version_key(key, qualifier)):
                raise model.not_found(arn)
            txn.delete(model.EIC, f"{key}/{int(qualifier)}")
        del doc
        model.touch(txn, key)

    await ctx.app.store.run(delete)
    await _changed(ctx, key)
    return {"StatusCode": 204}


@operation("lambda", "UpdateFunctionCode")
async def update_function_code(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})
    current, _ = await ctx.app.store.read(lambda t: _config_for(t, key, None, arn))
    is_image = current.get("PackageType") == "Image"
    if params.get("ImageUri"):
        if not is_image:
            raise model.invalid("Please don't provide ImageUri when updating a function with packageType Zip.")
        image = await images.resolve(ctx.app, params["ImageUri"], ctx.account_id, ctx.region)
        return await _update_image(ctx, key, arn, params, image)
    if is_image:
        raise model.invalid("Please provide ImageUri when updating a function with packageType Image.")
    code = await store_code(ctx, await code_bytes(ctx, {k: params.get(k) for k in ("ZipFile", "S3Bucket", "S3Key", "S3ObjectVersion")}))
    if params.get("DryRun"):
        config, _ = await ctx.app.store.read(lambda t: _config_for(t, key, None, arn))
        return {**config, "CodeSha256": code["sha256"], "CodeSize": code["size"]}

    def update(txn: model.Txn) -> dict[str, Any]:
        doc = model.get_function(txn, key, arn)
        _check_revision(doc["config"]["RevisionId"], params.get("RevisionId"))
        config = doc["config"]
        config.update(CodeSha256=code["sha256"], CodeSize=code["size"], LastModified=model.now_text(), RevisionId=model.new_revision())
        if params.get("Architectures"):
            config["Architectures"] = params["Architectures"]
        doc["code"]["digest"] = code["digest"]
        txn.put(model.FUNCTIONS, key, doc)
        result = config
        if params.get("Publish"):
            result = _publish(txn, key, doc, None)["config"]
        model.touch(txn, key)
        return result

    config = await ctx.app.store.run(update)
    await _changed(ctx, key)
    return model.as_updating(config)


async def _update_image(ctx: RequestContext, key: str, arn: str, params: dict[str, Any], image: dict[str, str]) -> dict[str, Any]:
    sha = image["digest"].split(":", 1)[1]
    if params.get("DryRun"):
        config, _ = await ctx.app.store.read(lambda t: _config_for(t, key, None, arn))
        return {**config, "CodeSha256": sha}

    def update(txn: model.Txn) -> dict[str, Any]:
        doc = model.get_function(txn, key, arn)
        _check_revision(doc["config"]["RevisionId"], params.get("RevisionId"))
        config = doc["config"]
        for f in ("LastUpdateStatusReason", "LastUpdateStatusReasonCode"):
            config.pop(f, None)
        config.update(CodeSha256=sha, CodeSize=0, LastModified=model.now_text(), RevisionId=model.new_revision(), LastUpdateStatus="InProgress")
        if params.get("Architectures"):
            config["Architectures"] = params["Architectures"]
        doc["code"] = {"digest": None, "image": image}
        txn.put(model.FUNCTIONS, key, doc)
        result = config
        if params.get("Publish"):
            result = _publish(txn, key, doc, None)["config"]
        model.touch(txn, key)
        return result

    config = await ctx.app.store.run(update)
    await _changed(ctx, key)
    ctx.app.spawn(images.prepare(ctx.app, key, ctx.account_id, ctx.region, image["resolved"], False), name=f"lambda-image-{key}")
    return model.as_updating(config)


_UPDATABLE = ("Role", "Handler", "Description", "Timeout", "MemorySize", "Runtime", "DeadLetterConfig", "KMSKeyArn", "EphemeralStorage")


@operation("lambda", "UpdateFunctionConfiguration")
async def update_function_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})
    model.check_limits(params)
    variables = model.check_environment(params.get("Environment")) if params.get("Environment") is not None else None
    if params.get("Role"):
        await _check_role(ctx, params["Role"])

    def update(txn: model.Txn) -> dict[str, Any]:
        doc = model.get_function(txn, key, arn)
        config = doc["config"]
        _check_revision(config["RevisionId"], params.get("RevisionId"))
        for name in _UPDATABLE:
            if params.get(name) is not None:
                config[name] = params[name]
        if "Runtime" in params or "Handler" in params:
            _check_runtime(config.get("Runtime"), config.get("Handler"))
        if variables is not None:
            config["Environment"] = {"Variables": variables}
        if params.get("ImageConfig") is not None:
            if config.get("PackageType") != "Image":
                raise model.invalid("ImageConfig is not supported for .zip deployment packages.")
            config["ImageConfigResponse"] = {"ImageConfig": dict(params["ImageConfig"])}
        if params.get("TracingConfig") is not None:
            config["TracingConfig"] = {"Mode": params["TracingConfig"].get("Mode", "PassThrough")}
        _attach_layers(txn, doc, params.get("Layers"))
        if params.get("LoggingConfig") is not None:
            config["LoggingConfig"] = {**config.get("LoggingConfig", {}), **params["LoggingConfig"]}
        config["LastModified"] = model.now_text()
        config["RevisionId"] = model.new_revision()
        txn.put(model.FUNCTIONS, key, doc)
        model.touch(txn, key)
        return config

    config = await ctx.app.store.run(update)
    await _changed(ctx, key)
    return model.as_updating(config)


@operation("lambda", "GetAccountSettings")
async def get_account_settings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    engine = await engine_of(ctx.app)
    total = await engine.reserved_total(ctx.account_id, ctx.region)
    prefix = f"{ctx.account_id}/{ctx.region}/"

    def usage(txn: model.Txn) -> tuple[int, int]:
        count = txn.count(model.FUNCTIONS, prefix)
        size = sum(int(d["config"].get("CodeSize", 0)) for _, d in txn.scan(model.FUNCTIONS, prefix)) if count < 10000 else 0
        return count, size

    count, size = await ctx.app.store.read(usage)
    return {
        "AccountLimit": {
            "TotalCodeSize": 80530636800,
            "CodeSizeUnzipped": 262144000,
            "CodeSizeZipped": 52428800,
            "ConcurrentExecutions": engine.account_concurrency,
            "UnreservedConcurrentExecutions": engine.account_concurrency - total,
        },
        "AccountUsage": {"TotalCodeSize": size, "FunctionCount": count},
    }


# --- invoke ------------------------------------------------------------------------------
@operation("lambda", "Invoke")
async def invoke(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    engine = ctx.app.components.get(COMPONENT) or await engine_of(ctx.app)
    kind = params.get("InvocationType") or "RequestResponse"
    payload: bytes = params.get("Payload") or b""
    limit = SYNC_PAYLOAD_LIMIT if kind != "Event" else ASYNC_PAYLOAD_LIMIT
    if len(payload) > limit:
        op = "InvokeFunction" if kind != "Event" else "InvokeAsync"
        raise model.err("RequestTooLargeException", f"Request must be smaller than {limit} bytes for the {op} operation", 413)
    if payload:
        try:
            json.loads(payload)
        except ValueError as exc:
            raise model.err(
                "InvalidRequestContentException", f"Could not parse request body into json: Could not parse payload into json: {exc}", 400
            ) from None
    client_context = None
    if params.get("ClientContext"):
        try:
            raw = base64.b64decode(params["ClientContext"], validate=True)
            if len(params["ClientContext"]) > CLIENT_CONTEXT_LIMIT:
                raise ValueError("too long")
            json.loads(raw)
            client_context = raw.decode()
        except (binascii.Error, ValueError):
            raise model.err("InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object.", 400) from None
    account = _invoked_account(ctx, params["FunctionName"])
    target = await engine.resolve(account, ctx.region, params["FunctionName"], params.get("Qualifier"))
    if kind == "DryRun":
        return {"StatusCode": 204}
    if kind == "Event":
        await engine.queue.enqueue(account, ctx.region, target, payload or b"{}", request_id=ctx.request_id)
        return {"StatusCode": 202}
    try:
        result = await engine.invoke(
            account,
            ctx.region,
            target,
            payload,
            request_id=ctx.request_id,
            client_context=client_context,
            tail=params.get("LogType") == "Tail",
        )
    except Throttled as exc:
        raise model.err("TooManyRequestsException", "Rate Exceeded.", 429, Reason=exc.reason, retryAfterSeconds="1") from None
    out: dict[str, Any] = {"StatusCode": 200, "Payload": result.payload, "ExecutedVersion": target.version}
    if result.function_error:
        out["FunctionError"] = result.function_error
    if params.get("LogType") == "Tail":
        out["LogResult"] = encode_tail(result.log_tail)
    return out


def _invoked_account(ctx: RequestContext, function_name: str) -> str:
    """The account whose function Invoke runs: the one a full ARN names when the request
    came through the edge (whose gate let it in only on a grant in that function's policy),
    else the caller's."""
    named = actions.owner(actions.function_arn(function_name, ctx.account_id, ctx.region))
    return named if named and ctx.request is not None else ctx.account_id


# --- versions and aliases ----------------------------------------------------------------
@operation("lambda", "PublishVersion")
async def publish_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})

    def publish(txn: model.Txn) -> dict[str, Any]:
        doc = model.get_function(txn, key, arn)
        _check_revision(doc["config"]["RevisionId"], params.get("RevisionId"))
        if params.get("CodeSha256") and params["CodeSha256"] != doc["config"]["CodeSha256"]:
            raise model.invalid(
                f"CodeSHA256 ({params['CodeSha256']}) is different from current CodeSHA256 in $LATEST ({doc['config']['CodeSha256']}). Please try again with the CodeSHA256 in $LATEST."
            )
        snap = _publish(txn, key, doc, params.get("Description"))
        model.touch(txn, key)
        return snap["config"]

    config = await ctx.app.store.run(publish)
    await _changed(ctx, key)
    return config


@operation("lambda", "ListVersionsByFunction")
async def list_versions_by_function(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})

    def read(txn: model.Txn) -> list[dict[str, Any]]:
        doc = model.get_function(txn, key, arn)
        return [doc["config"]] + [v["config"] for _, v in txn.scan(model.VERSIONS, key + "/")]

    page, nxt = model.page(await ctx.app.store.read(read), lambda c: model.version_order(c["Version"]), "lambda.versions/" + key, params)
    out: dict[str, Any] = {"Versions": page}
    if nxt:
        out["NextMarker"] = nxt
    return out


def _check_alias_versions(txn: model.Txn, key: str, arn: str, version: str, routing: dict[str, Any] | None) -> None:
    def exists(v: str) -> bool:
        return v == "$LATEST" or (v.isdigit() and txn.get(model.VERSIONS, model.version_key(key, v)) is not None)

    if not exists(version):
        raise model.not_found(f"{arn}:{version}")
    weights = (routing or {}).get("AdditionalVersionWeights") or {}
    if len(weights) > 1:
        raise model.invalid("Number of items in AdditionalVersionWeights cannot be greater than 1")
    for extra, weight in weights.items():
        if extra == version:
            raise model.invalid("Invalid function version in AdditionalVersionWeights: it is the alias's primary version")
        if not exists(extra) or extra == "$LATEST":
            raise model.invalid(f"Invalid function version {extra}. Function version {extra} does not exist.")
        if not 0.0 <= float(weight) <= 1.0:
            raise model.invalid("Weight must be between 0.0 and 1.0")


@operation("lambda", "CreateAlias")
async def create_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, name, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})
    alias_name = params["Name"]
    alias = {
        "AliasArn": model.function_arn(ctx.account_id, ctx.region, name, alias_name),
        "Name": alias_name,
        "FunctionVersion": params["FunctionVersion"],
        "Description": params.get("Description", ""),
        "RevisionId": model.new_revision(),
    }
    if params.get("RoutingConfig"):
        alias["RoutingConfig"] = params["RoutingConfig"]

    def create(txn: model.Txn) -> dict[str, Any]:
        model.get_function(txn, key, arn)
        _check_alias_versions(txn, key, arn, params["FunctionVersion"], params.get("RoutingConfig"))
        if not txn.insert(model.ALIASES, f"{key}/{alias_name}", alias):
            raise model.conflict(f"Alias already exists: {alias['AliasArn']}")
        model.touch(txn, key)
        return alias

    out = await ctx.app.store.run(create)
    await _changed(ctx, key)
    return out


@operation("lambda", "GetAlias")
async def get_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, name, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})
    alias = await ctx.app.store.read(lambda t: t.get(model.ALIASES, f"{key}/{params['Name']}"))
    if alias is None:
        raise model.not_found(model.function_arn(ctx.account_id, ctx.region, name, params["Name"]), "Alias")
    return alias


@operation("lambda", "ListAliases")
async def list_aliases(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})

    version = params.get("FunctionVersion")

    def read(txn: model.Txn) -> tuple[list[dict[str, Any]], str | None]:
        model.get_function(txn, key, arn)
        return model.page_rows(txn, model.ALIASES, key + "/", params, keep=lambda a: not version or a["FunctionVersion"] == version,
                               filters={"FunctionVersion": version})

    page, nxt = await ctx.app.store.read(read)
    out: dict[str, Any] = {"Aliases": page}
    if nxt:
        out["NextMarker"] = nxt
    return out


@operation("lambda", "UpdateAlias")
async def update_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, name, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})
    akey = f"{key}/{params['Name']}"

    def update(txn: model.Txn) -> dict[str, Any]:
        alias = txn.get(model.ALIASES, akey)
        if alias is None:
            raise model.not_found(model.function_arn(ctx.account_id, ctx.region, name, params["Name"]), "Alias")
        _check_revision(alias["RevisionId"], params.get("RevisionId"))
        for field in ("FunctionVersion", "Description", "RoutingConfig"):
            if params.get(field) is not None:
                alias[field] = params[field]
        _check_alias_versions(txn, key, arn, alias["FunctionVersion"], alias.get("RoutingConfig"))
        alias["RevisionId"] = model.new_revision()
        txn.put(model.ALIASES, akey, alias)
        model.touch(txn, key)
        return alias

    out = await ctx.app.store.run(update)
    await _changed(ctx, key)
    return out


@operation("lambda", "DeleteAlias")
async def delete_alias(ctx: RequestContext, params: dict[str, Any]) -> None:
    key, _, _, _ = _target(ctx, {"FunctionName": params["FunctionName"]})

    def delete(txn: model.Txn) -> None:
        txn.delete(model.ALIASES, f"{key}/{params['Name']}")
        txn.delete(model.EIC, f"{key}/{params['Name']}")
        model.touch(txn, key)

    await ctx.app.store.run(delete)
    await _changed(ctx, key)


# --- concurrency -------------------------------------------------------------------------
@operation("lambda", "PutFunctionConcurrency")
async def put_function_concurrency(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})
    engine = await engine_of(ctx.app)
    wanted = int(params["ReservedConcurrentExecutions"])

    def put(txn: model.Txn) -> None:
        doc = model.get_function(txn, key, arn)
        others = model.reserved_total(txn, ctx.account_id, ctx.region, exclude=key)
        if engine.account_concurrency - others - wanted < model.MIN_UNRESERVED:
            raise model.invalid(
                f"Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{model.MIN_UNRESERVED}]."
            )
        doc["reserved"] = wanted
        txn.put(model.FUNCTIONS, key, doc)
        model.touch(txn, key)

    await ctx.app.store.run(put)
    await _changed(ctx, key)
    return {"ReservedConcurrentExecutions": wanted}


@operation("lambda", "GetFunctionConcurrency")
async def get_function_concurrency(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})
    doc = await ctx.app.store.read(lambda t: model.get_function(t, key, arn))
    return {} if doc.get("reserved") is None else {"ReservedConcurrentExecutions": doc["reserved"]}


@operation("lambda", "DeleteFunctionConcurrency")
async def delete_function_concurrency(ctx: RequestContext, params: dict[str, Any]) -> None:
    key, _, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})

    def delete(txn: model.Txn) -> None:
        doc = model.get_function(txn, key, arn)
        doc["reserved"] = None
        txn.put(model.FUNCTIONS, key, doc)
        model.touch(txn, key)

    await ctx.app.store.run(delete)
    await _changed(ctx, key)


# --- resource policy ---------------------------------------------------------------------
@operation("lambda", "AddPermission")
async def add_permission(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, name, qualifier, arn = _target(ctx, params)
    principal = params["Principal"]
    if principal == "*":
        principal_doc: Any = "*"
    elif principal.endswith(".amazonaws.com"):
        principal_doc = {"Service": principal}
    elif principal.isdigit():
        principal_doc = {"AWS": f"arn:aws:iam::{principal}:root"}
    else:
        principal_doc = {"AWS": principal}
    statement: dict[str, Any] = {
        "Sid": params["StatementId"],
        "Effect": "Allow",
        "Principal": principal_doc,
        "Action": params["Action"],
        "Resource": arn,
    }
    condition: dict[str, Any] = {}
    if params.get("SourceArn"):
        condition.setdefault("ArnLike", {})["AWS:SourceArn"] = params["SourceArn"]
    if params.get("SourceAccount"):
        condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = params["SourceAccount"]
    if params.get("PrincipalOrgID"):
        condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = params["PrincipalOrgID"]
    if params.get("FunctionUrlAuthType"):
        condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = params["FunctionUrlAuthType"]
    if condition:
        statement["Condition"] = condition
    slot = qualifier or ""

    def add(txn: model.Txn) -> None:
        doc = model.get_function(txn, key, arn)
        policies = doc.setdefault("policies", {})
        _check_revision(policies.get(f"{slot}#rev", ""), params.get("RevisionId"))
        statements = policies.setdefault(slot, [])
        if any(s["Sid"] == params["StatementId"] for s in statements):
            raise model.conflict(
                f"The statement id ({params['StatementId']}) provided already exists. Please provide a new statement id, or remove the existing statement."
            )
        statements.append(statement)
        policies[f"{slot}#rev"] = model.new_revision()
        txn.put(model.FUNCTIONS, key, doc)
        model.touch(txn, key)

    await ctx.app.store.run(add)
    await _changed(ctx, key)
    return {"Statement": json.dumps(statement, separators=(",", ":"))}


@operation("lambda", "GetPolicy")
async def get_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, qualifier, arn = _target(ctx, params)
    doc = await ctx.app.store.read(lambda t: model.get_function(t, key, arn))
    policies = doc.get("policies") or {}
    statements = policies.get(qualifier or "")
    if not statements:
        raise model.err("ResourceNotFoundException", "The resource you requested does not exist.", 404)
    policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
    return {"Policy": json.dumps(policy, separators=(",", ":")), "RevisionId": policies.get(f"{qualifier or ''}#rev", "")}


@operation("lambda", "RemovePermission")
async def remove_permission(ctx: RequestContext, params: dict[str, Any]) -> None:
    key, _, qualifier, arn = _target(ctx, params)
    slot = qualifier or ""

    def remove(txn: model.Txn) -> None:
        doc = model.get_function(txn, key, arn)
        policies = doc.get("policies") or {}
        statements = policies.get(slot) or []
        keep = [s for s in statements if s["Sid"] != params["StatementId"]]
        if len(keep) == len(statements):
            raise model.err("ResourceNotFoundException", "The resource you requested does not exist.", 404)
        policies[slot] = keep
        policies[f"{slot}#rev"] = model.new_revision()
        doc["policies"] = policies
        txn.put(model.FUNCTIONS, key, doc)
        model.touch(txn, key)

    await ctx.app.store.run(remove)
    await _changed(ctx, key)


# --- tags --------------------------------------------------------------------------------
def _tag_key(ctx: RequestContext, resource: str) -> tuple[str, str]:
    name, _ = model.parse_name(resource, ctx.account_id, ctx.region)
    return model.fn_key(ctx.account_id, ctx.region, name), model.function_arn(ctx.account_id, ctx.region, name)


@operation("lambda", "TagResource")
async def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> None:
    place = model.FunctionTags(*_tag_key(ctx, params["Resource"]))
    await ctx.app.store.run(lambda txn: tags.tag(txn, place, params["Tags"], model.TAG_RULES))


@operation("lambda", "UntagResource")
async def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> None:
    place = model.FunctionTags(*_tag_key(ctx, params["Resource"]))
    await ctx.app.store.run(lambda txn: tags.untag(txn, place, params["TagKeys"], model.TAG_RULES))


@operation("lambda", "ListTags")
async def list_tags(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    place = model.FunctionTags(*_tag_key(ctx, params["Resource"]))
    return {"Tags": await ctx.app.store.read(lambda t: tags.list_tags(t, place))}


# --- event invoke config -----------------------------------------------------------------
def _check_destinations(dest: dict[str, Any] | None) -> None:
    for kind in ("OnSuccess", "OnFailure"):
        target = ((dest or {}).get(kind) or {}).get("Destination")
        if target and not target.startswith(("arn:aws:lambda:", "arn:aws:sqs:", "arn:aws:sns:", "arn:aws:events:", "arn:aws:s3:")):
            raise model.invalid(f"The destination ARN {target} is invalid.")


def _eic_slot(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str, str]:
    key, name, qualifier, arn = _target(ctx, params)
    return key, f"{key}/{qualifier or '$LATEST'}", model.function_arn(ctx.account_id, ctx.region, name, qualifier or "$LATEST")


async def _put_eic(ctx: RequestContext, params: dict[str, Any], merge: bool) -> dict[str, Any]:
    key, slot, arn = _eic_slot(ctx, params)
    _check_destinations(params.get("DestinationConfig"))

    def put(txn: model.Txn) -> dict[str, Any]:
        model.get_function(txn, key, arn)
        current = txn.get(model.EIC, slot) if merge else None
        if merge and current is None:
            raise model.not_found(arn, "The function event invoke config")
        doc = dict(current or {"FunctionArn": arn})
        for field in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"):
            if params.get(field) is not None:
                doc[field] = params[field]
            elif not merge:
                doc.pop(field, None)
        doc.setdefault("DestinationConfig", {"OnSuccess": {}, "OnFailure": {}})
        doc["LastModified"] = time.time()
        txn.put(model.EIC, slot, doc)
        model.touch(txn, key)
        return doc

    out = await ctx.app.store.run(put)
    await _changed(ctx, key)
    return _eic_view(out)


def _eic_view(doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    out["LastModified"] = datetime.fromtimestamp(doc["LastModified"], timezone.utc)
    return out


@operation("lambda", "PutFunctionEventInvokeConfig")
async def put_function_event_invoke_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await _put_eic(ctx, params, merge=False)


@operation("lambda", "UpdateFunctionEventInvokeConfig")
async def update_function_event_invoke_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await _put_eic(ctx, params, merge=True)


@operation("lambda", "GetFunctionEventInvokeConfig")
async def get_function_event_invoke_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, slot, arn = _eic_slot(ctx, params)
    doc = await ctx.app.store.read(lambda t: t.get(model.EIC, slot))
    if doc is None:
        raise model.not_found(arn, "The function event invoke config")
    return _eic_view(doc)


@operation("lambda", "DeleteFunctionEventInvokeConfig")
async def delete_function_event_invoke_config(ctx: RequestContext, params: dict[str, Any]) -> None:
    key, slot, arn = _eic_slot(ctx, params)

    def delete(txn: model.Txn) -> None:
        if not txn.delete(model.EIC, slot):
            raise model.not_found(arn, "The function event invoke config")
        model.touch(txn, key)

    await ctx.app.store.run(delete)
    await _changed(ctx, key)


@operation("lambda", "ListFunctionEventInvokeConfigs")
async def list_function_event_invoke_configs(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})

    def read(txn: model.Txn) -> tuple[list[dict[str, Any]], str | None]:
        model.get_function(txn, key, arn)
        return model.page_rows(txn, model.EIC, key + "/", params)

    docs, nxt = await ctx.app.store.read(read)
    out: dict[str, Any] = {"FunctionEventInvokeConfigs": [_eic_view(d) for d in docs]}
    if nxt:
        out["NextMarker"] = nxt
    return out


# --- function URLs -----------------------------------------------------------------------
def _url_slot(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str, str, str | None]:
    key, name, qualifier, arn = _target(ctx, params)
    if qualifier and qualifier.isdigit():
        raise model.invalid("Function URLs can only be created for $LATEST or an alias.")
    return key, f"{key}/{qualifier or '$LATEST'}", arn, qualifier


async def _url_view(ctx: RequestContext, doc: dict[str, Any]) -> dict[str, Any]:
    engine = await engine_of(ctx.app)
    out = {k: v for k, v in doc.items() if k not in ("id", "account", "region", "key", "qualifier")}
    out["FunctionUrl"] = engine.urls.url_for(doc["id"], doc["region"])
    return out


@operation("lambda", "CreateFunctionUrlConfig")
async def create_function_url_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, slot, arn, qualifier = _url_slot(ctx, params)
    now = model.now_text()
    doc = {
        "id": model.url_id(),
        "account": ctx.account_id,
        "region": ctx.region,
        "key": key,
        "qualifier": qualifier,
        "FunctionArn": arn,
        "AuthType": params["AuthType"],
        "InvokeMode": params.get("InvokeMode") or "BUFFERED",
        "CreationTime": now,
        "LastModifiedTime": now,
    }
    if params.get("Cors"):
        doc["Cors"] = params["Cors"]

    def create(txn: model.Txn) -> None:
        model.get_function(txn, key, arn.rsplit(":", 1)[0] if qualifier else arn)
        if qualifier and txn.get(model.ALIASES, f"{key}/{qualifier}") is None:
            raise model.not_found(arn)
        if not txn.insert(model.URLS, slot, doc):
            raise model.conflict(f"Failed to create function url config for [functionArn = {arn}]. Error message:  FunctionUrlConfig exists for this Lambda function")
        txn.put(model.URL_IDS, doc["id"], {"slot": slot})

    await ctx.app.store.run(create)
    out = await _url_view(ctx, doc)
    out.pop("LastModifiedTime", None)
    engine = await engine_of(ctx.app)
    log.info("function URL for %s: %s (path form: %s)", arn, out["FunctionUrl"], engine.urls.path_url_for(doc["id"]))
    return out


async def _get_url(ctx: RequestContext, slot: str, arn: str) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: t.get(model.URLS, slot))
    if doc is None:
        raise model.err("ResourceNotFoundException", "The resource you requested does not exist.", 404)
    return doc


@operation("lambda", "GetFunctionUrlConfig")
async def get_function_url_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, slot, arn, _ = _url_slot(ctx, params)
    return await _url_view(ctx, await _get_url(ctx, slot, arn))


@operation("lambda", "UpdateFunctionUrlConfig")
async def update_function_url_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, slot, arn, _ = _url_slot(ctx, params)

    def update(txn: model.Txn) -> dict[str, Any]:
        doc = txn.get(model.URLS, slot)
        if doc is None:
            raise model.err("ResourceNotFoundException", "The resource you requested does not exist.", 404)
        for field in ("AuthType", "Cors", "InvokeMode"):
            if params.get(field) is not None:
                doc[field] = params[field]
        doc["LastModifiedTime"] = model.now_text()
        txn.put(model.URLS, slot, doc)
        return doc

    return await _url_view(ctx, await ctx.app.store.run(update))


@operation("lambda", "DeleteFunctionUrlConfig")
async def delete_function_url_config(ctx: RequestContext, params: dict[str, Any]) -> None:
    key, slot, arn, _ = _url_slot(ctx, params)

    def delete(txn: model.Txn) -> None:
        doc = txn.get(model.URLS, slot)
        if doc is None:
            raise model.err("ResourceNotFoundException", "The resource you requested does not exist.", 404)
        txn.delete(model.URLS, slot)
        txn.delete(model.URL_IDS, doc["id"])

    await ctx.app.store.run(delete)


@operation("lambda", "ListFunctionUrlConfigs")
async def list_function_url_configs(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})

    def read(txn: model.Txn) -> tuple[list[dict[str, Any]], str | None]:
        model.get_function(txn, key, arn)
        return model.page_rows(txn, model.URLS, key + "/", params)

    docs, nxt = await ctx.app.store.read(read)
    out: dict[str, Any] = {"FunctionUrlConfigs": [await _url_view(ctx, d) for d in docs]}
    if nxt:
        out["NextMarker"] = nxt
    return out
