"""Whether a service may deliver into another account's resource on a resource's behalf
(SNS topic -> SQS queue or Lambda function): `await may_deliver(app, "sns.amazonaws.com",
"sqs:SendMessage", queue_arn, source_arn=topic_arn, source_account=...)`.

A target in the source's own account is always reachable (gureum keeps same-account
deliveries as they were). A target in another account is reachable only when its resource
policy allows the delivering service principal (or "*"), conditions evaluated with
aws:SourceArn and aws:SourceAccount — the policy AWS's docs tell queue and function owners
to write ("Principal": {"Service": "sns.amazonaws.com"}, "Condition": {"ArnEquals":
{"aws:SourceArn": <topic>}}). Otherwise the delivery is dropped, as AWS drops it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.policy import actions, resource_policies

if TYPE_CHECKING:
    from gureum.app import App


async def may_deliver(app: App, service: str, action: str, target_arn: str, *, source_arn: str,
                      source_account: str) -> bool:
    owner = actions.owner(target_arn)
    if not owner or owner == source_account:
        return True
    from gureum.policy.engine import AuthRequest, Decision, Principal, statement_decision
    from gureum.policy.gate import parsed

    text = await resource_policies.read(app, action.split(":", 1)[0], action, target_arn)
    policy = parsed(app, text, "resource")
    if policy is None:
        return False
    principal = Principal(arn=service, account="", kind="service", service=service)
    req = AuthRequest(principal, action, target_arn,
                      {"aws:SourceArn": source_arn, "aws:SourceAccount": source_account})
    return statement_decision(policy, req) is Decision.ALLOW
