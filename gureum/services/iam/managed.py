"""AWS managed policies (`arn:aws:iam::aws:policy/...`): a read-only catalog every account
can attach. The documents are AWS's published ones (a curated set, snapshot in
aws_managed_policies.json); their policy ids are derived from the ARN, stable across runs."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from gureum.aws import arn as arns
from gureum.services.iam import ids


@functools.cache
def catalog() -> dict[str, dict[str, Any]]:
    """ARN -> policy record (PolicyName, Arn, Path, PolicyId, DefaultVersionId, dates, Document)."""
    raw = json.loads((Path(__file__).with_name("aws_managed_policies.json")).read_text())
    out: dict[str, dict[str, Any]] = {}
    for name, p in sorted(raw.items()):
        arn = arns.iam_managed_policy(p["Path"], name)
        out[arn] = {
            "PolicyName": name,
            "PolicyId": ids.stable_id(ids.POLICY, arn),
            "Arn": arn,
            "Path": p["Path"],
            "DefaultVersionId": p["DefaultVersionId"],
            "IsAttachable": True,
            "CreateDate": p["CreateDate"],
            "UpdateDate": p["UpdateDate"],
            "Document": p["Document"],
        }
    return out


def get(arn: str) -> dict[str, Any] | None:
    return catalog().get(arn)
