"""Code signing configurations: which signing profiles a function's code must be signed by,
and what a deployment of code they did not sign gets (UntrustedArtifactOnDeployment: Warn
accepts it and logs a warning, Enforce refuses it with CodeVerificationFailedException).

Table lambda.csc "<account>/<region>/<csc id>" -> {"CodeSigningConfigId",
"CodeSigningConfigArn", "Description", "AllowedPublishers": {"SigningProfileVersionArns"},
"CodeSigningPolicies": {"UntrustedArtifactOnDeployment"}, "LastModified", "tags"}. A
function's configuration is its document's "csc" (the ARN; lambda.functions, model.py),
written with the function's change event. A configuration in use by a function cannot be
deleted.

How signatures are judged: AWS Signer signs a package for a signing profile, and Lambda
checks that signature against the allowed profiles. gureum serves no AWS Signer, so no
package deployed here can carry a signature from a signing profile it knows: every zip (and
every layer a function with a configuration adds) is an untrusted artifact. Under Warn it is
deployed and gureum logs a warning naming the function; under Enforce the deployment is
refused. Container images are not subject to code signing (AWS: zip packages only).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.lambda_ import model
from gureum.store import Txn

log = logging.getLogger("gureum.lambda")
CSC = "lambda.csc"
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def _not_found(arn: str) -> AwsError:
    return AwsError.modeled("lambda", "ResourceNotFoundException", f"The code signing configuration cannot be found. Check that "
                            f"the provided configuration is not deleted: {arn}.", Type="User")


def _key(account: str, region: str, csc_id: str) -> str:
    return f"{account}/{region}/{csc_id}"


def parse_arn(text: str, account: str, region: str) -> str:
    """The store key a code signing config ARN names (ResourceNotFound for another
    account's or region's)."""
    parsed = arns.try_parse(text)
    kind, _, csc_id = (parsed.resource if parsed is not None else "").partition(":")
    if parsed is None or parsed.service != "lambda" or kind != "code-signing-config" or not csc_id:
        raise AwsError.modeled("lambda", "InvalidParameterValueException", f"Invalid code signing configuration ARN: {text}",
                               Type="User")
    if parsed.account != account or parsed.region != region:
        raise _not_found(text)
    return _key(account, region, csc_id)


def _check_publishers(publishers: dict[str, Any]) -> None:
    for arn in publishers.get("SigningProfileVersionArns") or []:
        parsed = arns.try_parse(arn)
        if parsed is None or parsed.service != "signer" or not parsed.resource.startswith("/signing-profiles/"):
            raise AwsError.modeled("lambda", "InvalidParameterValueException",
                                   f"Invalid signing profile version ARN: {arn}. Provide a valid signing profile version ARN.",
                                   Type="User")


def view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "tags"}


def create(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    _check_publishers(params["AllowedPublishers"])
    csc_id = "csc-" + "".join(secrets.choice(_ALPHABET) for _ in range(17))
    doc = {
        "CodeSigningConfigId": csc_id,
        "CodeSigningConfigArn": arns.lambda_code_signing_config(region, account, csc_id),
        "Description": params.get("Description") or "",
        "AllowedPublishers": {"SigningProfileVersionArns": list(params["AllowedPublishers"]["SigningProfileVersionArns"])},
        "CodeSigningPolicies": {"UntrustedArtifactOnDeployment":
                                (params.get("CodeSigningPolicies") or {}).get("UntrustedArtifactOnDeployment") or "Warn"},
        "LastModified": model.now_text(),
        "tags": dict(params.get("Tags") or {}),
    }
    txn.put(CSC, _key(account, region, csc_id), doc)
    return view(doc)


def get(txn: Txn, key: str, arn: str) -> dict[str, Any]:
    doc = txn.get(CSC, key)
    if doc is None:
        raise _not_found(arn)
    return doc


def update(txn: Txn, key: str, arn: str, params: dict[str, Any]) -> dict[str, Any]:
    doc = get(txn, key, arn)
    if params.get("Description") is not None:
        doc["Description"] = params["Description"]
    if params.get("AllowedPublishers") is not None:
        _check_publishers(params["AllowedPublishers"])
        doc["AllowedPublishers"] = {"SigningProfileVersionArns": list(params["AllowedPublishers"]["SigningProfileVersionArns"])}
    if (params.get("CodeSigningPolicies") or {}).get("UntrustedArtifactOnDeployment"):
        doc["CodeSigningPolicies"] = {"UntrustedArtifactOnDeployment": params["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"]}
    doc["LastModified"] = model.now_text()
    txn.put(CSC, key, doc)
    return view(doc)


def users(txn: Txn, account: str, region: str, arn: str) -> list[str]:
    """The ARNs of the functions using configuration `arn`."""
    return [d["config"]["FunctionArn"] for _, d in txn.scan(model.FUNCTIONS, f"{account}/{region}/") if d.get("csc") == arn]


def delete(txn: Txn, account: str, region: str, key: str, arn: str) -> None:
    get(txn, key, arn)
    if users(txn, account, region, arn):
        raise AwsError.modeled("lambda", "ResourceConflictException",
                               "The code signing configuration cannot be deleted because it is used by one or more functions.",
                               Type="User")
    txn.delete(CSC, key)


def list_configs(txn: Txn, account: str, region: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    rows, nxt = model.page_rows(txn, CSC, f"{account}/{region}/", params)
    return [view(d) for d in rows], nxt


def attach(txn: Txn, fn_key: str, fn_arn: str, csc_key: str, csc_arn: str) -> None:
    """PutFunctionCodeSigningConfig."""
    doc = model.get_function(txn, fn_key, fn_arn)
    if txn.get(CSC, csc_key) is None:
        raise AwsError.modeled("lambda", "CodeSigningConfigNotFoundException", f"The code signing configuration cannot be found. "
                               f"Check that the provided configuration is not deleted: {csc_arn}.", Type="User")
    if doc["config"].get("PackageType") == "Image":
        raise AwsError.modeled("lambda", "InvalidParameterValueException",
                               "Code signing is not supported for container image functions.", Type="User")
    doc["csc"] = csc_arn
    txn.put(model.FUNCTIONS, fn_key, doc)
    model.changed(txn, fn_key, "code-signing")


def of_function(txn: Txn, fn_key: str, fn_arn: str) -> str | None:
    return model.get_function(txn, fn_key, fn_arn).get("csc")


def detach(txn: Txn, fn_key: str, fn_arn: str) -> None:
    doc = model.get_function(txn, fn_key, fn_arn)
    doc.pop("csc", None)
    txn.put(model.FUNCTIONS, fn_key, doc)
    model.changed(txn, fn_key, "code-signing")


def policy_for(txn: Txn, account: str, region: str, csc_arn: str | None) -> str | None:
    """The UntrustedArtifactOnDeployment of configuration `csc_arn` (None without one)."""
    if not csc_arn:
        return None
    doc = txn.get(CSC, parse_arn(csc_arn, account, region))
    if doc is None:
        raise AwsError.modeled("lambda", "CodeSigningConfigNotFoundException", f"The code signing configuration cannot be found. "
                               f"Check that the provided configuration is not deleted: {csc_arn}.", Type="User")
    return str(doc["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"])


async def check_deployment(ctx: RequestContext, csc_arn: str | None, function_name: str, what: str = "code") -> None:
    """A deployment of unsigned code (`what`: "code" or "layer") to a function under
    configuration `csc_arn`: refused under Enforce, logged under Warn (see the module
    docstring for how signatures are judged)."""
    policy = await ctx.app.store.read(lambda t: policy_for(t, ctx.account_id, ctx.region, csc_arn))
    if policy is None:
        return
    if policy == "Enforce":
        raise AwsError.modeled("lambda", "CodeVerificationFailedException",
                               "Lambda cannot deploy the function. The function or layer might be signed using a signature that "
                               f"the client is not configured to accept. Check the provided signature for {function_name}.",
                               Type="User")
    log.warning("code signing (Warn): %s of %s is not signed by an allowed signing profile of %s; deployed anyway",
                what, function_name, csc_arn)


# --- handlers ---------------------------------------------------------------------------
def _csc_key(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str]:
    arn = params["CodeSigningConfigArn"]
    return parse_arn(arn, ctx.account_id, ctx.region), arn


@operation("lambda", "CreateCodeSigningConfig")
async def create_code_signing_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"CodeSigningConfig": await ctx.app.store.run(lambda t: create(t, ctx.account_id, ctx.region, params))}


@operation("lambda", "GetCodeSigningConfig")
async def get_code_signing_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn = _csc_key(ctx, params)
    return {"CodeSigningConfig": view(await ctx.app.store.read(lambda t: get(t, key, arn)))}


@operation("lambda", "UpdateCodeSigningConfig")
async def update_code_signing_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn = _csc_key(ctx, params)
    return {"CodeSigningConfig": await ctx.app.store.run(lambda t: update(t, key, arn, params))}


@operation("lambda", "DeleteCodeSigningConfig")
async def delete_code_signing_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn = _csc_key(ctx, params)
    await ctx.app.store.run(lambda t: delete(t, ctx.account_id, ctx.region, key, arn))
    return {}


@operation("lambda", "ListCodeSigningConfigs")
async def list_code_signing_configs(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, nxt = await ctx.app.store.read(lambda t: list_configs(t, ctx.account_id, ctx.region, params))
    out: dict[str, Any] = {"CodeSigningConfigs": items}
    if nxt:
        out["NextMarker"] = nxt
    return out


@operation("lambda", "ListFunctionsByCodeSigningConfig")
async def list_functions_by_code_signing_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn = _csc_key(ctx, params)

    def read(t: Txn) -> tuple[list[str], str | None]:
        get(t, key, arn)
        return model.page(users(t, ctx.account_id, ctx.region, arn), lambda a: a, "csc-functions/" + key, params)

    items, nxt = await ctx.app.store.read(read)
    out: dict[str, Any] = {"FunctionArns": items}
    if nxt:
        out["NextMarker"] = nxt
    return out


def _function(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str, str]:
    name, qualifier = model.parse_name(params["FunctionName"], ctx.account_id, ctx.region)
    if qualifier is not None:
        raise AwsError.modeled("lambda", "InvalidParameterValueException",
                               "This operation is permitted on Lambda functions only. Aliases and versions do not support this "
                               "operation. Please specify either a function name or an unqualified function ARN.", Type="User")
    return model.fn_key(ctx.account_id, ctx.region, name), name, model.function_arn(ctx.account_id, ctx.region, name)


@operation("lambda", "PutFunctionCodeSigningConfig")
async def put_function_code_signing_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    fn_key, name, fn_arn = _function(ctx, params)
    csc_arn = params["CodeSigningConfigArn"]
    csc_key = parse_arn(csc_arn, ctx.account_id, ctx.region)
    await ctx.app.store.run(lambda t: attach(t, fn_key, fn_arn, csc_key, csc_arn))
    return {"CodeSigningConfigArn": csc_arn, "FunctionName": name}


@operation("lambda", "GetFunctionCodeSigningConfig")
async def get_function_code_signing_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    fn_key, name, fn_arn = _function(ctx, params)
    csc_arn = await ctx.app.store.read(lambda t: of_function(t, fn_key, fn_arn))
    return {"CodeSigningConfigArn": csc_arn or "", "FunctionName": name}


@operation("lambda", "DeleteFunctionCodeSigningConfig")
async def delete_function_code_signing_config(ctx: RequestContext, params: dict[str, Any]) -> None:
    fn_key, _, fn_arn = _function(ctx, params)
    await ctx.app.store.run(lambda t: detach(t, fn_key, fn_arn))
