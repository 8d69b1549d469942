"""Cloud Map: namespaces, services and instances, with DNS namespaces backed by Route 53
hosted zones (created and changed through Route 53's own model, in the same transaction,
so gureum's DNS server answers for registered instances at once).

Every mutating call is one "operation" that completes synchronously (Status SUCCESS), so
GetOperation works as clients expect. DNS records: A / AAAA per instance, named
`<service>.<namespace>`, one record set per instance (SetIdentifier = instance id) with
MULTIVALUE (MultiValueAnswer) or WEIGHTED routing. SRV records are not written yet.

Tables: sd.namespaces "<acct>:<region>:<ns id>", sd.services "<acct>:<region>:<srv id>",
sd.instances "<acct>:<region>:<srv id>:<instance id>", sd.operations "<acct>:<region>:<op id>".
"""

from __future__ import annotations

import secrets
import string
import time
from typing import Any

from gureum.aws.errors import AwsError
from gureum.store import Txn

NAMESPACES = "sd.namespaces"
SERVICES = "sd.services"
INSTANCES = "sd.instances"
OPERATIONS = "sd.operations"
_ALNUM = string.ascii_lowercase + string.digits


def _id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(16))


def err(code: str, message: str) -> AwsError:
    return AwsError(code, message, 400)


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
        raise err("OperationNotFound", f"No operation found with ID {op_id}")
    return doc


# --- namespaces ----------------------------------------------------------------------------------


def create_namespace(txn: Txn, account: str, region: str, kind: str, params: dict[str, Any]) -> str:
    name = params["Name"].rstrip(".")
    for _, ns in txn.scan(NAMESPACES, sc(account, region)):
        if ns["Name"] == name:
            if params.get("CreatorRequestId") and ns.get("CreatorRequestId") == params["CreatorRequestId"]:
                return ns["_op"]
            raise err("NamespaceAlreadyExists", f"Namespace {name} already exists")
    ns_id = _id("ns-")
    doc: dict[str, Any] = {
        "Id": ns_id,
        "Arn": f"arn:aws:servicediscovery:{region}:{account}:namespace/{ns_id}",
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
        from gureum.services.route53 import model as r53

        vpc = {"VPCRegion": region, "VPCId": params["Vpc"]} if kind == "DNS_PRIVATE" else None
        out = r53.create_zone(txn, account, name, f"servicediscovery-{ns_id}", f"Created by AWS Cloud Map namespace with ARN {doc['Arn']}", kind == "DNS_PRIVATE", vpc, None)
        zone_id = r53.bare_id(out["zone"]["Id"])
        soa_ttl = ((params.get("Properties") or {}).get("DnsProperties") or {}).get("SOA", {}).get("TTL", 15)
        doc["Properties"]["DnsProperties"] = {"HostedZoneId": zone_id, "SOA": {"TTL": soa_ttl}}
    doc["_op"] = operation(txn, account, region, "CREATE_NAMESPACE", {"NAMESPACE": ns_id})
    doc["_tags"] = params.get("Tags") or []
    txn.put(NAMESPACES, sc(account, region) + ns_id, doc)
    return doc["_op"]


def get_namespace(txn: Txn, account: str, region: str, ns_id: str) -> dict[str, Any]:
    doc = txn.get(NAMESPACES, sc(account, region) + ns_id)
    if doc is None:
        raise err("NamespaceNotFound", f"Namespace not found: {ns_id}")
    return doc


def namespace_view(txn: Txn, doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    account, region = doc["Arn"].split(":")[4], doc["Arn"].split(":")[3]
    out["ServiceCount"] = sum(1 for _, s in txn.scan(SERVICES, sc(account, region)) if s["NamespaceId"] == doc["Id"])
    return out


def delete_namespace(txn: Txn, account: str, region: str, ns_id: str) -> str:
    doc = get_namespace(txn, account, region, ns_id)
    if any(s["NamespaceId"] == ns_id for _, s in txn.scan(SERVICES, sc(account, region))):
        raise err("ResourceInUse", f"Namespace {ns_id} has associated services")
    zone_id = ((doc.get("Properties") or {}).get("DnsProperties") or {}).get("HostedZoneId")
    if zone_id:
        from gureum.services.route53 import model as r53

        r53.delete_zone(txn, account, zone_id)
    txn.delete(NAMESPACES, sc(account, region) + ns_id)
    return operation(txn, account, region, "DELETE_NAMESPACE", {"NAMESPACE": ns_id})


# --- services --------------------------------------------------------------------------------------


def create_service(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    dns = params.get("DnsConfig")
    ns_id = params.get("NamespaceId") or (dns or {}).get("NamespaceId")
    if not ns_id:
        raise err("InvalidInput", "NamespaceId is required")
    ns = get_namespace(txn, account, region, ns_id)
    name = params["Name"]
    for _, s in txn.scan(SERVICES, sc(account, region)):
        if s["NamespaceId"] == ns_id and s["Name"] == name:
            raise AwsError("ServiceAlreadyExists", f"Service already exists: {name}", 400, ServiceId=s["Id"])
    if dns and ns["Type"] == "HTTP":
        raise err("InvalidInput", "DnsConfig is not supported for HTTP namespaces")
    srv_id = _id("srv-")
    doc: dict[str, Any] = {
        "Id": srv_id,
        "Arn": f"arn:aws:servicediscovery:{region}:{account}:service/{srv_id}",
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
    if srv_id.startswith("arn:"):
        srv_id = srv_id.rsplit("/", 1)[-1]
    doc = txn.get(SERVICES, sc(account, region) + srv_id)
    if doc is None:
        raise err("ServiceNotFound", f"Service not found: {srv_id}")
    return doc


def service_view(txn: Txn, doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    account, region = doc["Arn"].split(":")[4], doc["Arn"].split(":")[3]
    out["InstanceCount"] = txn.count(INSTANCES, f"{sc(account, region)}{doc['Id']}:")
    return out


def delete_service(txn: Txn, account: str, region: str, srv_id: str) -> None:
    doc = get_service(txn, account, region, srv_id)
    if txn.count(INSTANCES, f"{sc(account, region)}{doc['Id']}:"):
        raise err("ResourceInUse", f"Service {doc['Id']} has registered instances")
    txn.delete(SERVICES, sc(account, region) + doc["Id"])


# --- instances -------------------------------------------------------------------------------------


def _record_sets(ns: dict[str, Any], srv: dict[str, Any], inst_id: str, attrs: dict[str, str]) -> list[dict[str, Any]]:
    dns = srv.get("DnsConfig")
    if not dns:
        return []
    out = []
    for rec in dns["DnsRecords"]:
        value = {"A": attrs.get("AWS_INSTANCE_IPV4"), "AAAA": attrs.get("AWS_INSTANCE_IPV6")}.get(rec["Type"])
        if not value:
            continue
        rrs: dict[str, Any] = {
            "Name": f"{srv['Name']}.{ns['Name']}.",
            "Type": rec["Type"],
            "SetIdentifier": inst_id,
            "TTL": rec.get("TTL", 60),
            "ResourceRecords": [{"Value": value}],
        }
        if dns.get("RoutingPolicy", "MULTIVALUE") == "MULTIVALUE":
            rrs["MultiValueAnswer"] = True
        else:
            rrs["Weight"] = 1
        out.append(rrs)
    return out


def register_instance(txn: Txn, account: str, region: str, srv_id: str, inst_id: str, attrs: dict[str, str], creator: str | None = None) -> str:
    srv = get_service(txn, account, region, srv_id)
    ns = get_namespace(txn, account, region, srv["NamespaceId"])
    dns = srv.get("DnsConfig")
    if dns:
        types = {r["Type"] for r in dns["DnsRecords"]}
        if "A" in types and "AWS_INSTANCE_IPV4" not in attrs and "AWS_ALIAS_DNS_NAME" not in attrs:
            raise err("InvalidInput", "AWS_INSTANCE_IPV4 is required for a service with an A record")
    key = f"{sc(account, region)}{srv['Id']}:{inst_id}"
    old = txn.get(INSTANCES, key)
    changes = []
    zone_id = ((ns.get("Properties") or {}).get("DnsProperties") or {}).get("HostedZoneId")
    new_sets = _record_sets(ns, srv, inst_id, attrs)
    if old is not None:
        new_types = {r["Type"] for r in new_sets}
        changes += [{"Action": "DELETE", "ResourceRecordSet": r} for r in old.get("_records", []) if r["Type"] not in new_types]
    changes += [{"Action": "UPSERT", "ResourceRecordSet": r} for r in new_sets]
    if zone_id and changes:
        from gureum.services.route53 import model as r53

        r53.change_record_sets(txn, account, zone_id, {"Changes": changes, "Comment": f"Cloud Map instance {inst_id}"})
    doc = {"Id": inst_id, "Attributes": attrs, "CreatedByAccount": account, "_records": new_sets, "_health": "HEALTHY"}
    if creator:
        doc["CreatorRequestId"] = creator
    txn.put(INSTANCES, key, doc)
    return operation(txn, account, region, "REGISTER_INSTANCE", {"INSTANCE": inst_id, "SERVICE": srv["Id"]})


def deregister_instance(txn: Txn, account: str, region: str, srv_id: str, inst_id: str) -> str:
    srv = get_service(txn, account, region, srv_id)
    key = f"{sc(account, region)}{srv['Id']}:{inst_id}"
    doc = txn.get(INSTANCES, key)
    if doc is None:
        raise err("InstanceNotFound", f"Instance not found: {inst_id}")
    ns = txn.get(NAMESPACES, sc(account, region) + srv["NamespaceId"])
    zone_id = (((ns or {}).get("Properties") or {}).get("DnsProperties") or {}).get("HostedZoneId")
    if zone_id and doc.get("_records"):
        from gureum.services.route53 import model as r53

        r53.change_record_sets(txn, account, zone_id, {"Changes": [{"Action": "DELETE", "ResourceRecordSet": r} for r in doc["_records"]]})
    txn.delete(INSTANCES, key)
    return operation(txn, account, region, "DEREGISTER_INSTANCE", {"INSTANCE": inst_id, "SERVICE": srv["Id"]})


def instances(txn: Txn, account: str, region: str, srv_id: str) -> list[dict[str, Any]]:
    return [d for _, d in txn.scan(INSTANCES, f"{sc(account, region)}{srv_id}:")]


def public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_")}
