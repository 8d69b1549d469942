"""Target groups: the store layout and AWS's rules (protocols per target type, health check
defaults per protocol, idempotent creation by name, deletion refused while in use).

Tables:
- elbv2_tgs: "{account}/{region}/{tg id}" -> the TargetGroup shape's members plus "id",
  "CreatedTime", "attributes": {key: value}, "tags": {k: v}.
- elbv2_tg_names: "{account}/{region}/{name lower-case}" -> {"id"}.

LoadBalancerArns is not stored: it is derived from the listeners and rules that forward to
the group (listeners.py `users`). Writes publish "elbv2.tg" {"key"}.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.services.elbv2 import attributes, names, tagging
from gureum.services.elbv2.names import validation
from gureum.store import Txn

TGS = "elbv2_tgs"
TG_NAMES = "elbv2_tg_names"
TOPIC = "elbv2.tg"
HTTP_PROTOCOLS = ("HTTP", "HTTPS")
NET_PROTOCOLS = ("TCP", "TLS", "UDP", "TCP_UDP")
_HC_KEYS = ("HealthCheckProtocol", "HealthCheckPort", "HealthCheckEnabled", "HealthCheckPath",
            "HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds", "HealthyThresholdCount",
            "UnhealthyThresholdCount", "Matcher")
Doc = dict[str, Any]


def key(account: str, region: str, tg_id: str) -> str:
    return f"{account}/{region}/{tg_id}"


def not_found(message: str = "One or more target groups not found") -> AwsError:
    return AwsError.modeled("elbv2", "TargetGroupNotFound", message)


def get(txn: Txn, tg_arn: str) -> tuple[str, Doc]:
    ref = names.parse(tg_arn, "targetgroup")
    if ref is None:
        raise validation(f"'{tg_arn}' is not a valid target group ARN")
    k = key(ref.account, ref.region, ref.parts[-1])
    doc = txn.get(TGS, k)
    if doc is None or doc["TargetGroupArn"] != tg_arn:
        raise not_found()
    return k, doc


def _health_defaults(target_type: str, protocol: str | None) -> Doc:
    if target_type == "lambda":
        return {"HealthCheckEnabled": False, "HealthCheckIntervalSeconds": 35, "HealthCheckTimeoutSeconds": 30,
                "HealthyThresholdCount": 5, "UnhealthyThresholdCount": 2, "HealthCheckPath": "/",
                "Matcher": {"HttpCode": "200"}}
    if protocol in HTTP_PROTOCOLS:
        return {"HealthCheckProtocol": protocol, "HealthCheckPort": "traffic-port", "HealthCheckEnabled": True,
                "HealthCheckIntervalSeconds": 30, "HealthCheckTimeoutSeconds": 5, "HealthyThresholdCount": 5,
                "UnhealthyThresholdCount": 2, "HealthCheckPath": "/", "Matcher": {"HttpCode": "200"}}
    return {"HealthCheckProtocol": "TCP", "HealthCheckPort": "traffic-port", "HealthCheckEnabled": True,
            "HealthCheckIntervalSeconds": 30, "HealthCheckTimeoutSeconds": 10, "HealthyThresholdCount": 5,
            "UnhealthyThresholdCount": 2}


def _apply_health(doc: Doc, p: Doc) -> None:
    """Health check members of a create or modify request over `doc`'s, with AWS's checks."""
    hc_protocol = p.get("HealthCheckProtocol")
    if hc_protocol is not None:
        if doc["TargetType"] == "lambda":
            raise validation("Health check protocol cannot be specified for target groups with target type 'lambda'")
        if doc.get("Protocol") in HTTP_PROTOCOLS and hc_protocol not in HTTP_PROTOCOLS:
            raise validation(f"Health check protocol '{hc_protocol}' is not supported for target groups with the "
                             f"'{doc['Protocol']}' protocol")
        doc["HealthCheckProtocol"] = hc_protocol
        if hc_protocol in HTTP_PROTOCOLS:
            timeout = 6 if doc.get("Protocol") in NET_PROTOCOLS else 5
            doc.setdefault("HealthCheckPath", "/")
            doc.setdefault("Matcher", {"HttpCode": "200-399" if doc.get("Protocol") in NET_PROTOCOLS else "200"})
            if "HealthCheckTimeoutSeconds" not in p and doc.get("HealthCheckProtocol") != hc_protocol:
                doc["HealthCheckTimeoutSeconds"] = timeout
        else:
            doc.pop("HealthCheckPath", None)
            doc.pop("Matcher", None)
    for member in ("HealthCheckPort", "HealthCheckEnabled", "HealthCheckIntervalSeconds",
                   "HealthCheckTimeoutSeconds", "HealthyThresholdCount", "UnhealthyThresholdCount"):
        if p.get(member) is not None:
            doc[member] = p[member]
    if p.get("HealthCheckPath") is not None:
        if doc.get("HealthCheckProtocol", "HTTP") not in HTTP_PROTOCOLS and doc["TargetType"] != "lambda":
            raise validation("A health check path can only be specified for HTTP or HTTPS health checks")
        if not p["HealthCheckPath"].startswith("/"):
            raise validation("Health check path must begin with a '/' character")
        doc["HealthCheckPath"] = p["HealthCheckPath"]
    if p.get("Matcher") is not None:
        if doc.get("HealthCheckProtocol", "HTTP") not in HTTP_PROTOCOLS and doc["TargetType"] != "lambda":
            raise validation("A health check matcher can only be specified for HTTP or HTTPS health checks")
        code = p["Matcher"].get("HttpCode")
        if code is None or not _matcher_ok(code):
            raise validation(f"Health check matcher HTTP code '{code}' must be a value between '200' and '499'")
        doc["Matcher"] = {"HttpCode": code}
    port = doc.get("HealthCheckPort")
    if port is not None and port != "traffic-port" and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise validation(f"Health check port '{port}' must be 'traffic-port' or a number between 1 and 65535")
    if doc["HealthCheckTimeoutSeconds"] >= doc["HealthCheckIntervalSeconds"] and doc["TargetType"] != "lambda":
        raise validation(f"Health check timeout '{doc['HealthCheckTimeoutSeconds']}' must be smaller than the interval "
                         f"'{doc['HealthCheckIntervalSeconds']}'")


def _matcher_ok(code: str) -> bool:
    for part in code.split(","):
        bounds = part.split("-")
        if len(bounds) > 2 or not all(b.isdigit() and 200 <= int(b) <= 499 for b in bounds):
            return False
    return True


def matches(code: str, status: int) -> bool:
    """Whether an HTTP status satisfies a matcher ("200", "200,202", "200-299")."""
    for part in code.split(","):
        lo, _, hi = part.partition("-")
        if int(lo) <= status <= int(hi or lo):
            return True
    return False


def create(txn: Txn, account: str, region: str, p: Doc, now: float, limit: int) -> Doc:
    name: str = p["Name"]
    names.check_tg_name(name)
    target_type = p.get("TargetType") or "instance"
    protocol, port, vpc = p.get("Protocol"), p.get("Port"), p.get("VpcId")
    if target_type == "lambda":
        for member, value in (("Protocol", protocol), ("Port", port), ("VPC ID", vpc)):
            if value is not None:
                raise validation(f"{member} cannot be specified for target groups with target type 'lambda'")
    else:
        if protocol is None:
            raise validation("A protocol must be specified")
        if port is None:
            raise validation("A port must be specified")
        if vpc is None:
            raise validation("A VPC ID must be specified")
        if protocol not in HTTP_PROTOCOLS + NET_PROTOCOLS:
            raise validation(f"Protocol '{protocol}' is not supported for target groups")
    doc: Doc = {"TargetGroupName": name, "TargetType": target_type}
    if target_type != "lambda":
        doc |= {"Protocol": protocol, "Port": port, "VpcId": vpc, "IpAddressType": p.get("IpAddressType") or "ipv4"}
        if protocol in HTTP_PROTOCOLS:
            doc["ProtocolVersion"] = p.get("ProtocolVersion") or "HTTP1"
        elif p.get("ProtocolVersion"):
            raise validation(f"Protocol version cannot be specified for target groups with the '{protocol}' protocol")
    doc |= _health_defaults(target_type, protocol)
    _apply_health(doc, p)
    existing = txn.get(TG_NAMES, key(account, region, name.lower()))
    if existing is not None:
        old = txn.get(TGS, key(account, region, existing["id"]))
        if old is not None:
            mine = {k: v for k, v in doc.items()}
            theirs = {k: old.get(k) for k in mine}
            if mine != theirs:
                raise AwsError.modeled("elbv2", "DuplicateTargetGroupName",
                                       f"A target group with the same name '{name}' exists, but with different settings")
            return old
    if txn.count(TG_NAMES, f"{account}/{region}/") >= limit:
        raise AwsError.modeled("elbv2", "TooManyTargetGroups", "The quota for the number of target groups has been reached")
    tg_id = names.new_id()
    k = key(account, region, tg_id)
    doc = {"TargetGroupArn": arns.elbv2_target_group(region, account, name, tg_id), **doc, "id": tg_id,
           "CreatedTime": now, "attributes": attributes.tg_defaults(target_type, protocol),
           "tags": tagging.checked(p.get("Tags"))}
    txn.put(TGS, k, doc)
    txn.put(TG_NAMES, key(account, region, name.lower()), {"id": tg_id})
    txn.publish(TOPIC, {"key": k})
    return doc


def public(doc: Doc, lb_arns: list[str]) -> Doc:
    out = {k: v for k, v in doc.items() if k[0].isupper() and k != "CreatedTime"}
    out["LoadBalancerArns"] = lb_arns
    return out


def describe(txn: Txn, account: str, region: str, p: Doc, lbs_of: Callable[[Txn, str], list[str]],
             in_lb: Callable[[Txn, str], set[str]]) -> tuple[list[Doc], str | None]:
    """DescribeTargetGroups by ARNs, names or load balancer (`in_lb(txn, lb_arn)`: the ARNs of the
    groups its listeners and rules use); `lbs_of(txn, tg_arn)` fills LoadBalancerArns."""
    arn_list = p.get("TargetGroupArns") or []
    name_list = p.get("Names") or []
    lb_arn = p.get("LoadBalancerArn")
    if sum(bool(x) for x in (arn_list, name_list, lb_arn)) > 1:
        raise validation("Target group ARNs, names and a load balancer ARN cannot be specified at the same time")
    prefix = f"{account}/{region}/"
    if arn_list:
        docs = [get(txn, a)[1] for a in arn_list]
    elif name_list:
        docs, missing = [], []
        for n in name_list:
            row = txn.get(TG_NAMES, key(account, region, n.lower()))
            doc = txn.get(TGS, key(account, region, row["id"])) if row else None
            if doc is None:
                missing.append(n)
            else:
                docs.append(doc)
        if missing:
            raise not_found(f"Target groups '[{', '.join(missing)}]' not found")
    else:
        docs = [d for _, d in txn.scan(TGS, prefix)]
        if lb_arn:
            used = in_lb(txn, lb_arn)
            docs = [d for d in docs if d["TargetGroupArn"] in used]
    docs.sort(key=lambda d: (d["CreatedTime"], d["id"]))
    page, marker = paging.page_items(docs, lambda d: d["TargetGroupArn"], listing=f"elbv2.tgs/{prefix}",
                                     token=p.get("Marker"), limit=p.get("PageSize"), default_limit=400,
                                     max_limit=400, ordered=False, filters={"a": arn_list, "n": name_list, "l": lb_arn},
                                     error=lambda: validation("Invalid marker"))
    return [public(d, lbs_of(txn, d["TargetGroupArn"])) for d in page], marker


def modify(txn: Txn, tg_arn: str, p: Doc) -> Doc:
    k, doc = get(txn, tg_arn)
    _apply_health(doc, p)
    txn.put(TGS, k, doc)
    txn.publish(TOPIC, {"key": k})
    return doc


def modify_attributes(txn: Txn, tg_arn: str, changes: list[Doc]) -> dict[str, str]:
    k, doc = get(txn, tg_arn)
    doc["attributes"] = attributes.apply(doc["attributes"], changes, "Target group")
    txn.put(TGS, k, doc)
    txn.publish(TOPIC, {"key": k})
    return dict(doc["attributes"])


def delete(txn: Txn, tg_arn: str, in_use: Callable[[Txn, str], bool], drop_targets: Callable[[Txn, str], None]) -> None:
    """DeleteTargetGroup: refused (ResourceInUse) while a listener or rule forwards to it;
    succeeds for one that does not exist."""
    try:
        k, doc = get(txn, tg_arn)
    except AwsError as e:
        if e.code == "TargetGroupNotFound":
            return
        raise
    if in_use(txn, tg_arn):
        raise AwsError.modeled("elbv2", "ResourceInUse", f"Target group '{tg_arn}' is currently in use by a listener or a rule")
    drop_targets(txn, k)
    txn.delete(TGS, k)
    acct, region, _ = k.split("/")
    txn.delete(TG_NAMES, key(acct, region, doc["TargetGroupName"].lower()))
    txn.publish(TOPIC, {"key": k, "deleted": True})
