"""Cloud Map's port for other services that register instances (ECS service tasks): register
and deregister an instance, look one up, and walk every instance (an owner's sweep), all
inside the caller's store transaction, so the caller's own rows and the instance (and its
DNS records) change together. Cloud Map's rules apply as in its API (model.py): a missing
service or instance raises its AwsError (ServiceNotFound, InstanceNotFound...)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from gureum.aws.errors import AwsError
from gureum.services.servicediscovery import model
from gureum.store import Txn


@dataclass(frozen=True)
class Instance:
    """One registered instance, where it is and what it says of itself."""

    account: str
    region: str
    service_id: str
    instance_id: str
    attributes: dict[str, str]


def register_instance(txn: Txn, account: str, region: str, service_id: str, instance_id: str,
                      attributes: dict[str, str]) -> str:
    """RegisterInstance (the instance replaced if it exists); returns the operation id."""
    return model.register_instance(txn, account, region, service_id, instance_id, attributes)


def deregister_instance(txn: Txn, account: str, region: str, service_id: str, instance_id: str) -> str:
    """DeregisterInstance; returns the operation id."""
    return model.deregister_instance(txn, account, region, service_id, instance_id)


def has_instance(txn: Txn, account: str, region: str, service_id: str, instance_id: str) -> bool:
    """Whether the service `service_id` has the instance `instance_id` registered."""
    return txn.get(model.INSTANCES, f"{model.sc(account, region)}{service_id}:{instance_id}") is not None


def every_instance(txn: Txn) -> Iterator[Instance]:
    """Every registered instance of every account and region (read before changing them)."""
    for key, doc in list(txn.scan(model.INSTANCES)):
        account, region, service_id, instance_id = key.split(":", 3)
        yield Instance(account, region, service_id, instance_id, dict(doc.get("Attributes") or {}))


def find_namespace(txn: Txn, account: str, region: str, ref: str) -> tuple[str, str, str] | None:
    """(id, name, ARN) of the namespace `ref` names (its name, id or ARN), or None. For ECS's
    Service Connect (ListServicesByNamespace)."""
    for _, ns in txn.scan(model.NAMESPACES, model.sc(account, region)):
        if ref in (ns["Id"], ns["Name"], ns["Arn"]):
            return str(ns["Id"]), str(ns["Name"]), str(ns["Arn"])
    return None


def healthy_instances(txn: Txn, account: str, region: str, service: str) -> list[Instance] | None:
    """The instances of service `service` (its id or ARN) that are not UNHEALTHY (all of them
    when none is healthy: fail open, as DiscoverInstances and the DNS answers do); None when
    there is no such service. For API Gateway's private integrations (VPC links)."""
    try:
        srv = model.get_service(txn, account, region, service)
    except AwsError:
        return None
    insts = model.instances(txn, account, region, srv["Id"])
    healthy = [d for d in insts if model.health_of(srv, d) != "UNHEALTHY"]
    return [Instance(account, region, str(srv["Id"]), str(d["Id"]), dict(d.get("Attributes") or {}))
            for d in (healthy or insts)]
