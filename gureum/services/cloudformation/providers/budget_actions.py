"""AWS::Budgets::BudgetsAction, made by Budgets' own handlers (budgets/api_actions.py):
CreateBudgetAction, UpdateBudgetAction in place, DeleteBudgetAction; its ResourceTags by
TagResource/UntagResource on update. Ref: "<ActionId>|<BudgetName>" (the registry's primary
identifier, ActionId and BudgetName); Fn::GetAtt ActionId. ActionType and BudgetName replace
it (the schema's createOnlyProperties). The template's spelling is the registry's, not the
API's: Subscribers' Type, ActionThreshold's Value/Type, SsmActionDefinition's Subtype.
ApprovalModel defaults to AUTOMATIC. Budgets refuses SCP and SSM actions (no Organizations,
SSM documents, EC2 or RDS here), and so the resource fails with its error."""

from __future__ import annotations

from typing import Any

from gureum.aws.arn import budgets_action
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    ignore_missing,
    provider,
    refuse_unapplied,
    updating,
)

S = "budgets"
ACTION = "AWS::Budgets::BudgetsAction"
APPLIED = ("ActionThreshold", "ActionType", "ApprovalModel", "BudgetName", "Definition", "ExecutionRoleArn",
           "NotificationType", "ResourceTags", "Subscribers")


def _definition(given: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in given.items() if k != "SsmActionDefinition"}
    ssm = given.get("SsmActionDefinition")
    if ssm is not None:
        out["SsmActionDefinition"] = {("ActionSubType" if k == "Subtype" else k): v for k, v in ssm.items()}
    return out


def _fields(props: dict[str, Any]) -> dict[str, Any]:
    t = props["ActionThreshold"]
    return {
        "NotificationType": props["NotificationType"],
        "ActionThreshold": {"ActionThresholdValue": float(t["Value"]), "ActionThresholdType": t["Type"]},
        "Definition": _definition(props["Definition"]),
        "ExecutionRoleArn": props["ExecutionRoleArn"],
        "ApprovalModel": props.get("ApprovalModel") or "AUTOMATIC",
        "Subscribers": [{"SubscriptionType": s["Type"], "Address": s["Address"]} for s in props["Subscribers"]],
    }


def _tags(props: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in props.get("ResourceTags") or ()]


def _ids(physical: str) -> tuple[str, str]:
    action_id, _, budget = physical.partition("|")
    return action_id, budget


@provider(ACTION)
async def create_budgets_action(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(ACTION, props, APPLIED)
    params = {"AccountId": ctx.account, "BudgetName": props["BudgetName"], "ActionType": props["ActionType"], **_fields(props)}
    if props.get("ResourceTags"):
        params["ResourceTags"] = _tags(props)
    out = await ctx.call(S, "CreateBudgetAction", params)
    return Done(f"{out['ActionId']}|{props['BudgetName']}", {"ActionId": out["ActionId"]})


@updating(ACTION)
async def update_budgets_action(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied(ACTION, new, APPLIED)
    action_id, budget = _ids(physical)
    await ctx.call(S, "UpdateBudgetAction", {"AccountId": ctx.account, "BudgetName": budget, "ActionId": action_id, **_fields(new)})
    before, after = {t["Key"]: t["Value"] for t in _tags(old)}, {t["Key"]: t["Value"] for t in _tags(new)}
    arn = budgets_action(ctx.account, budget, action_id)
    gone = [k for k in before if k not in after]
    if gone:
        await ctx.call(S, "UntagResource", {"ResourceARN": arn, "ResourceTagKeys": gone})
    changed = [{"Key": k, "Value": v} for k, v in after.items() if before.get(k) != v]
    if changed:
        await ctx.call(S, "TagResource", {"ResourceARN": arn, "ResourceTags": changed})
    return done


@deleting(ACTION)
async def delete_budgets_action(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    action_id, budget = _ids(physical)
    await ignore_missing(ctx.call(S, "DeleteBudgetAction", {"AccountId": ctx.account, "BudgetName": budget, "ActionId": action_id}),
                         "NotFoundException")
