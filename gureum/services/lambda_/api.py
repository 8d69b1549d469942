"""Lambda API operations (rest-json): thin handlers. Each reads its parameters, runs the
model's rules and writes in one `app.store.run(...)` (functions.py, versions.py,
aliases.py, permissions.py, concurrency.py, invoke_configs.py, url_configs.py; shared parts
in model.py) and shapes the output; engine.py runs functions. Handlers do no store work of
their own and invalidate nothing: each model write publishes its own change event."""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import json
import logging
import re
from datetime import date, datetime, timezone
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.policy import actions, resource_policies
from gureum.services.iam.port import get_role, role_trusts_service
from gureum.services.lambda_ import (
    aliases,
    capacity_providers,
    code_signing,
    code_urls,
    concurrency,
    durable_api,
    functions,
    images,
    invoke_configs,
    model,
    permissions,
    recursion,
    url_configs,
    versions,
)
from gureum.services.lambda_.code import code_bytes, store_code
from gureum.services.lambda_.engine import encode_tail, engine_of
from gureum.services.lambda_.runtimes import lifecycle
from gureum.services.lambda_.runtimes import versions as runtime_versions
from gureum.services.lambda_.scheduler import Throttled
from gureum.services.lambda_.settings import LambdaSettings
from gureum.services.lambda_.slots import ENGINE

log = logging.getLogger("gureum.lambda")

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 1024 * 1024
CLIENT_CONTEXT_LIMIT = 3583


# --- helpers -----------------------------------------------------------------------------
def _target(ctx: RequestContext, params: dict[str, Any], qualifier_param: str = "Qualifier") -> tuple[str, str, str | None, str]:
    """(store key, name, qualifier, arn as named)."""
    name, qualifier = model.parse_name(params["FunctionName"], ctx.account_id, ctx.region, params.get(qualifier_param))
    return model.fn_key(ctx.account_id, ctx.region, name), name, qualifier, model.function_arn(ctx.account_id, ctx.region, name, qualifier)


async def _check_role(ctx: RequestContext, role: str) -> None:
    """The execution role must exist and its trust policy let lambda.amazonaws.com assume it."""
    parsed = arns.try_parse(role)
    account = parsed.account if parsed is not None else ""
    found = await get_role(ctx.app, account or ctx.account_id, role)
    if found is None or not role_trusts_service(found, "lambda.amazonaws.com"):
        raise AwsError.modeled("lambda", "InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.", Type="User")


# --- functions ---------------------------------------------------------------------------
async def _with_runtime_version(ctx: RequestContext, config: dict[str, Any]) -> dict[str, Any]:
    """`config` with the RuntimeVersionArn its INIT_START line names (toolchain looked up in a
    thread: never installs, cached after a process's first look)."""
    if "RuntimeVersionConfig" not in config:
        return config
    return await asyncio.to_thread(runtime_versions.configured, ctx.region, config)


def _today(ctx: RequestContext) -> date:
    """The date runtime deprecation dates are compared with (lambda.runtime_date pins it)."""
    return lifecycle.today(ctx.app.settings(LambdaSettings).pinned_date)


@operation("lambda", "CreateFunction")
async def create_function(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["FunctionName"]
    if ":" in name:
        name, _ = model.parse_name(name, ctx.account_id, ctx.region)
        params = {**params, "FunctionName": name}
    model.check_new_name(name)
    capacity_providers.check_function_config(params)
    package = params.get("PackageType") or "Zip"
    if package not in ("Zip", "Image"):
        raise AwsError.modeled("lambda", "ValidationException", f"1 validation error detected: Value '{package}' at 'packageType' failed to satisfy constraint: Member must satisfy enum value set: [Image, Zip]", Type="User")
    if package == "Zip":
        if params.get("ImageConfig"):
            raise AwsError.modeled("lambda", "InvalidParameterValueException", "ImageConfig is not supported for .zip deployment packages.", Type="User")
        functions.check_runtime(params.get("Runtime"), params.get("Handler"), _today(ctx))
    model.check_limits(params)
    variables = model.check_environment(params.get("Environment"))
    await _check_role(ctx, params["Role"])
    if package == "Image":
        uri = (params.get("Code") or {}).get("ImageUri")
        if not uri:
            raise AwsError.modeled("lambda", "InvalidParameterValueException", "Please provide a source for function code.", Type="User")
        if params.get("Layers"):
            raise AwsError.modeled("lambda", "InvalidParameterValueException", "Layers are not supported for container image functions.", Type="User")
        image = await images.resolve(ctx.app, uri, ctx.account_id, ctx.region)
        code: dict[str, Any] = {"digest": None, "sha256": image["digest"].split(":", 1)[1], "size": 0, "image": image}
    else:
        await code_signing.check_deployment(ctx, params.get("CodeSigningConfigArn"), name)
        code = await store_code(ctx, await code_bytes(ctx, params.get("Code")))
    key = model.fn_key(ctx.account_id, ctx.region, name)
    doc = model.new_function(ctx.account_id, ctx.region, params, code, variables)
    if params.get("CodeSigningConfigArn"):
        if package == "Image":
            raise AwsError.modeled("lambda", "InvalidParameterValueException",
                                   "Code signing is not supported for container image functions.", Type="User")
        doc["csc"] = params["CodeSigningConfigArn"]
    config = await ctx.app.store.run(lambda t: functions.create(t, key, doc, params.get("Layers"), bool(params.get("Publish"))))
    if package == "Image":
        ctx.app.spawn(
            images.prepare(ctx.app, key, ctx.account_id, ctx.region, code["image"]["resolved"], True), name=f"lambda-image-{key}"
        )
    return await _with_runtime_version(ctx, config)


@operation("lambda", "GetFunction")
async def get_function(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, qualifier, arn = _target(ctx, params)
    config, doc = await ctx.app.store.read(lambda t: functions.config_for(t, key, qualifier, arn))
    image = doc["code"].get("image")
    if image is not None:
        code_doc: dict[str, Any] = {"RepositoryType": "ECR", "ImageUri": image["uri"], "ResolvedImageUri": image["resolved"]}
    else:
        code_doc = {"RepositoryType": "S3", "Location": await code_urls.location(ctx.app, doc["code"]["digest"])}
    out: dict[str, Any] = {"Configuration": await _with_runtime_version(ctx, config), "Code": code_doc}
    if doc.get("tags"):
        out["Tags"] = doc["tags"]
    if doc.get("reserved") is not None:
        out["Concurrency"] = {"ReservedConcurrentExecutions": doc["reserved"]}
    return out


@operation("lambda", "GetFunctionConfiguration")
async def get_function_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, qualifier, arn = _target(ctx, params)
    config, _ = await ctx.app.store.read(lambda t: functions.config_for(t, key, qualifier, arn))
    return await _with_runtime_version(ctx, config)


@operation("lambda", "ListFunctions")
async def list_functions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    page, nxt = await ctx.app.store.read(lambda t: functions.list_configs(t, ctx.account_id, ctx.region, params))
    out: dict[str, Any] = {"Functions": page}
    if nxt:
        out["NextMarker"] = nxt
    return out


@operation("lambda", "DeleteFunction")
async def delete_function(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, name, qualifier, arn = _target(ctx, params)
    await ctx.app.store.run(lambda t: functions.delete(t, key, qualifier, arn))
    return {"StatusCode": 204}


@operation("lambda", "UpdateFunctionCode")
async def update_function_code(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})
    current, current_doc = await ctx.app.store.read(lambda t: functions.config_for(t, key, None, arn))
    is_image = current.get("PackageType") == "Image"
    if params.get("ImageUri"):
        if not is_image:
            raise AwsError.modeled("lambda", "InvalidParameterValueException", "Please don't provide ImageUri when updating a function with packageType Zip.", Type="User")
        image = await images.resolve(ctx.app, params["ImageUri"], ctx.account_id, ctx.region)
        return await _update_image(ctx, key, arn, params, image)
    if is_image:
        raise AwsError.modeled("lambda", "InvalidParameterValueException", "Please provide ImageUri when updating a function with packageType Image.", Type="User")
    await code_signing.check_deployment(ctx, current_doc.get("csc"), current["FunctionName"])
    code = await store_code(ctx, await code_bytes(ctx, {k: params.get(k) for k in ("ZipFile", "S3Bucket", "S3Key", "S3ObjectVersion")}))
    if params.get("DryRun"):
        config, _ = await ctx.app.store.read(lambda t: functions.config_for(t, key, None, arn))
        return {**config, "CodeSha256": code["sha256"], "CodeSize": code["size"]}
    today = _today(ctx)
    return await ctx.app.store.run(lambda t: functions.update_code(
        t, key, arn, code, params.get("RevisionId"), params.get("Architectures"), bool(params.get("Publish")), today))


async def _update_image(ctx: RequestContext, key: str, arn: str, params: dict[str, Any], image: dict[str, str]) -> dict[str, Any]:
    sha = image["digest"].split(":", 1)[1]
    if params.get("DryRun"):
        config, _ = await ctx.app.store.read(lambda t: functions.config_for(t, key, None, arn))
        return {**config, "CodeSha256": sha}
    config = await ctx.app.store.run(lambda t: functions.update_image(
        t, key, arn, image, params.get("RevisionId"), params.get("Architectures"), bool(params.get("Publish"))))
    ctx.app.spawn(images.prepare(ctx.app, key, ctx.account_id, ctx.region, image["resolved"], False), name=f"lambda-image-{key}")
    return config


@operation("lambda", "UpdateFunctionConfiguration")
async def update_function_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})
    model.check_limits(params)
    capacity_providers.check_function_config(params)
    variables = model.check_environment(params.get("Environment")) if params.get("Environment") is not None else None
    if params.get("Role"):
        await _check_role(ctx, params["Role"])
    if params.get("Layers"):  # layers must be signed too under a code signing configuration
        _, current_doc = await ctx.app.store.read(lambda t: functions.config_for(t, key, None, arn))
        await code_signing.check_deployment(ctx, current_doc.get("csc"), current_doc["config"]["FunctionName"], "layer")
    today = _today(ctx)
    config = await ctx.app.store.run(lambda t: functions.update_configuration(t, key, arn, params, variables, today))
    return model.as_updating(await _with_runtime_version(ctx, config))


@operation("lambda", "GetAccountSettings")
async def get_account_settings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    engine = await engine_of(ctx.app)
    total = await engine.reserved_total(ctx.account_id, ctx.region)
    count, size = await ctx.app.store.read(lambda t: functions.usage(t, ctx.account_id, ctx.region))
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
    engine = ctx.app.parts.get(ENGINE) or await engine_of(ctx.app)
    kind = params.get("InvocationType") or "RequestResponse"
    payload: bytes = params.get("Payload") or b""
    client_context = check_invoke_input(kind, payload, params.get("ClientContext"))
    account = invoked_account(ctx, params["FunctionName"])
    target = await engine.resolve(account, ctx.region, params["FunctionName"], params.get("Qualifier"))
    if kind == "DryRun":
        return {"StatusCode": 204}
    trace = trace_header(ctx)
    if target.config.get("DurableConfig") is not None:  # a durable function: a durable execution
        return await durable_api.invoke(ctx, engine, account, target, payload, kind, params.get("DurableExecutionName"))
    if kind == "Event":
        await engine.queue.enqueue(account, ctx.region, target, payload or b"{}", request_id=ctx.request_id, trace=trace)
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
            trace=trace,
        )
    except Throttled as exc:
        raise AwsError.modeled("lambda", "TooManyRequestsException", "Rate Exceeded.", Type="User", Reason=exc.reason, retryAfterSeconds="1") from None
    except recursion.RecursionStopped:
        raise recursion.stopped_error() from None
    out: dict[str, Any] = {"StatusCode": 200, "Payload": result.payload, "ExecutedVersion": target.version}
    if result.function_error:
        out["FunctionError"] = result.function_error
    if params.get("LogType") == "Tail":
        out["LogResult"] = encode_tail(result.log_tail)
    return out


def trace_header(ctx: RequestContext) -> str | None:
    """The caller's X-Ray trace header (AWS SDKs send a Lambda function's own as
    X-Amzn-Trace-Id: recursion.py follows loops with it)."""
    return ctx.request.headers.get("x-amzn-trace-id") if ctx.request is not None else None


def check_invoke_input(kind: str, payload: bytes, client_context_b64: str | None) -> str | None:
    """An invocation's payload (size for `kind`, JSON) and client context (base64 JSON,
    returned decoded) as AWS checks them."""
    limit = SYNC_PAYLOAD_LIMIT if kind != "Event" else ASYNC_PAYLOAD_LIMIT
    if len(payload) > limit:
        op = "InvokeFunction" if kind != "Event" else "InvokeAsync"
        raise AwsError.modeled("lambda", "RequestTooLargeException", f"Request must be smaller than {limit} bytes for the {op} operation", Type="User")
    if payload:
        try:
            json.loads(payload)
        except ValueError as exc:
            raise AwsError.modeled("lambda", "InvalidRequestContentException", f"Could not parse request body into json: Could not parse payload into json: {exc}", Type="User") from None
    client_context = None
    if client_context_b64:
        try:
            raw = base64.b64decode(client_context_b64, validate=True)
            if len(client_context_b64) > CLIENT_CONTEXT_LIMIT:
                raise ValueError("too long")
            json.loads(raw)
            client_context = raw.decode()
        except (binascii.Error, ValueError):
            raise AwsError.modeled("lambda", "InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object.", Type="User") from None
    return client_context


def invoked_account(ctx: RequestContext, function_name: str) -> str:
    """The account whose function Invoke runs: the one a full ARN names when the request
    came through the edge (whose gate let it in only on a grant in that function's policy),
    else the caller's."""
    named = _named_owner(function_name, ctx.account_id, ctx.region)
    return named if named and ctx.request is not None else ctx.account_id


@functools.lru_cache(maxsize=4096)
def _named_owner(function_name: str, account: str, region: str) -> str:
    """The account a FunctionName names ("" for none): a pure function of its arguments,
    worked out once per name (every Invoke asks)."""
    return actions.owner(actions.function_arn(function_name, account, region))


# --- versions and aliases ----------------------------------------------------------------
@operation("lambda", "PublishVersion")
async def publish_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})
    return await ctx.app.store.run(lambda t: versions.publish_version(
        t, key, arn, params.get("RevisionId"), params.get("CodeSha256"), params.get("Description")))


@operation("lambda", "ListVersionsByFunction")
async def list_versions_by_function(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})
    page, nxt = await ctx.app.store.read(lambda t: versions.list_versions(t, key, arn, params))
    out: dict[str, Any] = {"Versions": page}
    if nxt:
        out["NextMarker"] = nxt
    return out


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
    return await ctx.app.store.run(lambda t: aliases.create(t, key, arn, alias))


@operation("lambda", "GetAlias")
async def get_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, name, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})
    alias_arn = model.function_arn(ctx.account_id, ctx.region, name, params["Name"])
    return await ctx.app.store.read(lambda t: aliases.get(t, key, params["Name"], alias_arn))


@operation("lambda", "ListAliases")
async def list_aliases(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})
    page, nxt = await ctx.app.store.read(lambda t: aliases.list_aliases(t, key, arn, params))
    out: dict[str, Any] = {"Aliases": page}
    if nxt:
        out["NextMarker"] = nxt
    return out


@operation("lambda", "UpdateAlias")
async def update_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, name, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})
    alias_arn = model.function_arn(ctx.account_id, ctx.region, name, params["Name"])
    return await ctx.app.store.run(lambda t: aliases.update(t, key, arn, params["Name"], alias_arn, params.get("RevisionId"), params))


@operation("lambda", "DeleteAlias")
async def delete_alias(ctx: RequestContext, params: dict[str, Any]) -> None:
    key, _, _, _ = _target(ctx, {"FunctionName": params["FunctionName"]})
    await ctx.app.store.run(lambda t: aliases.delete(t, key, params["Name"]))


# --- concurrency -------------------------------------------------------------------------
def _unqualified_target(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str]:
    """(store key, arn) of an operation that takes only a function, never a version or alias."""
    key, _, qualifier, arn = _target(ctx, {"FunctionName": params["FunctionName"]})
    if qualifier is not None:
        raise AwsError.modeled("lambda", "InvalidParameterValueException",
                               "This operation is permitted on Lambda functions only. Aliases and versions do not support this "
                               "operation. Please specify either a function name or an unqualified function ARN.", Type="User")
    return key, arn


@operation("lambda", "PutFunctionConcurrency")
async def put_function_concurrency(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn = _unqualified_target(ctx, params)
    engine = await engine_of(ctx.app)
    wanted = int(params["ReservedConcurrentExecutions"])
    # AWS names a missing function by its $LATEST here
    await ctx.app.store.run(lambda t: concurrency.put(t, ctx.account_id, ctx.region, key, f"{arn}:$LATEST", wanted,
                                                      engine.account_concurrency))
    return {"ReservedConcurrentExecutions": wanted}


@operation("lambda", "GetFunctionConcurrency")
async def get_function_concurrency(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn = _unqualified_target(ctx, params)
    reserved = await ctx.app.store.read(lambda t: concurrency.get(t, key, arn))
    return {} if reserved is None else {"ReservedConcurrentExecutions": reserved}


@operation("lambda", "DeleteFunctionConcurrency")
async def delete_function_concurrency(ctx: RequestContext, params: dict[str, Any]) -> None:
    key, arn = _unqualified_target(ctx, params)
    await ctx.app.store.run(lambda t: concurrency.delete(t, key, arn))


# --- resource policy ---------------------------------------------------------------------
# What AddPermission accepts as a principal: everyone, an account, a service (AWS's and
# Alexa's domains) or an IAM/STS ARN.
_PRINCIPAL = re.compile(r"\*|\d{12}|[a-z0-9.-]+\.(amazonaws\.com(\.cn)?|amazon\.com)|arn:aws[a-z-]*:(iam|sts)::(\d{12}|aws):.+")
@operation("lambda", "AddPermission")
async def add_permission(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, name, qualifier, arn = _target(ctx, params)
    if qualifier == "$LATEST":
        raise AwsError.modeled("lambda", "InvalidParameterValueException", "We currently do not support adding policies for $LATEST.",
                               Type="User")
    principal = params["Principal"]
    if not _PRINCIPAL.fullmatch(principal):
        raise AwsError.modeled("lambda", "InvalidParameterValueException",
                               "The provided principal was invalid. Please check the principal and try again.", Type="User")
    if principal == "*":
        principal_doc: Any = "*"
    elif principal.endswith((".amazonaws.com", ".amazonaws.com.cn", ".amazon.com")):
        principal_doc = {"Service": principal}
    elif principal.isdigit():
        principal_doc = {"AWS": arns.iam_root(principal)}
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
    if params.get("EventSourceToken"):  # an Alexa skill id: only that skill may invoke
        condition.setdefault("StringEquals", {})["lambda:EventSourceToken"] = params["EventSourceToken"]
    if condition:
        statement["Condition"] = condition
    if resource_policies.unreadable(permissions.document([statement])) is not None:
        # an ARN the policy language reads as no principal (arn:aws:iam::<account>:role/*...):
        # the gate would skip the function's whole policy
        raise AwsError.modeled("lambda", "InvalidParameterValueException",
                               "The provided principal was invalid. Please check the principal and try again.", Type="User")
    slot = qualifier or ""
    await ctx.app.store.run(lambda t: permissions.add(t, key, arn, slot, statement, params.get("RevisionId")))
    return {"Statement": json.dumps(statement, separators=(",", ":"))}


@operation("lambda", "GetPolicy")
async def get_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, qualifier, arn = _target(ctx, params)
    statements, revision = await ctx.app.store.read(lambda t: permissions.get(t, key, arn, qualifier or ""))
    return {"Policy": permissions.document(statements), "RevisionId": revision}


@operation("lambda", "RemovePermission")
async def remove_permission(ctx: RequestContext, params: dict[str, Any]) -> None:
    key, _, qualifier, arn = _target(ctx, params)
    slot = qualifier or ""
    await ctx.app.store.run(lambda t: permissions.remove(t, key, arn, slot, params["StatementId"], params.get("RevisionId")))


# --- tags --------------------------------------------------------------------------------
def _tag_key(ctx: RequestContext, resource: str) -> tuple[str, str]:
    name, qualifier = model.parse_name(resource, ctx.account_id, ctx.region)
    if qualifier is not None:
        raise AwsError.modeled("lambda", "InvalidParameterValueException",
                               "Tags on function aliases and versions are not supported. Please specify a function ARN.", Type="User")
    return model.fn_key(ctx.account_id, ctx.region, name), model.function_arn(ctx.account_id, ctx.region, name)


@operation("lambda", "TagResource")
async def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> None:
    key, arn = _tag_key(ctx, params["Resource"])
    if not params["Tags"]:
        raise AwsError.modeled("lambda", "InvalidParameterValueException", "An error occurred and the request cannot be processed.",
                               Type="User")
    await ctx.app.store.run(lambda t: functions.tag(t, key, arn, params["Tags"]))


@operation("lambda", "UntagResource")
async def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> None:
    key, arn = _tag_key(ctx, params["Resource"])
    await ctx.app.store.run(lambda t: functions.untag(t, key, arn, params["TagKeys"]))


@operation("lambda", "ListTags")
async def list_tags(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn = _tag_key(ctx, params["Resource"])
    return {"Tags": await ctx.app.store.read(lambda t: functions.list_tags(t, key, arn))}


# --- event invoke config -----------------------------------------------------------------
def _eic_slot(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str, str]:
    key, name, qualifier, arn = _target(ctx, params)
    return key, f"{key}/{qualifier or '$LATEST'}", model.function_arn(ctx.account_id, ctx.region, name, qualifier or "$LATEST")


async def _put_eic(ctx: RequestContext, params: dict[str, Any], merge: bool) -> dict[str, Any]:
    key, slot, arn = _eic_slot(ctx, params)
    invoke_configs.check_destinations(params.get("DestinationConfig"))
    out = await ctx.app.store.run(lambda t: invoke_configs.put(t, key, slot, arn, params, merge))
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
    return _eic_view(await ctx.app.store.read(lambda t: invoke_configs.get(t, slot, arn)))


@operation("lambda", "DeleteFunctionEventInvokeConfig")
async def delete_function_event_invoke_config(ctx: RequestContext, params: dict[str, Any]) -> None:
    key, slot, arn = _eic_slot(ctx, params)
    await ctx.app.store.run(lambda t: invoke_configs.delete(t, key, slot, arn))


@operation("lambda", "ListFunctionEventInvokeConfigs")
async def list_function_event_invoke_configs(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})
    docs, nxt = await ctx.app.store.read(lambda t: invoke_configs.list_configs(t, key, arn, params))
    out: dict[str, Any] = {"FunctionEventInvokeConfigs": [_eic_view(d) for d in docs]}
    if nxt:
        out["NextMarker"] = nxt
    return out


# --- function URLs -----------------------------------------------------------------------
def _url_slot(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str, str, str | None]:
    key, name, qualifier, arn = _target(ctx, params)
    if qualifier and (qualifier.isdigit() or qualifier == "$LATEST"):  # an alias or nothing
        raise model.validation_error(qualifier, "qualifier", r"Member must satisfy regular expression pattern: ((?!^\d+$)^[0-9a-zA-Z-_]+$)")
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
    await ctx.app.store.run(lambda t: url_configs.create(t, slot, arn, doc))
    out = await _url_view(ctx, doc)
    out.pop("LastModifiedTime", None)
    if not params.get("InvokeMode"):  # AWS answers only what was asked for here
        out.pop("InvokeMode", None)
    engine = await engine_of(ctx.app)
    log.info("function URL for %s: %s (path form: %s)", arn, out["FunctionUrl"], engine.urls.path_url_for(doc["id"]))
    return out


@operation("lambda", "GetFunctionUrlConfig")
async def get_function_url_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, slot, arn, _ = _url_slot(ctx, params)
    return await _url_view(ctx, await ctx.app.store.read(lambda t: url_configs.get(t, slot)))


@operation("lambda", "UpdateFunctionUrlConfig")
async def update_function_url_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, slot, arn, _ = _url_slot(ctx, params)
    out = await _url_view(ctx, await ctx.app.store.run(lambda t: url_configs.update(t, slot, params)))
    if not params.get("InvokeMode"):  # as in CreateFunctionUrlConfig's answer
        out.pop("InvokeMode", None)
    return out


@operation("lambda", "DeleteFunctionUrlConfig")
async def delete_function_url_config(ctx: RequestContext, params: dict[str, Any]) -> None:
    key, slot, arn, _ = _url_slot(ctx, params)
    await ctx.app.store.run(lambda t: url_configs.delete(t, slot))


@operation("lambda", "ListFunctionUrlConfigs")
async def list_function_url_configs(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _, _, arn = _target(ctx, {"FunctionName": params["FunctionName"]})
    docs, nxt = await ctx.app.store.read(lambda t: url_configs.list_configs(t, key, arn, params))
    out: dict[str, Any] = {"FunctionUrlConfigs": [await _url_view(ctx, d) for d in docs]}
    if nxt:
        out["NextMarker"] = nxt
    return out
