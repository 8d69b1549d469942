"""REST API Gateway's VPC links: a link names one Network Load Balancer (targetArns), and an
HTTP or HTTP_PROXY integration with connectionType VPC_LINK and connectionId = the link's id
(or `${stageVariables.<name>}`) sends its request to that load balancer's listener on the
integration URI's port (80/443 by scheme); the URI's host goes in the Host header only.

Table apigw_vpclinks: "{account}/{region}/{id}" -> {"id", "name", "description",
"targetArns", "status", "statusMessage", "tags"}.

States (AWS's): a new link is PENDING; it becomes AVAILABLE once its load balancer exists,
is a network load balancer of the link's account and Region, and is active (ELB's port);
FAILED (with AWS's statusMessage) when the load balancer is gone or no NLB. The move is
made by `settle`, run by every read of the link (GetVpcLink, GetVpcLinks) and by the data
plane's resolver, in a store transaction: no timer, and a restart loses nothing. Writes
publish "apigateway.vpclinks" {"id"} (the resolver's cache follows it and ELB's events).
"""

from __future__ import annotations

from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.services.apigateway import ids, patch
from gureum.services.apigateway.apis import TAG_RULES
from gureum.services.apigateway.errors import bad_request, not_found
from gureum.services.elbv2 import port as elb
from gureum.store import Txn

Doc = dict[str, Any]
VPCLINKS = "apigw_vpclinks"
TOPIC = "apigateway.vpclinks"
READY = "Your vpc link is ready for use"
PROVISIONING = "VPC link is provisioning ENIs"


def key(account: str, region: str, link_id: str) -> str:
    return f"{account}/{region}/{link_id}"


def _check_targets(targets: list[str], account: str, region: str) -> None:
    if len(targets) != 1:
        raise bad_request("Exactly one NLB ARN must be specified in targetArns")
    parsed = arns.try_parse(targets[0])
    if parsed is None or parsed.service != "elasticloadbalancing" or not parsed.resource.startswith("loadbalancer/net/"):
        raise bad_request(f"Invalid NLB ARN specified: {targets[0]}")
    if parsed.account != account or parsed.region != region:
        raise bad_request("The NLB must be owned by the same account and be in the same Region as the VPC link")


def create(txn: Txn, account: str, region: str, p: Doc) -> Doc:
    targets = [str(t) for t in p.get("targetArns") or []]
    _check_targets(targets, account, region)
    link_id = ids.fresh(lambda c: txn.get(VPCLINKS, key(account, region, c)) is not None, 6)
    doc: Doc = {"id": link_id, "name": p["name"], "targetArns": targets, "status": "PENDING",
                "statusMessage": PROVISIONING, "tags": tags.check(dict(p.get("tags") or {}), TAG_RULES)}
    if p.get("description"):
        doc["description"] = p["description"]
    txn.put(VPCLINKS, key(account, region, link_id), doc)
    txn.publish(TOPIC, {"id": link_id})
    return doc


def settle(txn: Txn, account: str, region: str, doc: Doc) -> Doc:
    """The link after AWS's provisioning step: PENDING -> AVAILABLE or FAILED by what its
    load balancer is now (written when it changed)."""
    if doc["status"] != "PENDING":
        return doc
    target = doc["targetArns"][0]
    found = elb.load_balancer(txn, target)
    if found is None:
        status, message = "FAILED", f"NLB ARN is malformed or the load balancer was not found: {target}"
    elif found[0] != "network":
        status, message = "FAILED", f"The load balancer is not a network load balancer: {target}"
    elif found[1] != "active":
        return doc
    else:
        status, message = "AVAILABLE", READY
    new = {**doc, "status": status, "statusMessage": message}
    txn.put(VPCLINKS, key(account, region, doc["id"]), new)
    txn.publish(TOPIC, {"id": doc["id"]})
    return new


def get(txn: Txn, account: str, region: str, link_id: str) -> Doc:
    doc = txn.get(VPCLINKS, key(account, region, link_id))
    if doc is None:
        raise not_found("VPC link not found")
    return settle(txn, account, region, doc)


def listing(txn: Txn, account: str, region: str, position: str | None, limit: int | None) -> tuple[list[Doc], str | None]:
    rows, nxt = paging.page(txn, VPCLINKS, f"{account}/{region}/", token=position, limit=limit, default_limit=25,
                            max_limit=500, error=lambda: bad_request("Invalid position parameter"))
    return [settle(txn, account, region, d) for _, d in rows], nxt


def update(txn: Txn, account: str, region: str, link_id: str, operations: list[Doc] | None) -> Doc:
    doc = get(txn, account, region, link_id)
    new = patch.apply(doc, operations, patch.Fields(scalars={"name": patch.as_str, "description": patch.as_str}))
    txn.put(VPCLINKS, key(account, region, link_id), new)
    txn.publish(TOPIC, {"id": link_id})
    return new


def delete(txn: Txn, account: str, region: str, link_id: str) -> None:
    get(txn, account, region, link_id)
    txn.delete(VPCLINKS, key(account, region, link_id))
    txn.publish(TOPIC, {"id": link_id})


def endpoint(txn: Txn, account: str, region: str, link_id: str, port: int) -> tuple[str, int, bool] | None:
    """(address, port, TLS listener) the link's load balancer answers on for a URI's `port`:
    its listener on that port; None when the link is unknown, failed, or has no such listener."""
    doc = txn.get(VPCLINKS, key(account, region, link_id))
    if doc is None:
        return None
    doc = settle(txn, account, region, doc)
    if doc["status"] != "AVAILABLE":
        return None
    for e in elb.endpoints(txn, doc["targetArns"][0]):
        if e.port == port and e.protocol in ("TCP", "TCP_UDP", "TLS"):
            return e.address, e.port, e.protocol == "TLS"
    return None
