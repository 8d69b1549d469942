"""Running a budget action's step against gureum's IAM: "execute" attaches the action's
managed policy to its roles, users and groups (through IAM's port, in the same transaction
that records EXECUTION_SUCCESS, so a step is applied and recorded together or not at all);
"reverse" and "reset" detach it from the entities it was applied to. Budgets acts as its
execution role: the role must still exist and trust budgets.amazonaws.com, else the step
fails (EXECUTION_FAILURE...) with the reason in the action's history. Subscribers hear of
an executed or pending action as of a crossed notification (evaluator.deliver)."""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.services.budgets import actions
from gureum.services.iam import port as iam

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn

SERVICE = "budgets.amazonaws.com"


def _apply(txn: Txn, account: str, action: dict[str, Any], step: str, applied: list[list[str]]) -> list[list[str]]:
    policy = action["Definition"]["IamActionDefinition"]["PolicyArn"]
    if step == "execute":
        done = []
        for kind, name in actions.targets(action):
            iam.attach_managed_policy(txn, account, kind, name, policy)
            done.append([kind, name])
        return done
    for kind, name in applied:
        try:
            iam.detach_managed_policy(txn, account, kind, name, policy)
        except AwsError as e:
            if e.code != "NoSuchEntity":  # the entity is gone: nothing left to detach from it
                raise
    return []


def _succeed(txn: Txn, account: str, action: dict[str, Any], step: str, applied: list[list[str]], now: float) -> None:
    done = _apply(txn, account, action, step, applied) if step == "execute" or applied else []
    actions.finish(txn, account, action["BudgetName"], action["ActionId"], step, done, None, now)


async def run_step(app: App, account: str, step: str, doc: dict[str, Any]) -> str | None:
    """Run the step begun on the action `doc` and record its end; the failure's reason or None."""
    action = doc["Action"]
    error: str | None = None
    role = await iam.get_role(app, account, action["ExecutionRoleArn"])
    if role is None or not iam.role_trusts_service(role, SERVICE):
        error = f"Budgets could not assume the execution role {action['ExecutionRoleArn']}."
    else:
        try:
            await app.store.run(partial(_succeed, account=account, action=action, step=step,
                                        applied=list(doc.get("applied") or []), now=time.time()))
        except AwsError as e:
            error = f"{e.code}: {e.message}"
    if error is not None:
        await app.store.run(lambda t: actions.finish(t, account, action["BudgetName"], action["ActionId"], step, None, error, time.time()))
    return error
