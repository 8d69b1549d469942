"""SNS's resource policy for the authorization gate: the topic's `Policy` attribute; for a
subscription ARN, that topic's policy plus a statement letting the subscription's owner
(the account that subscribed, possibly another one) manage its own subscription, as SNS
allows the topic owner and the subscription owner to."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.services.sns import topics

if TYPE_CHECKING:
    from gureum.app import App

SUBSCRIPTION_OWNER_ACTIONS = ["sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes"]


async def read(app: App, arn: str) -> str | None:
    """The policy of topic (or subscription) `arn`, or None."""
    a = arns.try_parse(arn)
    parts = a.resource.split(":") if a is not None else []
    if a is None or len(parts) not in (1, 2):
        return None
    account, region, name = a.account, a.region, parts[0]

    def get(t: Any) -> tuple[str | None, str | None]:
        doc = t.get(topics.TOPICS, topics.topic_key(account, region, name))
        policy = ((doc.get("attrs") or {}).get("Policy") or None) if doc is not None else None
        owner = None
        if len(parts) == 2:
            sub = t.get(topics.SUBS, f"{account}/{region}/{name}/{parts[1]}")
            owner = sub.get("owner") if sub is not None else None
        return policy, owner

    policy, owner = await app.store.read(get)
    if owner is None:
        return policy
    try:
        doc = json.loads(policy) if policy else {"Version": "2012-10-17", "Statement": []}
        statements = doc.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
    except (ValueError, AttributeError):
        return policy
    statements.append({"Sid": "subscription-owner", "Effect": "Allow", "Principal": {"AWS": str(owner)},
                       "Action": SUBSCRIPTION_OWNER_ACTIONS, "Resource": arn})
    doc["Statement"] = statements
    doc.setdefault("Version", "2012-10-17")
    return json.dumps(doc)
