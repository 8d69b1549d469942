"""Running a budget action's step against gureum's IAM, as AWS Budgets does: as its execution
role. The role must exist and trust budgets.amazonaws.com (its session is assumed through
IAM's port); "execute" then calls IAM's own Attach{Role,User,Group}Policy for each entity
the action names, "reverse" and "reset" Detach*Policy for the entities it was applied to
(the policy it applied, even if an update named another since),
in-process through gureum/aws/internal_call.py as the role's session, so in strict mode the
role's own policies must allow them (iam:AttachRolePolicy...), as in AWS. The step's end is
recorded with the entities now carrying the policy (actions.finish): on a failure too, so a
later reverse or reset detaches what a partial execution attached. Attaching an attached
policy changes nothing, and a detach whose policy is gone already counts as done, so a step
taken over after its node died (actions.resume) may simply run again. Subscribers hear of an
executed or pending action as of a crossed notification (evaluator.deliver)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.aws.internal_call import Caller, call
from gureum.services.budgets import actions
from gureum.services.iam import port as iam

if TYPE_CHECKING:
    from gureum.app import App

SERVICE = "budgets.amazonaws.com"
SESSION = "AWSBudgetsActionSession"
REGION = "us-east-1"  # Budgets is global, served from us-east-1
ENTITY = {"role": "Role", "user": "User", "group": "Group"}


async def _caller(app: App, account: str, role_arn: str) -> Caller:
    role = await iam.get_role(app, account, role_arn)
    if role is None or not iam.role_trusts_service(role, SERVICE):
        raise AwsError.modeled("budgets", "AccessDeniedException", f"Budgets could not assume the execution role {role_arn}.")
    creds = await iam.assume_role_credentials(app, account, role_arn, SESSION, 900, service=SERVICE)
    name = role_arn.rsplit("/", 1)[-1]
    return Caller(account, REGION, arns.sts_assumed_role(account, name, SESSION), str(creds["AccessKeyId"]))


async def _apply(app: App, caller: Caller, action: dict[str, Any], step: str, applied: list[list[str]],
                 applied_policy: str) -> list[list[str]]:
    """Attach (execute) or detach (reverse, reset); the entities carrying the policy after,
    as far as it got before an error (raised with them in `partial`)."""
    policy = action["Definition"]["IamActionDefinition"]["PolicyArn"] if step == "execute" or not applied_policy else applied_policy
    if step == "execute":
        done = [list(x) for x in applied]
        for kind, name in actions.targets(action):
            try:
                await call(app, caller, "iam", f"Attach{ENTITY[kind]}Policy", {f"{ENTITY[kind]}Name": name, "PolicyArn": policy})
            except AwsError as e:
                raise _Partial(e, done) from None
            if [kind, name] not in done:
                done.append([kind, name])
        return done
    left = [list(x) for x in applied]
    for kind, name in applied:
        try:
            await call(app, caller, "iam", f"Detach{ENTITY[kind]}Policy", {f"{ENTITY[kind]}Name": name, "PolicyArn": policy})
        except AwsError as e:
            if e.code != "NoSuchEntity":  # the entity or the attachment is gone already: nothing to detach
                raise _Partial(e, left) from None
        left.remove([kind, name])
    return left


class _Partial(Exception):
    def __init__(self, error: AwsError, applied: list[list[str]]) -> None:
        super().__init__(str(error))
        self.error = error
        self.applied = applied


async def run_step(app: App, account: str, step: str, doc: dict[str, Any]) -> str | None:
    """Run the step begun on the action `doc` and record its end; the failure's reason or None."""
    action = doc["Action"]
    applied: list[list[str]] = list(doc.get("applied") or [])
    error: str | None = None
    try:
        if step == "execute" or applied:  # a reset of what applied nothing needs no role
            caller = await _caller(app, account, action["ExecutionRoleArn"])
            applied = await _apply(app, caller, action, step, applied, str(doc.get("applied_policy") or ""))
    except _Partial as p:
        applied, error = p.applied, f"{p.error.code}: {p.error.message}"
    except AwsError as e:
        error = f"{e.code}: {e.message}"
    await app.store.run(lambda t: actions.finish(t, account, action["BudgetName"], action["ActionId"], step, applied, error,
                                                 time.time()))
    return error
