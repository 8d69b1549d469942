"""SNS's resource policy for the authorization gate: the topic's `Policy` attribute."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.services.sns import topics

if TYPE_CHECKING:
    from gureum.app import App


async def read(app: App, arn: str) -> str | None:
    """The policy text set on topic `arn`, or None (no policy set, or no such topic)."""
    parts = arn.split(":")
    if len(parts) < 6:
        return None
    account, region, name = parts[4], parts[3], parts[5]

    def get(t: Any) -> str | None:
        doc = t.get(topics.TOPICS, topics.topic_key(account, region, name))
        return ((doc.get("attrs") or {}).get("Policy") or None) if doc is not None else None

    result: str | None = await app.store.read(get)
    return result
