"""Cloud Map service attributes (GetServiceAttributes, UpdateServiceAttributes,
DeleteServiceAttributes): a string map a service carries for its clients (AWS: at most 30
attributes, keys up to 255 characters, values up to 1,024). They live in the service's
document (sd.services, model.py) as `_attributes`: {key: value}; deleting the service drops
them with it. An update adds or replaces the keys it names (the limit counted after the
change); a delete removes the keys it names, absent ones being no error."""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.servicediscovery import model
from gureum.store import Txn

MAX_ATTRIBUTES = 30


def get(txn: Txn, account: str, region: str, service_id: str) -> dict[str, Any]:
    """The ServiceAttributes output member of the service `service_id` (an id or an ARN)."""
    srv = model.get_service(txn, account, region, service_id)
    return {"ServiceArn": srv["Arn"], "ResourceOwner": srv.get("ResourceOwner", account),
            "Attributes": dict(srv.get("_attributes") or {})}


def update(txn: Txn, account: str, region: str, service_id: str, changes: dict[str, str]) -> None:
    srv = model.get_service(txn, account, region, service_id)
    merged = {**(srv.get("_attributes") or {}), **changes}
    if len(merged) > MAX_ATTRIBUTES:
        raise AwsError.modeled("servicediscovery", "ServiceAttributesLimitExceededException",
                               "The attribute can't be added to the service because you've exceeded the quota "
                               f"for the number of attributes you can add to a service ({MAX_ATTRIBUTES}).")
    txn.put(model.SERVICES, model.sc(account, region) + srv["Id"], {**srv, "_attributes": merged})


def delete(txn: Txn, account: str, region: str, service_id: str, keys: list[str]) -> None:
    srv = model.get_service(txn, account, region, service_id)
    kept = {k: v for k, v in (srv.get("_attributes") or {}).items() if k not in set(keys)}
    txn.put(model.SERVICES, model.sc(account, region) + srv["Id"], {**srv, "_attributes": kept})
