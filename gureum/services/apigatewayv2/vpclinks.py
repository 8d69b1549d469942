"""API Gateway v2's VPC links and the private integrations that use them.

Table `apigwv2_vpclinks`: "{account}/{region}/{VpcLinkId}" -> the VpcLink as GetVpcLink
shapes it (CreatedDate as epoch seconds). A link names subnets and security groups only (as
AWS's do): an HTTP_PROXY integration with ConnectionType VPC_LINK and ConnectionId = the
link's id names its target in IntegrationUri: an ALB or NLB listener ARN (ELB's port:
where the listener answers on this machine; HTTP/TCP listeners are reached over http,
HTTPS/TLS ones over https) or a Cloud Map service ARN (servicediscovery's port: a healthy
instance's AWS_INSTANCE_IPV4 and AWS_INSTANCE_PORT, 80 when it has none, picked at random).

States: PENDING when made ("VPC link is provisioning ENIs"), AVAILABLE from its first read
on (gureum provisions no network interfaces: the move is `settle`, run by every read and by
the data plane, in a store transaction). Writes publish TOPIC {"id"}.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.services.apigatewayv2 import model
from gureum.services.apigatewayv2.model import TAG_RULES, bad_request, not_found
from gureum.services.elbv2 import port as elb
from gureum.services.servicediscovery import port as cloudmap
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Event

Doc = dict[str, Any]
VPCLINKS = "apigwv2_vpclinks"
TOPIC = "apigatewayv2.vpclinks"
PROVISIONING = "VPC link is provisioning ENIs"
READY = "VPC link is ready to route traffic"
Target = tuple[str, str, int]  # scheme, address, port


def key(account: str, region: str, link_id: str) -> str:
    return f"{account}/{region}/{link_id}"


def create(txn: Txn, account: str, region: str, p: Doc, now: float) -> Doc:
    subnets = list(p.get("SubnetIds") or [])
    if not subnets:
        raise bad_request("SubnetIds must contain at least one subnet")
    while True:
        link_id = model.new_id(6)
        if txn.get(VPCLINKS, key(account, region, link_id)) is None:
            break
    doc: Doc = {"VpcLinkId": link_id, "Name": p["Name"], "SubnetIds": subnets,
                "SecurityGroupIds": list(p.get("SecurityGroupIds") or []), "CreatedDate": now,
                "VpcLinkStatus": "PENDING", "VpcLinkStatusMessage": PROVISIONING, "VpcLinkVersion": "V2",
                "Tags": tags.check(dict(p.get("Tags") or {}), TAG_RULES)}
    txn.put(VPCLINKS, key(account, region, link_id), doc)
    txn.publish(TOPIC, {"id": link_id})
    return doc


def settle(txn: Txn, account: str, region: str, doc: Doc) -> Doc:
    if doc["VpcLinkStatus"] != "PENDING":
        return doc
    new = {**doc, "VpcLinkStatus": "AVAILABLE", "VpcLinkStatusMessage": READY}
    txn.put(VPCLINKS, key(account, region, doc["VpcLinkId"]), new)
    txn.publish(TOPIC, {"id": doc["VpcLinkId"]})
    return new


def get(txn: Txn, account: str, region: str, link_id: str) -> Doc:
    doc = txn.get(VPCLINKS, key(account, region, link_id))
    if doc is None:
        raise not_found(f"Invalid VpcLink identifier specified {account}:{link_id}")
    return settle(txn, account, region, doc)


def listing(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    rows, nxt = paging.page(txn, VPCLINKS, f"{account}/{region}/", token=p.get("NextToken"), limit=model._limit(p),
                            default_limit=100, max_limit=500, error=lambda: bad_request("Invalid NextToken"))
    return [settle(txn, account, region, d) for _, d in rows], nxt


def update(txn: Txn, account: str, region: str, p: Doc) -> Doc:
    doc = get(txn, account, region, p["VpcLinkId"])
    if p.get("Name"):
        doc = {**doc, "Name": p["Name"]}
    txn.put(VPCLINKS, key(account, region, doc["VpcLinkId"]), doc)
    txn.publish(TOPIC, {"id": doc["VpcLinkId"]})
    return doc


def delete(txn: Txn, account: str, region: str, link_id: str) -> None:
    get(txn, account, region, link_id)
    txn.delete(VPCLINKS, key(account, region, link_id))
    txn.publish(TOPIC, {"id": link_id})


def targets(txn: Txn, account: str, region: str, link_id: str, uri: str) -> list[Target]:
    """Where a private integration through link `link_id` to `uri` may go (empty: nowhere)."""
    doc = txn.get(VPCLINKS, key(account, region, link_id))
    if doc is None:
        return []
    settle(txn, account, region, doc)
    parsed = arns.try_parse(uri)
    if parsed is None or parsed.account != account or parsed.region != region:
        return []
    if parsed.service == "elasticloadbalancing":
        found = elb.listener_endpoint(txn, uri)
        if found is None:
            return []
        return [("https" if found.protocol in ("HTTPS", "TLS") else "http", found.address, found.port)]
    if parsed.service == "servicediscovery":
        out: list[Target] = []
        for inst in cloudmap.healthy_instances(txn, account, region, uri) or []:
            address = inst.attributes.get("AWS_INSTANCE_IPV4")
            port = inst.attributes.get("AWS_INSTANCE_PORT") or "80"
            if address and port.isdigit():
                out.append(("http", address, int(port)))
        return out
    return []


class Resolver:
    """The data plane's cache of listener targets (one node, unshared store: dropped on every
    VPC link and ELB event); Cloud Map targets, and any target when nodes share the store,
    are read per request."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._cache: dict[tuple[str, str, str, str], list[Target]] = {}
        self._generation = 0
        app.store.subscribe(TOPIC, self._on_change)
        app.store.subscribe(elb.TOPICS, self._on_change)

    def _on_change(self, event: Event) -> None:
        self._generation += 1
        self._cache.clear()

    async def pick(self, account: str, region: str, link_id: str, uri: str) -> Target | None:
        k = (account, region, link_id, uri)
        found = self._cache.get(k)
        if found is None:
            generation = self._generation
            found = await self.app.store.run(lambda t: targets(t, account, region, link_id, uri))
            cacheable = found and not self.app.store.shared and ":elasticloadbalancing:" in uri
            if cacheable and generation == self._generation:
                if len(self._cache) > 10000:
                    self._cache.clear()
                self._cache[k] = found
        return random.choice(found) if found else None
