"""S3's resource policy for the authorization gate: the bucket policy of the bucket an
`arn:aws:s3:::<bucket>[/<key>]` ARN names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.services.s3 import model

if TYPE_CHECKING:
    from gureum.app import App


async def read(app: App, arn: str) -> str | None:
    f = arns.fields(arn)
    if f is None or not f.resource:
        return None
    name = f.resource.split("/", 1)[0]

    def get(t: Any) -> str | None:
        doc = t.get(model.BUCKETS, name)
        return (doc.get("policy") or None) if doc is not None else None

    result: str | None = await app.store.read(get)
    return result
