"""Receipt rule sets and their rules (SES v1), and which rules a recipient matches.

Table ses_rule_sets: "{account}/{region}/{name}" -> {"Name", "CreatedTimestamp" (s), "Rules":
[ReceiptRule as the API shapes it: Name, Enabled, TlsPolicy, Recipients, Actions, ScanEnabled],
in evaluation order}. Table ses_active: "{account}/{region}" -> {"Name"}: the account's active
rule set in that Region (at most one). Writes publish "ses.receipt" {"key"}.

Rules: names of 1-64 letters, digits, '.', '_' and '-', starting and ending with a letter or
digit; a rule name is unique in its set; 200 rules per set, 40 sets per account and Region, 100
recipients per rule (AWS's quotas); the active set cannot be deleted. `matches` is AWS's
recipient condition: an address matches itself, "example.com" every address at that domain,
".example.com" every address at its subdomains; a rule without recipients matches every
recipient. A disabled rule matches nothing."""

from __future__ import annotations

import re
from typing import Any

from gureum.aws.errors import AwsError, NotImplementedOperation
from gureum.store import Txn

RULE_SETS = "ses_rule_sets"
ACTIVE = "ses_active"
TOPIC = "ses.receipt"
MAX_RULES = 200
MAX_SETS = 40
MAX_RECIPIENTS = 100
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?")
BUILT_ACTIONS = ("S3Action", "BounceAction", "LambdaAction", "StopAction", "AddHeaderAction", "SNSAction")


def key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def _invalid(message: str) -> AwsError:
    return AwsError.common("InvalidParameterValue", message)


def check_name(name: str, what: str) -> None:
    if not _NAME.fullmatch(name):
        raise _invalid(f"Invalid {what} name <{name}>: it must contain only ASCII letters, numbers, underscores, "
                       "periods or dashes, start and end with a letter or number, and be at most 64 characters.")


def _missing_set(name: str) -> AwsError:
    return AwsError.modeled("ses", "RuleSetDoesNotExistException", f"Rule set does not exist: {name}", Name=name)


def _missing_rule(name: str) -> AwsError:
    return AwsError.modeled("ses", "RuleDoesNotExistException", f"Rule does not exist: {name}", Name=name)


def _write(txn: Txn, k: str, doc: dict[str, Any]) -> None:
    txn.put(RULE_SETS, k, doc)
    txn.publish(TOPIC, {"key": k})


def get_set(txn: Txn, account: str, region: str, name: str) -> dict[str, Any]:
    doc = txn.get(RULE_SETS, key(account, region, name))
    if doc is None:
        raise _missing_set(name)
    return doc


def create_set(txn: Txn, account: str, region: str, name: str, now: float, rules: list[dict[str, Any]] | None = None) -> None:
    check_name(name, "rule set")
    if txn.count(RULE_SETS, f"{account}/{region}/") >= MAX_SETS:
        raise AwsError.modeled("ses", "LimitExceededException", f"Maximum number of rule sets ({MAX_SETS}) exceeded.")
    if not txn.insert(RULE_SETS, key(account, region, name), {"Name": name, "CreatedTimestamp": now, "Rules": rules or []}):
        raise AwsError.modeled("ses", "AlreadyExistsException", f"Rule set already exists: {name}", Name=name)
    txn.publish(TOPIC, {"key": key(account, region, name)})


def delete_set(txn: Txn, account: str, region: str, name: str) -> None:
    active = txn.get(ACTIVE, f"{account}/{region}")
    if active is not None and active["Name"] == name:
        raise AwsError.modeled("ses", "CannotDeleteException", f"Cannot delete active rule set: {name}", Name=name)
    if txn.delete(RULE_SETS, key(account, region, name)):
        txn.publish(TOPIC, {"key": key(account, region, name)})


def list_sets(txn: Txn, account: str, region: str) -> list[dict[str, Any]]:
    return [{"Name": d["Name"], "CreatedTimestamp": d["CreatedTimestamp"]} for _, d in txn.scan(RULE_SETS, f"{account}/{region}/")]


def check_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A rule as given, checked, with AWS's defaults."""
    check_name(rule["Name"], "rule")
    recipients = list(rule.get("Recipients") or [])
    if len(recipients) > MAX_RECIPIENTS:
        raise _invalid(f"Too many recipients: a rule takes at most {MAX_RECIPIENTS}.")
    actions = list(rule.get("Actions") or [])
    for action in actions:
        kinds = [k for k, v in action.items() if v is not None]
        if len(kinds) != 1:
            raise _invalid("Each receipt action must specify exactly one action type.")
        if kinds[0] not in BUILT_ACTIONS:
            raise NotImplementedOperation(
                "NotImplemented", f"gureum does not implement the SES receipt action {kinds[0]} yet", 501)
    return {"Name": rule["Name"], "Enabled": bool(rule.get("Enabled", False)),
            "TlsPolicy": rule.get("TlsPolicy") or "Optional", "Recipients": recipients, "Actions": actions,
            "ScanEnabled": bool(rule.get("ScanEnabled", False))}


def create_rule(txn: Txn, account: str, region: str, set_name: str, rule: dict[str, Any], after: str | None) -> None:
    doc = get_set(txn, account, region, set_name)
    rules = list(doc["Rules"])
    if any(r["Name"] == rule["Name"] for r in rules):
        raise AwsError.modeled("ses", "AlreadyExistsException", f"Rule already exists: {rule['Name']}", Name=rule["Name"])
    if len(rules) >= MAX_RULES:
        raise AwsError.modeled("ses", "LimitExceededException", f"Maximum number of rules ({MAX_RULES}) exceeded.")
    position = 0
    if after:
        names = [r["Name"] for r in rules]
        if after not in names:
            raise _missing_rule(after)
        position = names.index(after) + 1
    rules.insert(position, rule)
    _write(txn, key(account, region, set_name), {**doc, "Rules": rules})


def _find(doc: dict[str, Any], name: str) -> int:
    for i, r in enumerate(doc["Rules"]):
        if r["Name"] == name:
            return i
    raise _missing_rule(name)


def describe_rule(txn: Txn, account: str, region: str, set_name: str, name: str) -> dict[str, Any]:
    doc = get_set(txn, account, region, set_name)
    return dict(doc["Rules"][_find(doc, name)])


def update_rule(txn: Txn, account: str, region: str, set_name: str, rule: dict[str, Any]) -> None:
    doc = get_set(txn, account, region, set_name)
    rules = list(doc["Rules"])
    rules[_find(doc, rule["Name"])] = rule
    _write(txn, key(account, region, set_name), {**doc, "Rules": rules})


def delete_rule(txn: Txn, account: str, region: str, set_name: str, name: str) -> None:
    doc = get_set(txn, account, region, set_name)
    rules = [r for r in doc["Rules"] if r["Name"] != name]
    _write(txn, key(account, region, set_name), {**doc, "Rules": rules})


def reorder(txn: Txn, account: str, region: str, set_name: str, names: list[str]) -> None:
    doc = get_set(txn, account, region, set_name)
    by_name = {r["Name"]: r for r in doc["Rules"]}
    for n in names:
        if n not in by_name:
            raise _missing_rule(n)
    if sorted(names) != sorted(by_name):
        raise _invalid("The list of rule names must contain every rule of the rule set exactly once.")
    _write(txn, key(account, region, set_name), {**doc, "Rules": [by_name[n] for n in names]})


def set_position(txn: Txn, account: str, region: str, set_name: str, name: str, after: str | None) -> None:
    doc = get_set(txn, account, region, set_name)
    rule = doc["Rules"][_find(doc, name)]
    rules = [r for r in doc["Rules"] if r["Name"] != name]
    position = 0
    if after:
        names = [r["Name"] for r in rules]
        if after not in names:
            raise _missing_rule(after)
        position = names.index(after) + 1
    rules.insert(position, rule)
    _write(txn, key(account, region, set_name), {**doc, "Rules": rules})


def set_active(txn: Txn, account: str, region: str, name: str | None) -> None:
    k = f"{account}/{region}"
    if not name:
        txn.delete(ACTIVE, k)
    else:
        get_set(txn, account, region, name)
        txn.put(ACTIVE, k, {"Name": name})
    txn.publish(TOPIC, {"key": k})


def active(txn: Txn, account: str, region: str) -> dict[str, Any] | None:
    row = txn.get(ACTIVE, f"{account}/{region}")
    if row is None:
        return None
    return txn.get(RULE_SETS, key(account, region, str(row["Name"])))


def matches(rule: dict[str, Any], recipient: str) -> bool:
    """AWS's recipient condition (module docstring)."""
    if not rule.get("Enabled"):
        return False
    wanted = rule.get("Recipients") or []
    if not wanted:
        return True
    address = recipient.lower()
    domain = address.rpartition("@")[2]
    for w in wanted:
        w = w.lower()
        if "@" in w:
            if w == address:
                return True
        elif w.startswith("."):
            if domain.endswith(w):
                return True
        elif domain == w:
            return True
    return False


def owners(txn: Txn, recipient: str) -> list[tuple[str, str]]:
    """(account, region) of every active rule set with an enabled rule matching `recipient`."""
    found = []
    for k, row in txn.scan(ACTIVE):
        account, region = k.split("/", 1)
        doc = txn.get(RULE_SETS, key(account, region, str(row["Name"])))
        if doc is not None and any(matches(r, recipient) for r in doc["Rules"]):
            found.append((account, region))
    return found
