"""Route 53's port for other services that keep DNS records (Cloud Map namespaces and
instances): hosted zones and record changes, run inside the caller's store transaction so
their own rows and the records change together. Route 53's rules apply as in its API."""

from __future__ import annotations

from typing import Any

from gureum.services.route53 import model
from gureum.store import Txn


def create_zone(txn: Txn, account: str, name: str, caller_ref: str, comment: str | None, private: bool,
                vpc: dict[str, Any] | None) -> str:
    """CreateHostedZone; returns the new zone's bare id ("Z...")."""
    out = model.create_zone(txn, account, name, caller_ref, comment, private, vpc, None)
    return model.bare_id(out["zone"]["Id"])


def delete_zone(txn: Txn, account: str, zone_id: str) -> None:
    model.delete_zone(txn, account, zone_id)


def drop_zone(txn: Txn, account: str, zone_id: str) -> None:
    """Remove a hosted zone with every record set in it (a namespace's reset), telling the DNS
    servers."""
    model.drop_zone(txn, account, zone_id)


def change_record_sets(txn: Txn, account: str, zone_id: str, changes: list[dict[str, Any]], comment: str) -> None:
    """ChangeResourceRecordSets with `changes` ({"Action", "ResourceRecordSet"}), atomically."""
    model.change_record_sets(txn, account, zone_id, {"Changes": changes, "Comment": comment})
