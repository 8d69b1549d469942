"""Where CloudWatch keeps a resource's tags (gureum.aws.tags `Place`): the "tags" field of the
alarm (cloudwatch_alarms) or dashboard (cloudwatch_dashboards) the ARN names."""

from __future__ import annotations

from dataclasses import dataclass

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.cloudwatch import alarms, dashboards
from gureum.store import Txn


@dataclass(frozen=True)
class DocPlace:
    table: str
    key: str
    arn: str

    def read(self, txn: Txn) -> dict[str, str]:
        doc = txn.get(self.table, self.key)
        if doc is None:
            raise AwsError.modeled("cloudwatch", "ResourceNotFoundException", f"{self.arn} not found.")
        return dict(doc.get("tags") or {})

    def write(self, txn: Txn, tags: dict[str, str]) -> None:
        doc = txn.get(self.table, self.key)
        assert doc is not None
        txn.put(self.table, self.key, {**doc, "tags": tags})


def place(account: str, region: str, arn: str) -> DocPlace:
    """The tags of the resource `arn` names in the caller's account (alarm or dashboard)."""
    parsed = arns.try_parse(arn)
    if parsed is None or parsed.service != "cloudwatch":
        raise AwsError.modeled("cloudwatch", "InvalidParameterValue", f"Invalid ARN: {arn}")
    res = parsed.resource
    if parsed.account == account and res.startswith("alarm:") and parsed.region == region:
        return DocPlace(alarms.ALARMS, alarms.key(account, region, res[len("alarm:"):]), arn)
    if parsed.account == account and res.startswith("dashboard/"):
        return DocPlace(dashboards.DASHBOARDS, dashboards.key(account, res[len("dashboard/"):]), arn)
    raise AwsError.modeled("cloudwatch", "ResourceNotFoundException", f"{arn} not found.")
