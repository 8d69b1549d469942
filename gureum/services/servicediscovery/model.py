"""Cloud Map: namespaces, services and instances, with DNS namespaces backed by Route 53
hosted zones (created and changed through Route 53's own model, in the same transaction,
so gureum's DNS server answers for registered instances at once).

Every mutating call is one "operation" that completes synchronously (Status SUCCESS), so
GetOperation works as clients expect.

DNS records, as AWS documents them (DnsRecord > Type, RegisterInstance > Attributes): every
record is one record set per instance (SetIdentifier = instance id) with MULTIVALUE
(MultiValueAnswer) or WEIGHTED (Weight 1) routing, TTL from the service's DnsRecords.
- A / AAAA: `<service>.<namespace>` -> AWS_INSTANCE_IPV4 / AWS_INSTANCE_IPV6.
- SRV: `<service>.<namespace>` -> "1 1 <AWS_INSTANCE_PORT> <instance id>.<service>.<namespace>"
  (priority and weight always 1), plus A / AAAA records named `<instance id>.<service>.<namespace>`
  for whichever of AWS_INSTANCE_IPV4 / AWS_INSTANCE_IPV6 the instance has.
- CNAME: `<service>.<namespace>` -> AWS_INSTANCE_CNAME (WEIGHTED services only).
Allowed record type combinations: A, AAAA, A+AAAA, SRV, CNAME, and SRV with A and/or AAAA
(what ECS creates for awsvpc tasks with an SRV registry).

Health: services with HealthCheckCustomConfig keep the status of the latest
UpdateInstanceCustomHealthStatus (applied at once; AWS waits ~30 s) or AWS_INIT_HEALTH_STATUS.
DNS answers only healthy instances; when none is healthy, all (fail open, as Route 53 does for
Cloud Map's weighted records). Services without health checks report UNKNOWN. Route 53 health
checks (HealthCheckConfig) are stored but not created: those instances count as HEALTHY.

A DNS namespace's SOA TTL (Properties.DnsProperties.SOA.TTL, 15 by default) is the TTL of its
zone's SOA record set, what negative answers are cached for (set at creation and by
namespace_updates.py). Tags (`_tags`, tagging.py) and service attributes (`_attributes`,
attributes.py) live in the namespace and service documents.

Tables: sd.namespaces "<acct>:<region>:<ns id>", sd.services "<acct>:<region>:<srv id>",
sd.instances "<acct>:<region>:<srv id>:<instance id>", sd.operations "<acct>:<region>:<op id>".
Instance docs keep `_records`: the record sets currently in the zone for that instance.
"""

from __future__ import annotations

import ipaddress
import secrets
import string
import time
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.route53 import port as r53
from gureum.store import Txn

NAMESPACES = "sd.namespaces"
SERVICES = "sd.services"
INSTANCES = "sd.instances"
OPERATIONS = "sd.operations"
_ALNUM = string.ascii_lowercase + string.digits


def _id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(16))


def now() -> float:
    return round(time.time(), 3)


def sc(account: str, region: str) -> str:
    return f"{account}:{region}:"


def operation(txn: Txn, account: str, region: str, kind: str, targets: dict[str, str]) -> str:
    op_id = secrets.token_hex(16)
    t = now()
    txn.put(OPERATIONS, sc(account, region) + op_id, {
        "Id": op_id, "OwnerAccount": account, "Type": kind, "Status": "SUCCESS", "CreateDate": t, "UpdateDate": t, "Targets": targets,
    })  # fmt: skip
    return op_id


def get_operation(txn: Txn, account: str, region: str, op_id: str) -> dict[str, Any]:
    doc = txn.get(OPERATIONS, sc(account, region) + op_id)
    if doc is None:
        raise AwsError.modeled("servicediscovery", "OperationNotFound", f"No operation found with ID {op_id}")
    return doc


# --- namespaces ----------------------------------------------------------------------------------


def create_namespace(txn: Txn, account: str, region: str, kind: str, params: dict[str, Any]) -> str:
    name = params["Name"].rstrip(".")
    for _, ns in txn.scan(NAMESPACES, sc(account, region)):
        if ns["Name"] == name:
            if params.get("CreatorRequestId") and ns.get("CreatorRequestId") == params["CreatorRequestId"]:
                return ns["_op"]
            raise AwsError.modeled("servicediscovery", "NamespaceAlreadyExists", f"Namespace {name} already exists")
    ns_id = _id("ns-")
    doc: dict[str, Any] = {
        "Id": ns_id,
        "Arn": arns.servicediscovery_namespace(region, account, ns_id),
        "ResourceOwner": account,
        "Name": name,
        "Type": kind,
        "ServiceCount": 0,
        "CreateDate": now(),
        "Properties": {"HttpProperties": {"HttpName": name}},
    }
    if params.get("Description"):
        doc["Description"] = params["Description"]
    if params.get("CreatorRequestId"):
        doc["CreatorRequestId"] = params["CreatorRequestId"]
    if kind in ("DNS_PUBLIC", "DNS_PRIVATE"):
        vpc = {"VPCRegion": region, "VPCId": params["Vpc"]} if kind == "DNS_PRIVATE" else None
        zone_id = r53.create_zone(txn, account, name, f"servicediscovery-{ns_id}", f"Created by AWS Cloud Map namespace with ARN {doc['Arn']}", kind == "DNS_PRIVATE", vpc)
        soa_ttl = ((params.get("Properties") or {}).get("DnsProperties") or {}).get("SOA", {}).get("TTL", 15)
        doc["Properties"]["DnsProperties"] = {"HostedZoneId": zone_id, "SOA": {"TTL": soa_ttl}}
        r53.set_soa_ttl(txn, account, zone_id, soa_ttl)  # the zone's negative-caching TTL
    doc["_op"] = operation(txn, account, region, "CREATE_NAMESPACE", {"NAMESPACE": ns_id})
    doc["_tags"] = params.get("Tags") or []
    txn.put(NAMESPACES, sc(account, region) + ns_id, doc)
    return doc["_op"]


def get_namespace(txn: Txn, account: str, region: str, ns_id: str) -> dict[str, Any]:
    doc = txn.get(NAMESPACES, sc(account, region) + ns_id)
    if doc is None:
        raise AwsError.modeled("servicediscovery", "NamespaceNotFound", f"Namespace not found: {ns_id}")
    return doc


def namespace_view(txn: Txn, doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    own = arns.parse(doc["Arn"])
    account, region = own.account, own.region
    out["ServiceCount"] = sum(1 for _, s in txn.scan(SERVICES, sc(account, region)) if s["NamespaceId"] == doc["Id"])
    return out


def delete_namespace(txn: Txn, account: str, region: str, ns_id: str) -> str:
    doc = get_namespace(txn, account, region, ns_id)
    if any(s["NamespaceId"] == ns_id for _, s in txn.scan(SERVICES, sc(account, region))):
        raise AwsError.modeled("servicediscovery", "ResourceInUse", f"Namespace {ns_id} has associated services")
    zone_id = ((doc.get("Properties") or {}).get("DnsProperties") or {}).get("HostedZoneId")
    if zone_id:
        r53.delete_zone(txn, account, zone_id)
    txn.delete(NAMESPACES, sc(account, region) + ns_id)
    return operation(txn, account, region, "DELETE_NAMESPACE", {"NAMESPACE": ns_id})


# --- services --------------------------------------------------------------------------------------


def create_service(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    dns = params.get("DnsConfig")
    ns_id = params.get("NamespaceId") or (dns or {}).get("NamespaceId")
    if not ns_id:
        raise AwsError.modeled("servicediscovery", "InvalidInput", "NamespaceId is required")
    ns = get_namespace(txn, account, region, ns_id)
    name = params["Name"]
    for _, s in txn.scan(SERVICES, sc(account, region)):
        if s["NamespaceId"] == ns_id and s["Name"] == name:
            raise AwsError.modeled(
                "servicediscovery", "ServiceAlreadyExists", f"Service already exists: {name}", ServiceId=s["Id"]
            )
    if dns and ns["Type"] == "HTTP":
        raise AwsError.modeled("servicediscovery", "InvalidInput", "DnsConfig is not supported for HTTP namespaces")
    if dns:
        check_dns_config(dns.get("RoutingPolicy") or "MULTIVALUE", dns["DnsRecords"], params.get("HealthCheckConfig"))
    if params.get("HealthCheckConfig") and params.get("HealthCheckCustomConfig"):
        raise AwsError.modeled(
            "servicediscovery",
            "InvalidInput",
            "You can specify either HealthCheckCustomConfig or HealthCheckConfig, but not both",
        )
    if params.get("HealthCheckConfig") and ns["Type"] == "DNS_PRIVATE":
        raise AwsError.modeled(
            "servicediscovery",
            "InvalidInput",
            "HealthCheckConfig is not supported for services in private DNS namespaces; use HealthCheckCustomConfig",
        )
    srv_id = _id("srv-")
    doc: dict[str, Any] = {
        "Id": srv_id,
        "Arn": arns.servicediscovery_service(region, account, srv_id),
        "ResourceOwner": account,
        "Name": name,
        "NamespaceId": ns_id,
        "InstanceCount": 0,
        "CreateDate": now(),
        "CreatedByAccount": account,
        "Type": "DNS_HTTP" if dns else "HTTP",
    }
    if dns:
        doc["DnsConfig"] = {"NamespaceId": ns_id, "RoutingPolicy": dns.get("RoutingPolicy") or "MULTIVALUE", "DnsRecords": dns["DnsRecords"]}
    for k in ("Description", "CreatorRequestId", "HealthCheckConfig", "HealthCheckCustomConfig"):
        if params.get(k) is not None:
            doc[k] = params[k]
    doc["_tags"] = params.get("Tags") or []
    txn.put(SERVICES, sc(account, region) + srv_id, doc)
    return doc


def get_service(txn: Txn, account: str, region: str, srv_id: str) -> dict[str, Any]:
    if arns.looks_like_arn(srv_id):
        a = arns.try_parse(srv_id)
        srv_id = a.resource_id if a is not None else srv_id
    doc = txn.get(SERVICES, sc(account, region) + srv_id)
    if doc is None:
        raise AwsError.modeled("servicediscovery", "ServiceNotFound", f"Service not found: {srv_id}")
    return doc


def service_view(txn: Txn, doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    own = arns.parse(doc["Arn"])
    account, region = own.account, own.region
    out["InstanceCount"] = txn.count(INSTANCES, f"{sc(account, region)}{doc['Id']}:")
    return out


def delete_service(txn: Txn, account: str, region: str, srv_id: str) -> None:
    doc = get_service(txn, account, region, srv_id)
    if txn.count(INSTANCES, f"{sc(account, region)}{doc['Id']}:"):
        raise AwsError.modeled("servicediscovery", "ResourceInUse", f"Service {doc['Id']} has registered instances")
    txn.delete(SERVICES, sc(account, region) + doc["Id"])


# --- instances -------------------------------------------------------------------------------------


_COMBOS = ({"A"}, {"AAAA"}, {"A", "AAAA"}, {"SRV"}, {"CNAME"}, {"A", "SRV"}, {"AAAA", "SRV"}, {"A", "AAAA", "SRV"})


def check_dns_config(policy: str, records: list[dict[str, Any]], health_check: dict[str, Any] | None) -> None:
    """The rules of DnsConfig (CreateService), raising InvalidInput as AWS does."""
    types = [r["Type"] for r in records]
    if not types:
        raise AwsError.modeled("servicediscovery", "InvalidInput", "DnsRecords must contain at least one record")
    if len(set(types)) != len(types):
        raise AwsError.modeled(
            "servicediscovery", "InvalidInput", f"DnsRecords contains duplicate record types: {', '.join(types)}"
        )
    if set(types) not in _COMBOS:
        raise AwsError.modeled(
            "servicediscovery", "InvalidInput", f"Unsupported combination of DNS record types: {', '.join(types)}"
        )
    if "CNAME" in types and policy != "WEIGHTED":
        raise AwsError.modeled(
            "servicediscovery",
            "InvalidInput",
            "CNAME records can be created only in services with WEIGHTED routing policy",
        )
    if "CNAME" in types and health_check:
        raise AwsError.modeled(
            "servicediscovery", "InvalidInput", "HealthCheckConfig is not supported for services with CNAME records"
        )


def check_attributes(srv: dict[str, Any], attrs: dict[str, str]) -> None:
    """RegisterInstance: the attributes the service's records (and health check) need."""
    dns = srv.get("DnsConfig")
    types = {r["Type"] for r in dns["DnsRecords"]} if dns else set()
    alias = attrs.get("AWS_ALIAS_DNS_NAME")
    if alias:
        if dns and dns.get("RoutingPolicy") != "WEIGHTED":
            raise AwsError.modeled(
                "servicediscovery",
                "InvalidInput",
                "ALIAS instance can be registered only in services with WEIGHTED routing policy",
            )
        if not types & {"A", "AAAA"}:
            raise AwsError.modeled(
                "servicediscovery",
                "InvalidInput",
                "ALIAS instance can be registered only in services with A or AAAA records",
            )
        if any(k.startswith("AWS_INSTANCE") for k in attrs):
            raise AwsError.modeled(
                "servicediscovery",
                "InvalidInput",
                "AWS_INSTANCE attributes cannot be specified together with AWS_ALIAS_DNS_NAME",
            )
        return
    v4, v6, port, cname = (attrs.get(k) for k in ("AWS_INSTANCE_IPV4", "AWS_INSTANCE_IPV6", "AWS_INSTANCE_PORT", "AWS_INSTANCE_CNAME"))
    if v4 is not None and not _is_ip(v4, 4):
        raise AwsError.modeled(
            "servicediscovery", "InvalidInput", f"AWS_INSTANCE_IPV4 is not a valid IPv4 address: {v4}"
        )
    if v6 is not None and not _is_ip(v6, 6):
        raise AwsError.modeled(
            "servicediscovery", "InvalidInput", f"AWS_INSTANCE_IPV6 is not a valid IPv6 address: {v6}"
        )
    if port is not None and not (port.isdigit() and 0 <= int(port) <= 65535):
        raise AwsError.modeled("servicediscovery", "InvalidInput", f"AWS_INSTANCE_PORT is not a valid port: {port}")
    if "A" in types and not v4:
        raise AwsError.modeled(
            "servicediscovery", "InvalidInput", "AWS_INSTANCE_IPV4 is required for a service with an A record"
        )
    if "AAAA" in types and not v6:
        raise AwsError.modeled(
            "servicediscovery", "InvalidInput", "AWS_INSTANCE_IPV6 is required for a service with an AAAA record"
        )
    if "SRV" in types and not (v4 or v6):
        raise AwsError.modeled(
            "servicediscovery",
            "InvalidInput",
            "AWS_INSTANCE_IPV4 or AWS_INSTANCE_IPV6 is required for a service with an SRV record",
        )
    if ("SRV" in types or srv.get("HealthCheckConfig")) and port is None:
        raise AwsError.modeled(
            "servicediscovery",
            "InvalidInput",
            "AWS_INSTANCE_PORT is required for a service with an SRV record or a health check",
        )
    if "CNAME" in types and not cname:
        raise AwsError.modeled(
            "servicediscovery", "InvalidInput", "AWS_INSTANCE_CNAME is required for a service with a CNAME record"
        )
    init = attrs.get("AWS_INIT_HEALTH_STATUS")
    if init is not None and init not in ("HEALTHY", "UNHEALTHY"):
        raise AwsError.modeled(
            "servicediscovery", "InvalidInput", f"AWS_INIT_HEALTH_STATUS must be HEALTHY or UNHEALTHY: {init}"
        )


def _is_ip(text: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(text).version == version
    except ValueError:
        return False


def record_sets(ns: dict[str, Any], srv: dict[str, Any], inst_id: str, attrs: dict[str, str]) -> list[dict[str, Any]]:
    """The Route 53 record sets Cloud Map writes for one instance (see the module docstring)."""
    dns = srv.get("DnsConfig")
    if not dns or attrs.get("AWS_ALIAS_DNS_NAME"):
        return []
    base = f"{srv['Name']}.{ns['Name']}."
    host = f"{inst_id}.{base}"
    weighted = dns.get("RoutingPolicy", "MULTIVALUE") == "WEIGHTED"
    ttls = {r["Type"]: r.get("TTL", 60) for r in dns["DnsRecords"]}
    v4, v6 = attrs.get("AWS_INSTANCE_IPV4"), attrs.get("AWS_INSTANCE_IPV6")
    out: list[dict[str, Any]] = []

    def add(name: str, rtype: str, ttl: int, value: str) -> None:
        rrs: dict[str, Any] = {"Name": name, "Type": rtype, "SetIdentifier": inst_id, "TTL": ttl, "ResourceRecords": [{"Value": value}]}
        if weighted:
            rrs["Weight"] = 1
        else:
            rrs["MultiValueAnswer"] = True
        out.append(rrs)

    if "A" in ttls and v4:
        add(base, "A", ttls["A"], v4)
    if "AAAA" in ttls and v6:
        add(base, "AAAA", ttls["AAAA"], v6)
    if "CNAME" in ttls and attrs.get("AWS_INSTANCE_CNAME"):
        add(base, "CNAME", ttls["CNAME"], attrs["AWS_INSTANCE_CNAME"])
    if "SRV" in ttls and attrs.get("AWS_INSTANCE_PORT"):
        add(base, "SRV", ttls["SRV"], f"1 1 {attrs['AWS_INSTANCE_PORT']} {host}")
        # The target's own records, named like the SRV value's host name.
        if v4:
            add(host, "A", ttls["SRV"], v4)
        if v6:
            add(host, "AAAA", ttls["SRV"], v6)
    return out


def _zone_id(ns: dict[str, Any] | None) -> str | None:
    return (((ns or {}).get("Properties") or {}).get("DnsProperties") or {}).get("HostedZoneId")


def health_checked(srv: dict[str, Any]) -> bool:
    return bool(srv.get("HealthCheckConfig") or srv.get("HealthCheckCustomConfig"))


def health_of(srv: dict[str, Any], inst: dict[str, Any]) -> str:
    """HEALTHY / UNHEALTHY / UNKNOWN (no health check configured), as DiscoverInstances says."""
    if not health_checked(srv):
        return "UNKNOWN"
    return inst.get("_health") or "HEALTHY"


def sync_dns(txn: Txn, account: str, region: str, srv: dict[str, Any], gone: list[dict[str, Any]] = ()) -> None:  # type: ignore[assignment]
    """Bring the zone in line with the service's instances: each instance's record sets if it is
    healthy, or if no instance is (fail open); `gone` instances (being deregistered) lose theirs.
    One Route 53 change batch; instance docs' `_records` follow."""
    ns = txn.get(NAMESPACES, sc(account, region) + srv["NamespaceId"])
    zone_id = _zone_id(ns)
    changes: list[dict[str, Any]] = []
    for doc in gone:
        changes += [{"Action": "DELETE", "ResourceRecordSet": r} for r in doc.get("_records", [])]
    insts = instances(txn, account, region, srv["Id"])
    healthy = [d for d in insts if health_of(srv, d) != "UNHEALTHY"]
    serve = {d["Id"] for d in (healthy or insts)}
    for doc in insts:
        want = record_sets(ns, srv, doc["Id"], doc["Attributes"]) if ns and doc["Id"] in serve else []
        have = doc.get("_records", [])
        if want == have:
            continue
        want_keys = {(r["Name"], r["Type"]) for r in want}
        changes += [{"Action": "DELETE", "ResourceRecordSet": r} for r in have if (r["Name"], r["Type"]) not in want_keys]
        changes += [{"Action": "UPSERT", "ResourceRecordSet": r} for r in want if r not in have]
        txn.put(INSTANCES, f"{sc(account, region)}{srv['Id']}:{doc['Id']}", {**doc, "_records": want})
    if zone_id and changes:
        r53.change_record_sets(txn, account, zone_id, changes, f"Cloud Map service {srv['Id']}")


def _bump_revision(txn: Txn, account: str, region: str, srv: dict[str, Any]) -> None:
    srv["_revision"] = int(srv.get("_revision", 0)) + 1
    txn.put(SERVICES, sc(account, region) + srv["Id"], srv)


def register_instance(txn: Txn, account: str, region: str, srv_id: str, inst_id: str, attrs: dict[str, str], creator: str | None = None) -> str:
    srv = get_service(txn, account, region, srv_id)
    get_namespace(txn, account, region, srv["NamespaceId"])
    check_attributes(srv, attrs)
    key = f"{sc(account, region)}{srv['Id']}:{inst_id}"
    old = txn.get(INSTANCES, key)
    health = (attrs.get("AWS_INIT_HEALTH_STATUS") or "HEALTHY") if srv.get("HealthCheckCustomConfig") else "HEALTHY"
    if old is not None and srv.get("HealthCheckCustomConfig"):
        health = old.get("_health", health)  # re-registering keeps the custom status
    doc = {"Id": inst_id, "Attributes": attrs, "CreatedByAccount": account, "_records": (old or {}).get("_records", []), "_health": health}
    if creator:
        doc["CreatorRequestId"] = creator
    txn.put(INSTANCES, key, doc)
    _bump_revision(txn, account, region, srv)
    sync_dns(txn, account, region, srv)
    return operation(txn, account, region, "REGISTER_INSTANCE", {"INSTANCE": inst_id, "SERVICE": srv["Id"]})


def deregister_instance(txn: Txn, account: str, region: str, srv_id: str, inst_id: str) -> str:
    srv = get_service(txn, account, region, srv_id)
    key = f"{sc(account, region)}{srv['Id']}:{inst_id}"
    doc = txn.get(INSTANCES, key)
    if doc is None:
        raise AwsError.modeled("servicediscovery", "InstanceNotFound", f"Instance not found: {inst_id}")
    txn.delete(INSTANCES, key)
    _bump_revision(txn, account, region, srv)
    sync_dns(txn, account, region, srv, gone=[doc])
    return operation(txn, account, region, "DEREGISTER_INSTANCE", {"INSTANCE": inst_id, "SERVICE": srv["Id"]})


def get_instance(txn: Txn, account: str, region: str, srv: dict[str, Any], inst_id: str) -> dict[str, Any]:
    doc = txn.get(INSTANCES, f"{sc(account, region)}{srv['Id']}:{inst_id}")
    if doc is None:
        raise AwsError.modeled("servicediscovery", "InstanceNotFound", f"Instance not found: {inst_id}")
    return doc


def update_custom_health(txn: Txn, account: str, region: str, srv_id: str, inst_id: str, status: str) -> None:
    """UpdateInstanceCustomHealthStatus (applied at once: AWS waits about 30 seconds)."""
    srv = get_service(txn, account, region, srv_id)
    doc = get_instance(txn, account, region, srv, inst_id)
    if not srv.get("HealthCheckCustomConfig"):
        raise AwsError.modeled(
            "servicediscovery",
            "CustomHealthNotFound",
            f"Service {srv['Id']} does not have a custom health check configuration",
        )
    if doc.get("_health") == status:
        return
    txn.put(INSTANCES, f"{sc(account, region)}{srv['Id']}:{inst_id}", {**doc, "_health": status})
    sync_dns(txn, account, region, srv)


def update_service(txn: Txn, account: str, region: str, srv_id: str, change: dict[str, Any]) -> str:
    """UpdateService: Description, DnsRecords TTLs (record types can't change), HealthCheckConfig;
    every instance's records are rewritten with the new settings."""
    srv = get_service(txn, account, region, srv_id)
    ns = get_namespace(txn, account, region, srv["NamespaceId"])
    if ns["Type"] == "HTTP":
        raise AwsError.modeled(
            "servicediscovery", "InvalidInput", "UpdateService is not supported for services in HTTP namespaces"
        )
    if "Description" in change:
        srv["Description"] = change["Description"]
    new_dns = change.get("DnsConfig")
    if new_dns is not None:
        dns = srv.get("DnsConfig")
        if not dns:
            raise AwsError.modeled("servicediscovery", "InvalidInput", "The service has no DnsConfig to update")
        old_types = sorted(r["Type"] for r in dns["DnsRecords"])
        new_types = sorted(r["Type"] for r in new_dns["DnsRecords"])
        if old_types != new_types:
            raise AwsError.modeled(
                "servicediscovery",
                "InvalidInput",
                "The record types of a service can't be changed; delete the service and create it with a new DnsConfig",
            )
        srv["DnsConfig"] = {**dns, "DnsRecords": new_dns["DnsRecords"]}
    hc = change.get("HealthCheckConfig")
    if hc is not None:
        if srv.get("HealthCheckCustomConfig"):
            raise AwsError.modeled(
                "servicediscovery",
                "InvalidInput",
                "You can specify either HealthCheckCustomConfig or HealthCheckConfig, but not both",
            )
        if any(r["Type"] == "CNAME" for r in (srv.get("DnsConfig") or {}).get("DnsRecords", [])):
            raise AwsError.modeled(
                "servicediscovery", "InvalidInput", "HealthCheckConfig is not supported for services with CNAME records"
            )
        srv["HealthCheckConfig"] = hc
    else:
        srv.pop("HealthCheckConfig", None)  # omitted from the request: deleted (AWS)
    txn.put(SERVICES, sc(account, region) + srv["Id"], srv)
    sync_dns(txn, account, region, srv)
    return operation(txn, account, region, "UPDATE_SERVICE", {"SERVICE": srv["Id"]})


def instances(txn: Txn, account: str, region: str, srv_id: str) -> list[dict[str, Any]]:
    return [d for _, d in txn.scan(INSTANCES, f"{sc(account, region)}{srv_id}:")]


def public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_")}
