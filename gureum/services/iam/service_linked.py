"""Service-linked roles as IAM names them. service_linked_roles.json holds, per service
principal, the role name AWS gives the service's role ("accountdiscovery.ssm.amazonaws.com"
-> "AWSServiceRoleForAmazonSSM_AccountDiscovery") and whether the service takes a
CustomSuffix (most do not: "Custom suffix is not allowed for <principal>"); a principal not in
the table gets AWSServiceRoleFor<its first label, capitalised per '-' part>. The role lives
at /aws-service-role/<principal>/ and only its service may modify it (model.py)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from gureum.aws.errors import AwsError


@functools.cache
def table() -> dict[str, dict[str, Any]]:
    """Service principal -> {"RoleName": ..., "CustomSuffix": bool}."""
    data: dict[str, dict[str, Any]] = json.loads(Path(__file__).with_name("service_linked_roles.json").read_text())
    return data


def path(service: str) -> str:
    return f"/aws-service-role/{service}/"


def role_name(service: str, suffix: str | None) -> str:
    """The name of `service`'s role (with `_<suffix>` when the service takes one)."""
    known = table().get(service)
    if known is not None:
        name = str(known["RoleName"])
        if suffix and not known["CustomSuffix"]:
            raise AwsError.modeled("iam", "InvalidInput", f"Custom suffix is not allowed for {service}")
    else:
        first = service.split(".")[0]
        name = "AWSServiceRoleFor" + "".join(part[:1].upper() + part[1:] for part in first.split("-"))
    return f"{name}_{suffix}" if suffix else name
