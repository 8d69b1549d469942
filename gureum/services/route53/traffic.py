"""Traffic Flow: traffic policies (versioned JSON documents) and policy instances.

  route53.tpolicies  {account}/{id}/{version:05d}  {"Id","Version","Name","Type","Document","Comment"}
  route53.tpinstances {account}/{id}               the TrafficPolicyInstance (API shape)

An instance becomes one record set in its zone, shown as AWS shows it ({Name, Type,
TrafficPolicyInstanceId}); the stored doc carries the policy document and TTL under the
internal key `_Traffic`, and the zone index compiles the rule tree into nested
routing.Groups (index.Zone._traffic_group), so instances are answered by the same engine
(and cached per decision) as ordinary routed record sets. Endpoints of type `value` are
answered; endpoints naming AWS resources (ELB, CloudFront, S3 website …) have nothing to
answer with here (NODATA), as aliases to them do.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.route53 import model, names, paging, records
from gureum.store import Txn

POLICIES = "route53.tpolicies"
INSTANCES = "route53.tpinstances"
RULE_TYPES = ("failover", "geo", "latency", "geoproximity", "multivalue", "weighted")
MAX_POLICIES = 50
MAX_VERSIONS = 1000
MAX_INSTANCES = 5
LOCATION = "https://route53.amazonaws.com/2013-04-01"


class InvalidTrafficPolicyDocument(AwsError):
    code, status = "InvalidTrafficPolicyDocument", 400


class NoSuchTrafficPolicy(AwsError):
    code, status = "NoSuchTrafficPolicy", 404


class NoSuchTrafficPolicyInstance(AwsError):
    code, status = "NoSuchTrafficPolicyInstance", 404
    message = "No traffic policy instance exists with the specified ID."


class TrafficPolicyInUse(AwsError):
    code, status = "TrafficPolicyInUse", 400
    message = "One or more traffic policy instances were created by using the specified traffic policy."


class TooManyTrafficPolicies(AwsError):
    code, status = "TooManyTrafficPolicies", 400


class TooManyTrafficPolicyInstances(AwsError):
    code, status = "TooManyTrafficPolicyInstances", 400


class TrafficPolicyInstanceAlreadyExists(AwsError):
    code, status = "TrafficPolicyInstanceAlreadyExists", 409


# --- documents --------------------------------------------------------------------------------
def _refs(item: dict, rules: dict, endpoints: dict, where: str) -> None:
    if "EndpointReference" in item:
        if item["EndpointReference"] not in endpoints:
            raise InvalidTrafficPolicyDocument(message=f"{where}: unknown endpoint {item['EndpointReference']}")
    elif "RuleReference" in item:
        if item["RuleReference"] not in rules:
            raise InvalidTrafficPolicyDocument(message=f"{where}: unknown rule {item['RuleReference']}")
    else:
        raise InvalidTrafficPolicyDocument(message=f"{where}: an EndpointReference or a RuleReference is required")


def rule_items(rule: dict) -> list[dict]:
    kind = rule.get("RuleType")
    if kind == "failover":
        return [x for x in (rule.get("Primary"), rule.get("Secondary")) if x]
    if kind == "geo":
        return list(rule.get("Locations") or [])
    if kind == "latency":
        return list(rule.get("Regions") or [])
    if kind == "geoproximity":
        return list(rule.get("GeoproximityLocations") or [])
    return list(rule.get("Items") or [])


def parse_document(text: str) -> dict:
    """Validate a traffic policy document (format 2015-10-01); returns it parsed."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise InvalidTrafficPolicyDocument(message=f"The traffic policy document is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("AWSPolicyFormatVersion") != "2015-10-01":
        raise InvalidTrafficPolicyDocument(message="AWSPolicyFormatVersion must be 2015-10-01")
    if doc.get("RecordType") not in records.TYPES:
        raise InvalidTrafficPolicyDocument(message=f"Invalid RecordType: {doc.get('RecordType')}")
    endpoints, rules = doc.get("Endpoints") or {}, doc.get("Rules") or {}
    if bool(doc.get("StartRule")) == bool(doc.get("StartEndpoint")):
        raise InvalidTrafficPolicyDocument(message="Exactly one of StartRule and StartEndpoint is required")
    if doc.get("StartRule") and doc["StartRule"] not in rules:
        raise InvalidTrafficPolicyDocument(message=f"StartRule {doc['StartRule']} is not defined")
    if doc.get("StartEndpoint") and doc["StartEndpoint"] not in endpoints:
        raise InvalidTrafficPolicyDocument(message=f"StartEndpoint {doc['StartEndpoint']} is not defined")
    for eid, ep in endpoints.items():
        if not isinstance(ep, dict) or not ep.get("Type") or "Value" not in ep:
            raise InvalidTrafficPolicyDocument(message=f"Endpoint {eid} needs a Type and a Value")
        if ep["Type"] == "value":
            try:
                records.parse_value(doc["RecordType"], ep["Value"])
            except records.BadValue as exc:
                raise InvalidTrafficPolicyDocument(message=f"Endpoint {eid}: {exc}") from None
    for rid, rule in rules.items():
        if rule.get("RuleType") not in RULE_TYPES:
            raise InvalidTrafficPolicyDocument(message=f"Rule {rid}: invalid RuleType {rule.get('RuleType')}")
        items = rule_items(rule)
        if not items:
            raise InvalidTrafficPolicyDocument(message=f"Rule {rid} has no endpoints or rules")
        for item in items:
            _refs(item, rules, endpoints, f"Rule {rid}")
            if rule["RuleType"] == "multivalue" and "RuleReference" in item:
                raise InvalidTrafficPolicyDocument(message=f"Rule {rid}: multivalue rules can only reference endpoints")
    _check_cycles(doc)
    return doc


def _check_cycles(doc: dict) -> None:
    rules = doc.get("Rules") or {}

    def visit(rid: str, path: tuple) -> None:
        if rid in path:
            raise InvalidTrafficPolicyDocument(message=f"Rule {rid} references itself")
        for item in rule_items(rules[rid]):
            if "RuleReference" in item:
                visit(item["RuleReference"], path + (rid,))

    for rid in rules:
        visit(rid, ())


# --- policies -----------------------------------------------------------------------------------
def _versions(txn: Txn, account: str, pid: str) -> list[dict]:
    return [d for _k, d in txn.scan(POLICIES, f"{account}/{pid}/")]


def get_policy(txn: Txn, account: str, pid: str, version: int) -> dict:
    doc = txn.get(POLICIES, f"{account}/{pid}/{int(version):05d}")
    if doc is None:
        raise NoSuchTrafficPolicy(message=f"No traffic policy exists with ID {pid} and version {version}.")
    return doc


def create_policy(txn: Txn, account: str, name: str, document: str, comment: str | None) -> dict:
    parsed = parse_document(document)
    ids = {k.split("/")[1] for k, _d in txn.scan(POLICIES, f"{account}/")}
    if len(ids) >= MAX_POLICIES:
        raise TooManyTrafficPolicies(message=f"This operation would exceed the limit of {MAX_POLICIES} traffic policies.")
    if any(d["Name"] == name for _k, d in txn.scan(POLICIES, f"{account}/")):
        raise AwsError.modeled("route53", "TrafficPolicyAlreadyExists", f"A traffic policy with the name {name} already exists.")
    pid = str(uuid.uuid4())
    doc = {"Id": pid, "Version": 1, "Name": name, "Type": parsed["RecordType"], "Document": document}
    if comment:
        doc["Comment"] = comment
    txn.put(POLICIES, f"{account}/{pid}/{1:05d}", doc)
    return doc


def create_version(txn: Txn, account: str, pid: str, document: str, comment: str | None) -> dict:
    versions = _versions(txn, account, pid)
    if not versions:
        raise NoSuchTrafficPolicy(message=f"No traffic policy exists with ID {pid}.")
    parsed = parse_document(document)
    if parsed["RecordType"] != versions[0]["Type"]:
        raise InvalidTrafficPolicyDocument(message=f"The RecordType of every version must be {versions[0]['Type']}")
    if len(versions) >= MAX_VERSIONS:
        raise AwsError.modeled("route53", "TooManyTrafficPolicyVersionsForCurrentPolicy", "This traffic policy has the maximum number of versions.")
    version = max(d["Version"] for d in versions) + 1
    doc = {"Id": pid, "Version": version, "Name": versions[0]["Name"], "Type": versions[0]["Type"], "Document": document}
    if comment:
        doc["Comment"] = comment
    txn.put(POLICIES, f"{account}/{pid}/{version:05d}", doc)
    return doc


def delete_policy(txn: Txn, account: str, pid: str, version: int) -> None:
    get_policy(txn, account, pid, version)
    if any(i["TrafficPolicyId"] == pid and i["TrafficPolicyVersion"] == int(version) for _k, i in txn.scan(INSTANCES, f"{account}/")):
        raise TrafficPolicyInUse()
    txn.delete(POLICIES, f"{account}/{pid}/{int(version):05d}")


# --- instances ----------------------------------------------------------------------------------
def _record(instance: dict, policy: dict) -> dict:
    return {"Name": instance["Name"], "Type": policy["Type"], "TrafficPolicyInstanceId": instance["Id"],
            "_Traffic": {"Document": json.loads(policy["Document"]), "TTL": instance["TTL"]}}


def _apply(txn: Txn, account: str, zone: dict, deletes: list[dict], creates: list[dict]) -> None:
    zid = model.bare_id(zone["Id"])
    soa = txn.get(model.RECORDS, model.soa_key(account, zone))
    moved = model.next_soa(txn, soa, soa)
    if moved is not None and soa is not None:  # secondaries follow serials (model.py's docstring)
        deletes, creates = [*deletes, soa], [*creates, moved]
    for doc in deletes:
        txn.delete(model.RECORDS, model.record_key(account, zid, doc))
    for doc in creates:
        txn.put(model.RECORDS, model.record_key(account, zid, doc), doc)
    zone["ResourceRecordSetCount"] = int(zone.get("ResourceRecordSetCount", 0)) + len(creates) - len(deletes)
    zone["Version"] = int(zone.get("Version", 0)) + 1
    txn.put(model.ZONES, model.zone_key(account, zid), zone)
    change = model.new_change(txn, account)
    txn.publish(model.EVENT_TOPIC, {"kind": "records", "zone_id": zid, "deletes": deletes, "creates": creates,
                                    "version": zone["Version"], "change_id": model.bare_id(change["Id"])})


def create_instance(txn: Txn, account: str, params: dict) -> dict:
    zone = model.get_zone(txn, account, params["HostedZoneId"])
    zid = model.bare_id(zone["Id"])
    policy = get_policy(txn, account, params["TrafficPolicyId"], params["TrafficPolicyVersion"])
    try:
        labels = names.parse(params["Name"])
    except names.BadName:
        raise AwsError.modeled("route53", "InvalidInput", f"Invalid name: {params['Name']}") from None
    if not names.is_subdomain(labels, names.parse(zone["Name"])):
        raise AwsError.modeled("route53", "InvalidInput", f"{params['Name']} is not in the hosted zone {zone['Name']}")
    name = names.to_text(labels)
    if txn.count(INSTANCES, f"{account}/") >= MAX_INSTANCES:
        raise TooManyTrafficPolicyInstances(message=f"This operation would exceed the limit of {MAX_INSTANCES} traffic policy instances.")
    for doc in model.zone_records(txn, account, zid):
        if doc["Name"] == name and doc["Type"] in (policy["Type"], "CNAME"):
            raise TrafficPolicyInstanceAlreadyExists(
                message=f"A resource record set with the name {name} and type {policy['Type']} already exists in the hosted zone.")
    iid = str(uuid.uuid4())
    instance = {"Id": iid, "HostedZoneId": zid, "Name": name, "TTL": int(params["TTL"]), "State": "Applied", "Message": "",
                "TrafficPolicyId": policy["Id"], "TrafficPolicyVersion": policy["Version"], "TrafficPolicyType": policy["Type"]}
    txn.put(INSTANCES, f"{account}/{iid}", instance)
    _apply(txn, account, zone, [], [_record(instance, policy)])
    return instance


def get_instance(txn: Txn, account: str, iid: str) -> dict:
    doc = txn.get(INSTANCES, f"{account}/{iid}")
    if doc is None:
        raise NoSuchTrafficPolicyInstance()
    return doc


def _current_record(txn: Txn, account: str, instance: dict) -> dict | None:
    for doc in model.zone_records(txn, account, instance["HostedZoneId"]):
        if doc.get("TrafficPolicyInstanceId") == instance["Id"]:
            return doc
    return None


def update_instance(txn: Txn, account: str, params: dict) -> dict:
    instance = get_instance(txn, account, params["Id"])
    policy = get_policy(txn, account, params["TrafficPolicyId"], params["TrafficPolicyVersion"])
    if policy["Type"] != instance["TrafficPolicyType"]:
        raise AwsError.modeled(
            "route53", "InvalidInput", "The new traffic policy version must have the same record type."
        )
    instance.update(TTL=int(params["TTL"]), TrafficPolicyId=policy["Id"], TrafficPolicyVersion=policy["Version"])
    txn.put(INSTANCES, f"{account}/{instance['Id']}", instance)
    zone = model.get_zone(txn, account, instance["HostedZoneId"])
    old = _current_record(txn, account, instance)
    _apply(txn, account, zone, [old] if old else [], [_record(instance, policy)])
    return instance


def delete_instance(txn: Txn, account: str, iid: str) -> None:
    instance = get_instance(txn, account, iid)
    txn.delete(INSTANCES, f"{account}/{iid}")
    old = _current_record(txn, account, instance)
    if old is not None:
        _apply(txn, account, model.get_zone(txn, account, instance["HostedZoneId"]), [old], [])


# --- handlers ------------------------------------------------------------------------------------
@operation("route53", "CreateTrafficPolicy")
async def create_traffic_policy(ctx: RequestContext, params: dict) -> dict:
    doc = await ctx.app.store.run(lambda txn: create_policy(txn, ctx.account_id, params["Name"], params["Document"], params.get("Comment")))
    return {"TrafficPolicy": doc, "Location": f"{LOCATION}/trafficpolicy/{doc['Id']}/1"}


@operation("route53", "CreateTrafficPolicyVersion")
async def create_traffic_policy_version(ctx: RequestContext, params: dict) -> dict:
    doc = await ctx.app.store.run(lambda txn: create_version(txn, ctx.account_id, params["Id"], params["Document"], params.get("Comment")))
    return {"TrafficPolicy": doc, "Location": f"{LOCATION}/trafficpolicy/{doc['Id']}/{doc['Version']}"}


@operation("route53", "GetTrafficPolicy")
async def get_traffic_policy(ctx: RequestContext, params: dict) -> dict:
    return {"TrafficPolicy": await ctx.app.store.read(lambda txn: get_policy(txn, ctx.account_id, params["Id"], params["Version"]))}


@operation("route53", "UpdateTrafficPolicyComment")
async def update_traffic_policy_comment(ctx: RequestContext, params: dict) -> dict:
    def change(txn: Txn) -> dict:
        doc = get_policy(txn, ctx.account_id, params["Id"], params["Version"])
        doc["Comment"] = params["Comment"]
        txn.put(POLICIES, f"{ctx.account_id}/{doc['Id']}/{doc['Version']:05d}", doc)
        return doc

    return {"TrafficPolicy": await ctx.app.store.run(change)}


@operation("route53", "DeleteTrafficPolicy")
async def delete_traffic_policy(ctx: RequestContext, params: dict) -> dict:
    await ctx.app.store.run(lambda txn: delete_policy(txn, ctx.account_id, params["Id"], params["Version"]))
    return {}


@operation("route53", "ListTrafficPolicies")
async def list_traffic_policies(ctx: RequestContext, params: dict) -> dict:
    docs = await ctx.app.store.read(lambda txn: [d for _k, d in txn.scan(POLICIES, f"{ctx.account_id}/")])
    by_id: dict[str, list[dict]] = {}
    for d in docs:
        by_id.setdefault(d["Id"], []).append(d)
    summaries = []
    for pid in sorted(by_id):
        latest = max(by_id[pid], key=lambda d: d["Version"])
        summaries.append({"Id": pid, "Name": latest["Name"], "Type": latest["Type"], "LatestVersion": latest["Version"],
                          "TrafficPolicyCount": len(by_id[pid])})
    marker = params.get("TrafficPolicyIdMarker")
    if marker:
        summaries = [s for s in summaries if s["Id"] >= marker]
    n = paging.count(params, "MaxItems", 100)
    out: dict[str, Any] = {"TrafficPolicySummaries": summaries[:n], "IsTruncated": len(summaries) > n, "MaxItems": str(n),
                           "TrafficPolicyIdMarker": summaries[n]["Id"] if len(summaries) > n else ""}
    return out


@operation("route53", "ListTrafficPolicyVersions")
async def list_traffic_policy_versions(ctx: RequestContext, params: dict) -> dict:
    docs = await ctx.app.store.read(lambda txn: _versions(txn, ctx.account_id, params["Id"]))
    if not docs:
        raise NoSuchTrafficPolicy(message=f"No traffic policy exists with ID {params['Id']}.")
    docs.sort(key=lambda d: d["Version"])
    marker = params.get("TrafficPolicyVersionMarker")
    if marker:
        docs = [d for d in docs if d["Version"] >= paging.number(marker, "TrafficPolicyVersionMarker")]
    n = paging.count(params, "MaxItems", 100)
    return {"TrafficPolicies": docs[:n], "IsTruncated": len(docs) > n, "MaxItems": str(n),
            "TrafficPolicyVersionMarker": str(docs[n]["Version"]) if len(docs) > n else ""}


@operation("route53", "CreateTrafficPolicyInstance")
async def create_traffic_policy_instance(ctx: RequestContext, params: dict) -> dict:
    doc = await ctx.app.store.run(lambda txn: create_instance(txn, ctx.account_id, params))
    return {"TrafficPolicyInstance": doc, "Location": f"{LOCATION}/trafficpolicyinstance/{doc['Id']}"}


@operation("route53", "GetTrafficPolicyInstance")
async def get_traffic_policy_instance(ctx: RequestContext, params: dict) -> dict:
    return {"TrafficPolicyInstance": await ctx.app.store.read(lambda txn: get_instance(txn, ctx.account_id, params["Id"]))}


@operation("route53", "UpdateTrafficPolicyInstance")
async def update_traffic_policy_instance(ctx: RequestContext, params: dict) -> dict:
    return {"TrafficPolicyInstance": await ctx.app.store.run(lambda txn: update_instance(txn, ctx.account_id, params))}


@operation("route53", "DeleteTrafficPolicyInstance")
async def delete_traffic_policy_instance(ctx: RequestContext, params: dict) -> dict:
    await ctx.app.store.run(lambda txn: delete_instance(txn, ctx.account_id, params["Id"]))
    return {}


@operation("route53", "GetTrafficPolicyInstanceCount")
async def get_traffic_policy_instance_count(ctx: RequestContext, params: dict) -> dict:
    return {"TrafficPolicyInstanceCount": await ctx.app.store.read(lambda txn: txn.count(INSTANCES, f"{ctx.account_id}/"))}


async def _instances(ctx: RequestContext, keep) -> list[dict]:
    docs = await ctx.app.store.read(lambda txn: [d for _k, d in txn.scan(INSTANCES, f"{ctx.account_id}/")])
    return sorted((d for d in docs if keep(d)), key=lambda d: (d["HostedZoneId"], d["Name"], d["TrafficPolicyType"]))


def _instance_page(docs: list[dict], params: dict, zone_marker: bool = True) -> dict:
    n = paging.count(params, "MaxItems", 100)
    out: dict[str, Any] = {"TrafficPolicyInstances": docs[:n], "IsTruncated": len(docs) > n, "MaxItems": str(n)}
    if len(docs) > n:
        nxt = docs[n]
        out["TrafficPolicyInstanceNameMarker"] = nxt["Name"]
        out["TrafficPolicyInstanceTypeMarker"] = nxt["TrafficPolicyType"]
        if zone_marker:
            out["HostedZoneIdMarker"] = nxt["HostedZoneId"]
    return out


@operation("route53", "ListTrafficPolicyInstances")
async def list_traffic_policy_instances(ctx: RequestContext, params: dict) -> dict:
    return _instance_page(await _instances(ctx, lambda d: True), params)


@operation("route53", "ListTrafficPolicyInstancesByHostedZone")
async def list_traffic_policy_instances_by_hosted_zone(ctx: RequestContext, params: dict) -> dict:
    zid = model.bare_id(params["HostedZoneId"])
    await ctx.app.store.read(lambda txn: model.get_zone(txn, ctx.account_id, zid))
    return _instance_page(await _instances(ctx, lambda d: d["HostedZoneId"] == zid), params, zone_marker=False)


@operation("route53", "ListTrafficPolicyInstancesByPolicy")
async def list_traffic_policy_instances_by_policy(ctx: RequestContext, params: dict) -> dict:
    pid, version = params["TrafficPolicyId"], int(params["TrafficPolicyVersion"])
    await ctx.app.store.read(lambda txn: get_policy(txn, ctx.account_id, pid, version))
    return _instance_page(await _instances(ctx, lambda d: d["TrafficPolicyId"] == pid and d["TrafficPolicyVersion"] == version), params)
