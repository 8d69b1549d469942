"""The billing resource types, made by the budgets and ce services' own handlers:

- AWS::Budgets::Budget (Ref and GetAtt Id: the budget's name, generated `{stack}-{logical}-{13}`
  when Budget.BudgetName is left out): CreateBudget with the template's
  NotificationsWithSubscribers. Budget.BudgetName and NotificationsWithSubscribers replace it
  (the schema's createOnlyProperties; the engine decides); the rest of Budget changes in place
  through UpdateBudget. ResourceTags (after the stack's tags, then the aws:cloudformation:*
  system tags) go with CreateBudget and change in place through TagResource / UntagResource on
  the budget's ARN. Delete is DeleteBudget, a budget already gone taken as deleted.

- AWS::CE::CostCategory (Ref and GetAtt Arn: the cost category's ARN; GetAtt EffectiveStart):
  CreateCostCategoryDefinition with the template's Rules (JSON text, parsed) and DefaultValue;
  Name replaces it, the rules and the default value change in place through
  UpdateCostCategoryDefinition. Delete is DeleteCostCategoryDefinition. Tags and
  SplitChargeRules fail the resource (Cost Explorer's TagResource answers 501; gureum does not
  split charges), so no system tags either.

Not here: AWS::Budgets::BudgetsAction (budgets CreateBudgetAction answers 501) and the Cost
Explorer types AWS::CE::AnomalyMonitor and AnomalySubscription (ce CreateAnomalyMonitor and
CreateAnomalySubscription answer 501)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from gureum.aws import arn as arns
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    ResourceFailed,
    deleting,
    ignore_missing,
    provider,
    refuse_unapplied,
    updating,
)
from gureum.services.cloudformation.providers.shapes import coerce

BUDGET, CATEGORY = "AWS::Budgets::Budget", "AWS::CE::CostCategory"
_APPLIED = ("Budget", "NotificationsWithSubscribers", "ResourceTags")


def _moment(value: Any) -> Any:
    """A TimePeriod end as the template writes it (epoch seconds or ISO 8601 text) as a time."""
    if isinstance(value, datetime):
        return value
    text = str(value).strip()
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return value  # left for the validator to refuse, as AWS refuses it
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _budget(name: str, props: dict[str, Any]) -> dict[str, Any]:
    budget = {**dict(props["Budget"]), "BudgetName": name}
    period = budget.get("TimePeriod")
    if isinstance(period, dict):
        budget["TimePeriod"] = {k: _moment(v) for k, v in period.items()}
    return budget


@provider(BUDGET)
async def create_budget(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(BUDGET, props, _APPLIED)
    name = str(props["Budget"].get("BudgetName") or ctx.name(100))
    params: dict[str, Any] = {"AccountId": ctx.account, "Budget": _budget(name, props)}
    if props.get("NotificationsWithSubscribers"):
        params["NotificationsWithSubscribers"] = props["NotificationsWithSubscribers"]
    resource_tags = ctx.tag_list({"Tags": props.get("ResourceTags")})
    if resource_tags:
        params["ResourceTags"] = resource_tags
    await ctx.call("budgets", "CreateBudget", coerce("budgets", "CreateBudget", params))
    return Done(name, {"Id": name})


@updating(BUDGET)
async def update_budget(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied(BUDGET, new, _APPLIED)
    params = {"AccountId": ctx.account, "NewBudget": _budget(physical, new)}
    await ctx.call("budgets", "UpdateBudget", coerce("budgets", "UpdateBudget", params))
    before = {t["Key"]: t["Value"] for t in ctx.tag_list({"Tags": old.get("ResourceTags")})}
    after = {t["Key"]: t["Value"] for t in ctx.tag_list({"Tags": new.get("ResourceTags")})}
    arn = arns.budgets_budget(ctx.account, physical)
    gone = [k for k in before if k not in after]
    if gone:
        await ctx.call("budgets", "UntagResource", {"ResourceARN": arn, "ResourceTagKeys": gone})
    changed = [{"Key": k, "Value": v} for k, v in after.items() if before.get(k) != v]
    if changed:
        await ctx.call("budgets", "TagResource", {"ResourceARN": arn, "ResourceTags": changed})
    return done


@deleting(BUDGET)
async def delete_budget(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ignore_missing(ctx.call("budgets", "DeleteBudget", {"AccountId": ctx.account, "BudgetName": physical}), "NotFound")


def _category_params(props: dict[str, Any]) -> dict[str, Any]:
    refuse_unapplied(CATEGORY, props, ("Name", "RuleVersion", "Rules", "DefaultValue"))
    rules = props["Rules"]
    if isinstance(rules, str):
        try:
            rules = json.loads(rules)
        except ValueError as e:
            raise ResourceFailed(f"Rules is not a JSON array of cost category rules: {e}") from None
    out: dict[str, Any] = {"RuleVersion": props["RuleVersion"], "Rules": rules}
    if props.get("DefaultValue"):
        out["DefaultValue"] = props["DefaultValue"]
    return out


@provider(CATEGORY)
async def create_cost_category(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    params = {"Name": props["Name"], **_category_params(props)}
    out = await ctx.call("ce", "CreateCostCategoryDefinition", coerce("ce", "CreateCostCategoryDefinition", params))
    arn = str(out["CostCategoryArn"])
    return Done(arn, {"Arn": arn, "EffectiveStart": str(out["EffectiveStart"])})


@updating(CATEGORY)
async def update_cost_category(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                               done: Done) -> Done:
    params = {"CostCategoryArn": physical, **_category_params(new)}
    out = await ctx.call("ce", "UpdateCostCategoryDefinition", coerce("ce", "UpdateCostCategoryDefinition", params))
    return Done(physical, {"Arn": physical, "EffectiveStart": str(out["EffectiveStart"])})


@deleting(CATEGORY)
async def delete_cost_category(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ignore_missing(ctx.call("ce", "DeleteCostCategoryDefinition", {"CostCategoryArn": physical}), "NotFound")
