"""ECS account settings (PutAccountSetting, PutAccountSettingDefault, ListAccountSettings,
DeleteAccountSetting) as AWS keeps them: per account and region, a setting is set for one
principal (a user or role ARN) or for the account's root user, whose value is the default of
every principal without its own; with neither, AWS's own default applies (type "aws_managed").

Table:
  ecs.account_settings  "<acct>:<region>:<principal ARN>|<setting name>"
                        -> {"name", "value", "principalArn", "type": "user"}
Invariant: values are stored only after validation against `RULES`; `guardDutyActivate` is
read-only (AWS's security administrator sets it), so it is never stored.
"""

from __future__ import annotations

from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.ecs.paging import page
from gureum.store import Txn

SETTINGS = "ecs.account_settings"

ON_OFF = ("enabled", "disabled")
# name -> (accepted values, AWS's default for a principal that set nothing)
RULES: dict[str, tuple[tuple[str, ...], str]] = {
    "serviceLongArnFormat": (ON_OFF, "enabled"),
    "taskLongArnFormat": (ON_OFF, "enabled"),
    "containerInstanceLongArnFormat": (ON_OFF, "enabled"),
    "awsvpcTrunking": (ON_OFF, "disabled"),
    "containerInsights": (("enabled", "disabled", "enhanced"), "disabled"),
    "fargateFIPSMode": (ON_OFF, "disabled"),
    "tagResourceAuthorization": (("on", "off"), "on"),
    "fargateTaskRetirementWaitPeriod": (("0", "7", "14"), "7"),
    "guardDutyActivate": (("on", "off"), "off"),
    "defaultLogDriverMode": (("blocking", "non-blocking"), "non-blocking"),
    "fargateEventWindows": (ON_OFF, "disabled"),
}
READ_ONLY = ("guardDutyActivate",)
ROOT_ONLY = ("fargateTaskRetirementWaitPeriod",)  # "You must use the root user when you set the Fargate wait time"


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("ecs", "InvalidParameterException", message)


def root_arn(account: str) -> str:
    return arns.iam_root(account)


def _key(account: str, region: str, principal: str, name: str) -> str:
    return f"{account}:{region}:{principal}|{name}"


def _check_name(name: str) -> None:
    if name not in RULES:
        raise _invalid(f"Invalid setting name '{name}'. Valid names are: {', '.join(RULES)}.")


def _check(name: str, value: str) -> None:
    _check_name(name)
    if name in READ_ONLY:
        raise _invalid(f"The {name} account setting is read-only and can't be modified.")
    allowed = RULES[name][0]
    if value not in allowed:
        raise _invalid(f"Invalid value '{value}' for the {name} setting. Valid values are: {', '.join(allowed)}.")


def put(txn: Txn, account: str, region: str, principal: str, name: str, value: str) -> dict[str, Any]:
    """Set `name` for `principal` (the root ARN sets the account default)."""
    _check(name, value)
    if name in ROOT_ONLY and principal != root_arn(account):
        raise _invalid(f"You must use the root user to set the {name} account setting.")
    doc = {"name": name, "value": value, "principalArn": principal, "type": "user"}
    txn.put(SETTINGS, _key(account, region, principal, name), doc)
    return doc


def effective(txn: Txn, account: str, region: str, principal: str, name: str) -> dict[str, Any]:
    """The setting that applies to `principal`: its own, else the root's, else AWS's default."""
    for who in (principal, root_arn(account)):
        doc = txn.get(SETTINGS, _key(account, region, who, name))
        if doc is not None:
            return doc
    return {"name": name, "value": RULES[name][1], "principalArn": root_arn(account), "type": "aws_managed"}


def delete(txn: Txn, account: str, region: str, principal: str, name: str) -> dict[str, Any]:
    """Remove `principal`'s own setting; the answer is what it was (or, when nothing was set,
    the value that applies, which deleting does not change)."""
    _check_name(name)
    key = _key(account, region, principal, name)
    doc = txn.get(SETTINGS, key)
    if doc is None:
        return {**effective(txn, account, region, principal, name), "principalArn": principal}
    txn.delete(SETTINGS, key)
    return doc


def listing(txn: Txn, account: str, region: str, caller: str, params: dict[str, Any]) -> dict[str, Any]:
    """ListAccountSettings: the principal's own settings, or with `effectiveSettings` the value
    of every setting that applies to it; filtered by `name` and `value`, 1..10 per page."""
    name, value = params.get("name"), params.get("value")
    if value and not name:
        raise _invalid("The value parameter can only be specified together with the name parameter.")
    if name:
        _check_name(name)
    principal = params.get("principalArn") or caller
    names = [name] if name else list(RULES)
    if params.get("effectiveSettings"):
        docs = [effective(txn, account, region, principal, n) for n in names]
    else:
        found = (txn.get(SETTINGS, _key(account, region, principal, n)) for n in names)
        docs = [d for d in found if d is not None]
    if value:
        docs = [d for d in docs if d["value"] == value]
    order = {n: i for i, n in enumerate(RULES)}
    chunk, token = page(docs, lambda d: order[d["name"]], f"ecs.settings/{account}:{region}:{principal}", params,
                        ("name", "value", "principalArn", "effectiveSettings"), default=10, limit=10)
    return {"settings": chunk, **({"nextToken": token} if token else {})}
