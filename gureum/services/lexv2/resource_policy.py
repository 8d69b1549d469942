"""Lex V2 resource policies on a bot or a bot alias (CreateResourcePolicy,
DescribeResourcePolicy, UpdateResourcePolicy, DeleteResourcePolicy) and the policy gate's
reader of them (gureum/policy/resource_policies.py: `read`).

Where a policy lives: in its resource's own row (bots.py: the lexv2_bots row of a bot, the
lexv2_aliases row of an alias) as "policy": {"text", "revisionId"}, so it goes with the
resource. The revision id is Lex's: a number as a string, "1" for a new policy and one more at
each change. Rules (AWS's): a resource has one policy (CreateResourcePolicy on one that has it:
PreconditionFailedException); a document the policy engine cannot read is a
ValidationException; expectedRevisionId, when given, must be the current revision
(PreconditionFailedException); no policy: ResourceNotFoundException. The ARN is resolved as
tagging.py resolves it (the caller's own account and Region).

What a policy does: the gate evaluates it for the lex: actions on its resource (the actions
table names a bot's or an alias's ARN, gureum/policy/actions.py), so an explicit Deny refuses
the caller. Lex's operations address bots by id in the caller's own account, so a policy
cannot open a bot to another account here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.policy.resource_policies import unreadable
from gureum.services.lexv2 import tagging
from gureum.services.lexv2.bots import ALIASES, BOTS, bot_key, get_alias, get_bot
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

S = tagging.S


def _row(txn: Txn, account: str, region: str, resource_arn: str) -> tuple[str, str, dict[str, Any]]:
    """(table, key, row) of the bot or alias `resource_arn` names."""
    where = tagging.place(account, region, resource_arn)
    if isinstance(where, tagging.AliasTags):
        doc = get_alias(txn, account, region, where.bot_id, where.alias_id)
        return ALIASES, f"{bot_key(account, region, where.bot_id)}/{where.alias_id}", doc
    return BOTS, bot_key(account, region, where.bot_id), get_bot(txn, account, region, where.bot_id)


def _no_policy(resource_arn: str) -> AwsError:
    return AwsError.modeled(S, "ResourceNotFoundException", f"The resource {resource_arn} does not have a resource policy.")


def _check_text(text: str) -> None:
    why = unreadable(text)
    if why is not None:
        raise AwsError.modeled(S, "ValidationException", f"The resource policy is not valid: {why}")


def _check_revision(current: dict[str, Any], expected: str | None) -> None:
    if expected is not None and str(current["revisionId"]) != expected:
        raise AwsError.modeled(S, "PreconditionFailedException",
                               f"The revision id {expected} does not match the policy's current revision id "
                               f"{current['revisionId']}.")


def create(txn: Txn, account: str, region: str, resource_arn: str, text: str) -> str:
    _check_text(text)
    table, key, doc = _row(txn, account, region, resource_arn)
    if doc.get("policy"):
        raise AwsError.modeled(S, "PreconditionFailedException",
                               f"The resource {resource_arn} already has a resource policy; use UpdateResourcePolicy.")
    txn.put(table, key, {**doc, "policy": {"text": text, "revisionId": "1"}})
    return "1"


def describe(txn: Txn, account: str, region: str, resource_arn: str) -> dict[str, Any]:
    _, _, doc = _row(txn, account, region, resource_arn)
    if not doc.get("policy"):
        raise _no_policy(resource_arn)
    return dict(doc["policy"])


def update(txn: Txn, account: str, region: str, resource_arn: str, text: str, expected: str | None) -> str:
    _check_text(text)
    table, key, doc = _row(txn, account, region, resource_arn)
    current = doc.get("policy")
    if not current:
        raise _no_policy(resource_arn)
    _check_revision(current, expected)
    revision = str(int(current["revisionId"]) + 1)
    txn.put(table, key, {**doc, "policy": {"text": text, "revisionId": revision}})
    return revision


def delete(txn: Txn, account: str, region: str, resource_arn: str, expected: str | None) -> str:
    table, key, doc = _row(txn, account, region, resource_arn)
    current = doc.get("policy")
    if not current:
        raise _no_policy(resource_arn)
    _check_revision(current, expected)
    txn.put(table, key, {k: v for k, v in doc.items() if k != "policy"})
    return str(current["revisionId"])


async def read(app: App, arn: str) -> str | None:
    """The policy text of the bot or alias `arn` names, for the gate (None: none, or no such resource)."""
    parsed = arns.try_parse(arn)
    if parsed is None or parsed.service != "lex":
        return None

    def run(t: Txn) -> str | None:
        try:
            _, _, doc = _row(t, parsed.account, parsed.region, arn)
        except AwsError:
            return None
        policy = doc.get("policy")
        return str(policy["text"]) if policy else None

    return await app.store.read(run)
