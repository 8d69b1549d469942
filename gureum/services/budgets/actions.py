"""Budget actions: rules, storage and the status machine (pure steps on the stored doc; the
IAM calls are runner.py's, the triggering evaluator.py's).

Table `budgets.actions`: "<account>/<budget name>/<action id>" -> {
  "Action": the action as DescribeBudgetAction shows it (ActionId, BudgetName,
            NotificationType, ActionType, ActionThreshold, Definition, ExecutionRoleArn,
            ApprovalModel, Status, Subscribers),
  "tags": [{Key, Value}],
  "period": epoch seconds of the budget period it last triggered in (absent: never),
  "applied": [[kind, name]] the IAM entities it attached the policy to (to reverse exactly),
  "applied_policy": the policy ARN it attached (an update may name another one since),
  "history": [{Timestamp (epoch s), Status, EventType, Message, Action}] newest last, at
             most MAX_HISTORY}
Status machine (AWS's): STANDBY --threshold crossed--> AUTOMATIC: EXECUTION_IN_PROGRESS ->
EXECUTION_SUCCESS | EXECUTION_FAILURE; MANUAL: PENDING --APPROVE--> EXECUTION_IN_PROGRESS.
EXECUTION_SUCCESS --REVERSE--> REVERSE_IN_PROGRESS -> REVERSE_SUCCESS | REVERSE_FAILURE.
Any settled status but STANDBY --RESET--> RESET_IN_PROGRESS -> STANDBY (the policy detached
where it was applied) | RESET_FAILURE. RETRY re-runs the failed step. An action triggers at
most once per budget period ("period", claimed in the evaluator's transaction). While a
step is in progress the action is locked (ResourceLockedException); a step left in progress
by a node that died is taken over by the evaluator after STALE seconds (resume).
Only APPLY_IAM_POLICY is served: gureum has no Organizations (APPLY_SCP_POLICY) and serves
no SSM documents, EC2 or RDS instances (RUN_SSM_DOCUMENTS): those are refused at creation.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.budgets import model, tags
from gureum.store import Txn

ACTIONS = model.ACTIONS
MAX_HISTORY = 200
STALE = 300.0  # seconds after which a step still in progress is taken over (resume)
IN_PROGRESS = ("EXECUTION_IN_PROGRESS", "REVERSE_IN_PROGRESS", "RESET_IN_PROGRESS")
Doc = dict[str, Any]


def key(account: str, budget: str, action_id: str) -> str:
    return f"{account}/{budget}/{action_id}"


def locked(action_id: str) -> AwsError:
    return AwsError.modeled("budgets", "ResourceLockedException",
                            f"The budget action {action_id} is being executed; try again when it settles.")


def _check(params: Doc, action_type: str) -> None:
    if action_type == "APPLY_SCP_POLICY":
        raise model.invalid("APPLY_SCP_POLICY needs AWS Organizations, and this account is not in an organization "
                            "(gureum serves no Organizations).")
    if action_type == "RUN_SSM_DOCUMENTS":
        ids = ", ".join((params.get("Definition") or {}).get("SsmActionDefinition", {}).get("InstanceIds") or [])
        raise model.invalid(f"The instances {ids} were not found: gureum serves no EC2 or RDS instances "
                            "and no SSM documents.")
    definition = params.get("Definition") or {}
    iam = definition.get("IamActionDefinition")
    if not iam or set(definition) - {"IamActionDefinition"}:
        raise model.invalid("An APPLY_IAM_POLICY action needs an IamActionDefinition (and no other definition).")
    if not (iam.get("Roles") or iam.get("Users") or iam.get("Groups")):
        raise model.invalid("The IamActionDefinition must name at least one role, user or group.")
    threshold = params["ActionThreshold"]
    if float(threshold["ActionThresholdValue"]) < 0:
        raise model.invalid("The action threshold must not be negative.")
    subs = list(params.get("Subscribers") or [])
    if not subs:
        raise model.invalid("A budget action needs at least one subscriber.")
    model.check_subscribers(subs)


def _record(doc: Doc, status: str, event: str, message: str, now: float) -> None:
    doc["Action"]["Status"] = status
    doc["history"].append({"Timestamp": now, "Status": status, "EventType": event, "Message": message,
                           "Action": copy.deepcopy(doc["Action"])})
    del doc["history"][:-MAX_HISTORY]


def create(txn: Txn, account: str, params: Doc, now: float) -> str:
    name = params["BudgetName"]
    model.get(txn, account, name)
    _check(params, params["ActionType"])
    action_id = str(uuid.uuid4())
    action = {
        "ActionId": action_id, "BudgetName": name, "NotificationType": params["NotificationType"],
        "ActionType": params["ActionType"], "ActionThreshold": dict(params["ActionThreshold"]),
        "Definition": copy.deepcopy(params["Definition"]), "ExecutionRoleArn": params["ExecutionRoleArn"],
        "ApprovalModel": params["ApprovalModel"], "Status": "STANDBY", "Subscribers": [dict(s) for s in params["Subscribers"]],
    }  # fmt: skip
    doc: Doc = {"Action": action, "tags": tags.checked([], params.get("ResourceTags") or []), "applied": [], "history": []}
    _record(doc, "STANDBY", "CREATE_ACTION", "Action created", now)
    txn.put(ACTIONS, key(account, name, action_id), doc)
    return action_id


def get(txn: Txn, account: str, budget: str, action_id: str) -> Doc:
    doc = txn.get(ACTIONS, key(account, budget, action_id))
    if doc is None:
        raise model.not_found(f"Unable to get budget action: {action_id} - the action doesn't exist for budget {budget}.")
    return doc


def update(txn: Txn, account: str, params: Doc, now: float) -> tuple[Doc, Doc]:
    doc = get(txn, account, params["BudgetName"], params["ActionId"])
    old = copy.deepcopy(doc["Action"])
    if old["Status"] in IN_PROGRESS:
        raise locked(old["ActionId"])
    new = doc["Action"]
    for field in ("NotificationType", "ActionThreshold", "Definition", "ExecutionRoleArn", "ApprovalModel", "Subscribers"):
        if params.get(field) is not None:
            new[field] = copy.deepcopy(params[field])
    _check(new, new["ActionType"])
    _record(doc, new["Status"], "UPDATE_ACTION", "Action updated", now)
    txn.put(ACTIONS, key(account, params["BudgetName"], params["ActionId"]), doc)
    return old, copy.deepcopy(new)


def delete(txn: Txn, account: str, budget: str, action_id: str) -> Doc:
    doc = get(txn, account, budget, action_id)
    if doc["Action"]["Status"] in IN_PROGRESS:
        raise locked(action_id)
    txn.delete(ACTIONS, key(account, budget, action_id))
    return doc["Action"]  # type: ignore[no-any-return]


def of_budget(txn: Txn, account: str, budget: str) -> list[Doc]:
    return [d for _, d in txn.scan(ACTIONS, f"{account}/{budget}/")]


def histories(doc: Doc, start: float | None, end: float | None) -> list[tuple[tuple[float, int], Doc]]:
    """The action's history, newest first, within [start, end] when given: (sort key, entry)."""
    out = []
    for i, h in reversed(list(enumerate(doc["history"]))):
        if (start is not None and h["Timestamp"] < start) or (end is not None and h["Timestamp"] > end):
            continue
        out.append(((-h["Timestamp"], -i), {"Timestamp": datetime.fromtimestamp(h["Timestamp"], UTC), "Status": h["Status"],
                                            "EventType": h["EventType"],
                                            "ActionHistoryDetails": {"Message": h["Message"], "Action": h["Action"]}}))
    return out


# --- the status machine: begin a step (one transaction), finish it (another) ------------
STEPS = {
    # execution type -> {status it may start from: the step}
    "APPROVE_BUDGET_ACTION": {"PENDING": "execute"},
    "REVERSE_BUDGET_ACTION": {"EXECUTION_SUCCESS": "reverse"},
    "RESET_BUDGET_ACTION": {s: "reset" for s in ("PENDING", "EXECUTION_SUCCESS", "EXECUTION_FAILURE", "REVERSE_SUCCESS",
                                                 "REVERSE_FAILURE", "RESET_FAILURE")},
    "RETRY_BUDGET_ACTION": {"EXECUTION_FAILURE": "execute", "REVERSE_FAILURE": "reverse", "RESET_FAILURE": "reset"},
}
STARTED = {"execute": "EXECUTION_IN_PROGRESS", "reverse": "REVERSE_IN_PROGRESS", "reset": "RESET_IN_PROGRESS"}
SUCCEEDED = {"execute": "EXECUTION_SUCCESS", "reverse": "REVERSE_SUCCESS", "reset": "STANDBY"}
FAILED = {"execute": "EXECUTION_FAILURE", "reverse": "REVERSE_FAILURE", "reset": "RESET_FAILURE"}


def begin(txn: Txn, account: str, budget: str, action_id: str, execution: str, now: float) -> tuple[str, Doc]:
    """ExecuteBudgetAction's first transaction: the step `execution` starts from the action's
    status (or AWS's refusal); the step and the action."""
    doc = get(txn, account, budget, action_id)
    status = doc["Action"]["Status"]
    if status in IN_PROGRESS:
        raise locked(action_id)
    step = STEPS[execution].get(status)
    if step is None:
        raise model.invalid(f"The budget action {action_id} is {status}: {execution} can't be applied to it.")
    _record(doc, STARTED[step], "EXECUTE_ACTION", f"{execution} requested", now)
    txn.put(ACTIONS, key(account, budget, action_id), doc)
    return step, copy.deepcopy(doc)


def trigger(txn: Txn, account: str, budget: str, action_id: str, period: float, now: float) -> tuple[str, Doc] | None:
    """The evaluator's claim: a STANDBY action whose threshold is crossed in `period` and that
    has not triggered in it yet moves to PENDING (MANUAL) or EXECUTION_IN_PROGRESS
    (AUTOMATIC); ("pending"|"execute", the action), or None when another node or an earlier
    pass already did."""
    doc = txn.get(ACTIONS, key(account, budget, action_id))
    if doc is None or doc.get("period") == period or doc["Action"]["Status"] != "STANDBY":
        return None
    doc["period"] = period
    manual = doc["Action"]["ApprovalModel"] == "MANUAL"
    _record(doc, "PENDING" if manual else "EXECUTION_IN_PROGRESS", "SYSTEM",
            "Budget threshold exceeded: " + ("waiting for approval" if manual else "executing the action"), now)
    txn.put(ACTIONS, key(account, budget, action_id), doc)
    return ("pending" if manual else "execute"), copy.deepcopy(doc)


def resume(txn: Txn, account: str, budget: str, action_id: str, now: float) -> tuple[str, Doc] | None:
    """A step left in progress for STALE seconds (its node died between the claim and the
    end) is claimed again to be run to its end: (step, the action), or None."""
    doc = txn.get(ACTIONS, key(account, budget, action_id))
    if doc is None or doc["Action"]["Status"] not in IN_PROGRESS or now - doc["history"][-1]["Timestamp"] < STALE:
        return None
    step = {v: k for k, v in STARTED.items()}[doc["Action"]["Status"]]
    _record(doc, doc["Action"]["Status"], "SYSTEM", f"{step} resumed", now)
    txn.put(ACTIONS, key(account, budget, action_id), doc)
    return step, copy.deepcopy(doc)


def finish(txn: Txn, account: str, budget: str, action_id: str, step: str, applied: list[list[str]] | None,
           error: str | None, now: float) -> None:
    """The step's end, success or failure, with the entities now carrying the policy."""
    doc = txn.get(ACTIONS, key(account, budget, action_id))
    if doc is None:
        return
    event = doc["history"][-1]["EventType"]  # the step's start: SYSTEM (the evaluator's) or EXECUTE_ACTION
    if applied is not None:
        doc["applied"] = applied
        if step == "execute" and applied:
            doc["applied_policy"] = doc["Action"]["Definition"]["IamActionDefinition"]["PolicyArn"]
    if error is None:
        _record(doc, SUCCEEDED[step], event, f"{step} succeeded", now)
    else:
        _record(doc, FAILED[step], event, f"{step} failed: {error}", now)
    txn.put(ACTIONS, key(account, budget, action_id), doc)


def targets(action: Doc) -> list[list[str]]:
    """[kind, name] of every IAM entity the action's definition names (a path prefix dropped)."""
    iam = action["Definition"].get("IamActionDefinition") or {}
    out = []
    for kind, field in (("role", "Roles"), ("user", "Users"), ("group", "Groups")):
        out += [[kind, n.rsplit("/", 1)[-1]] for n in iam.get(field) or []]
    return out
