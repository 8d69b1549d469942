"""Cloud Map namespace updates (UpdateHttpNamespace, UpdatePrivateDnsNamespace,
UpdatePublicDnsNamespace): the description and, for DNS namespaces, the SOA TTL, which is the
TTL of the SOA record set of the namespace's Route 53 hosted zone (what resolvers cache a
negative answer for, RFC 2308), changed through Route 53's port in the same transaction so
gureum's DNS server answers with it at once.

Each update is one UPDATE_NAMESPACE operation (sd.operations, model.py). `UpdaterRequestId`
makes a retry safe: the namespace document keeps `_updaters` {request id: operation id}, and
an update sent again with a request id already used returns that operation without applying
anything twice. An update through the wrong operation for the namespace's type (say
UpdateHttpNamespace on a DNS namespace) is InvalidInput."""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.route53 import port as r53
from gureum.services.servicediscovery import model
from gureum.store import Txn

_KIND = {"HTTP": "UpdateHttpNamespace", "DNS_PRIVATE": "UpdatePrivateDnsNamespace", "DNS_PUBLIC": "UpdatePublicDnsNamespace"}


def update(txn: Txn, account: str, region: str, kind: str, ns_id: str, change: dict[str, Any],
           updater: str | None) -> str:
    """Apply `change` (the Namespace member) to namespace `ns_id`, which must be of type
    `kind`; returns the operation id."""
    ns = model.get_namespace(txn, account, region, ns_id)
    if ns["Type"] != kind:
        raise AwsError.modeled("servicediscovery", "InvalidInput",
                               f"Namespace {ns_id} is of type {ns['Type']}; use {_KIND[ns['Type']]} to update it.")
    done = (ns.get("_updaters") or {}).get(updater) if updater else None
    if done is not None:
        return str(done)
    if "Description" in change:
        ns["Description"] = change["Description"]
    ttl = (((change.get("Properties") or {}).get("DnsProperties") or {}).get("SOA") or {}).get("TTL")
    if ttl is not None:
        dns = ns["Properties"]["DnsProperties"]
        dns["SOA"] = {"TTL": ttl}
        r53.set_soa_ttl(txn, account, dns["HostedZoneId"], ttl)
    op_id = model.operation(txn, account, region, "UPDATE_NAMESPACE", {"NAMESPACE": ns["Id"]})
    if updater:
        ns["_updaters"] = {**(ns.get("_updaters") or {}), updater: op_id}
    txn.put(model.NAMESPACES, model.sc(account, region) + ns["Id"], ns)
    return op_id
