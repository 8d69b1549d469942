"""Layer version permissions (AddLayerVersionPermission, RemoveLayerVersionPermission,
GetLayerVersionPolicy): who else may use a layer version (lambda:GetLayerVersion: read it,
and reference it from their functions' Layers).

Stored in the layer version's document (lambda.layer_versions, layers.py) as "policy":
[statement, ...] with "policy_revision" (a layer version's policy has a RevisionId of its
own, new on every change). Statement ids are unique; the document is at most
permissions.POLICY_LIMIT bytes. The authorization gate reads the policy through
resource_policy.py (`layer_document`), so a caller of another account reaches GetLayerVersion
(and CreateFunction/UpdateFunctionConfiguration naming the layer) only when a statement
grants it, in both auth modes.
"""

from __future__ import annotations

import json
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.lambda_ import model, permissions
from gureum.services.lambda_.layers import VERSIONS, version_key
from gureum.store import Txn


def _missing() -> AwsError:
    return AwsError.modeled("lambda", "ResourceNotFoundException", "The resource you requested does not exist.", Type="User")


def _version(txn: Txn, key: str) -> dict[str, Any]:
    doc = txn.get(VERSIONS, key)
    if doc is None:
        raise _missing()
    return doc


def document(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Id": "default", "Statement": statements}, separators=(",", ":"))


def add(txn: Txn, key: str, statement: dict[str, Any], revision_id: str | None) -> tuple[str, str]:
    doc = _version(txn, key)
    if revision_id is not None:
        model.check_revision(str(doc.get("policy_revision", "")), revision_id)
    statements = list(doc.get("policy") or [])
    if any(s.get("Sid") == statement["Sid"] for s in statements):
        raise AwsError.modeled("lambda", "ResourceConflictException", f"The statement id ({statement['Sid']}) provided already "
                               "exists. Please provide a new statement id, or remove the existing statement.", Type="User")
    statements.append(statement)
    size = len(document(statements).encode())
    if size > permissions.POLICY_LIMIT:
        raise AwsError.modeled("lambda", "PolicyLengthExceededException",
                               f"The final policy size ({size}) is bigger than the limit ({permissions.POLICY_LIMIT}).", Type="User")
    doc["policy"] = statements
    doc["policy_revision"] = model.new_revision()
    txn.put(VERSIONS, key, doc)
    return json.dumps(statement, separators=(",", ":")), doc["policy_revision"]


def remove(txn: Txn, key: str, statement_id: str, revision_id: str | None) -> None:
    doc = _version(txn, key)
    statements = list(doc.get("policy") or [])
    if not statements:
        raise AwsError.modeled("lambda", "ResourceNotFoundException", "No policy is associated with the given resource.", Type="User")
    keep = [s for s in statements if s.get("Sid") != statement_id]
    if len(keep) == len(statements):
        raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Statement {statement_id} is not found in resource policy.",
                               Type="User")
    if revision_id is not None:
        model.check_revision(str(doc.get("policy_revision", "")), revision_id)
    doc["policy"] = keep
    doc["policy_revision"] = model.new_revision()
    txn.put(VERSIONS, key, doc)


def get(txn: Txn, key: str) -> tuple[str, str]:
    doc = _version(txn, key)
    if not doc.get("policy"):
        raise AwsError.modeled("lambda", "ResourceNotFoundException", "No policy is associated with the given resource.", Type="User")
    return document(doc["policy"]), str(doc.get("policy_revision", ""))


def layer_document(txn: Txn, account: str, region: str, name: str, version: int) -> str | None:
    """The policy of a layer version for the authorization gate, or None."""
    doc = txn.get(VERSIONS, version_key(account, region, name, version))
    return document(doc["policy"]) if doc and doc.get("policy") else None


# --- handlers ---------------------------------------------------------------------------
def _key(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str]:
    """(store key, layer version ARN) of the caller's own layer version."""
    value = params["LayerName"]
    name = value
    if arns.looks_like_arn(value):
        a = arns.try_parse(value)
        kind, _, rest = a.resource.partition(":") if a is not None else ("", "", "")
        if a is None or kind != "layer" or not rest or a.account != ctx.account_id or a.region != ctx.region:
            raise _missing()
        name = rest.split(":")[0]
    version = int(params["VersionNumber"])
    if version < 1:
        raise AwsError.modeled("lambda", "InvalidParameterValueException", "Layer Version Cannot be less than 1", Type="User")
    return version_key(ctx.account_id, ctx.region, name, version), arns.lambda_layer(ctx.region, ctx.account_id, name, version)


@operation("lambda", "AddLayerVersionPermission")
async def add_layer_version_permission(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn = _key(ctx, params)
    principal = params["Principal"]
    statement: dict[str, Any] = {
        "Sid": params["StatementId"],
        "Effect": "Allow",
        "Principal": "*" if principal == "*" else {"AWS": arns.iam_root(principal) if principal.isdigit() else principal},
        "Action": params["Action"],
        "Resource": arn,
    }
    if params.get("OrganizationId"):
        statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": params["OrganizationId"]}}
    text, revision = await ctx.app.store.run(lambda t: add(t, key, statement, params.get("RevisionId")))
    return {"Statement": text, "RevisionId": revision}


@operation("lambda", "RemoveLayerVersionPermission")
async def remove_layer_version_permission(ctx: RequestContext, params: dict[str, Any]) -> None:
    key, _ = _key(ctx, params)
    await ctx.app.store.run(lambda t: remove(t, key, params["StatementId"], params.get("RevisionId")))


@operation("lambda", "GetLayerVersionPolicy")
async def get_layer_version_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, _ = _key(ctx, params)
    policy, revision = await ctx.app.store.read(lambda t: get(t, key))
    return {"Policy": policy, "RevisionId": revision}
