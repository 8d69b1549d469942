"""CIDR collections (IP-based routing): the store layout, AWS's rules and the API handlers.

  route53.cidr     {account}/{collection id}  {"Id","Arn","Name","Version","Locations":{name: [blocks]}}
  route53.cidrrefs {account}/{caller reference} -> collection id

Every change publishes a "cidr" event on model.EVENT_TOPIC; the DNS server's index keeps a
longest-prefix table per collection (routing.CidrTable).
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.route53 import model, paging
from gureum.store import Txn

CIDR = model.CIDR  # the table model.check_cidr_routing reads as well
CIDR_REFS = "route53.cidrrefs"
MAX_COLLECTIONS = 5
MAX_BLOCKS = 1000
_LOCATION = re.compile(r"^[0-9A-Za-z_\-]{1,16}$")


def get_collection(txn: Txn, account: str, cid: str) -> dict:
    doc = txn.get(CIDR, f"{account}/{cid}")
    if doc is None:
        raise AwsError.modeled(
            "route53", "NoSuchCidrCollectionException", "The CIDR collection you specified, doesn't exist."
        )
    return doc


def _publish(txn: Txn, doc: dict | None, cid: str) -> None:
    txn.publish(model.EVENT_TOPIC, {"kind": "cidr", "collection_id": cid,
                                    "locations": doc["Locations"] if doc is not None else None})


def create(txn: Txn, account: str, name: str, ref: str) -> dict:
    known = txn.get(CIDR_REFS, f"{account}/{ref}")
    if known is not None:
        doc = txn.get(CIDR, f"{account}/{known['Id']}")
        if doc is not None and doc["Name"] == name:
            return doc
        raise AwsError.modeled(
            "route53",
            "CidrCollectionAlreadyExistsException",
            "A CIDR collection with the same caller reference already exists.",
        )
    if any(d["Name"] == name for _k, d in txn.scan(CIDR, f"{account}/")):
        raise AwsError.modeled(
            "route53", "CidrCollectionAlreadyExistsException", f"A CIDR collection with the name {name} already exists."
        )
    if txn.count(CIDR, f"{account}/") >= MAX_COLLECTIONS:
        raise AwsError.modeled(
            "route53", "LimitsExceeded", "This operation would exceed the limit of 5 CIDR collections per account."
        )
    cid = str(uuid.uuid4())
    doc = {"Id": cid, "Arn": arns.route53_cidrcollection(cid), "Name": name, "Version": 1, "Locations": {}}
    txn.put(CIDR, f"{account}/{cid}", doc)
    txn.put(CIDR_REFS, f"{account}/{ref}", {"Id": cid})
    _publish(txn, doc, cid)
    return doc


def _block(text: str) -> str:
    try:
        net = ipaddress.ip_network(text, strict=True)
    except ValueError:
        raise AwsError.modeled("route53", "InvalidInput", f"Invalid CIDR block: {text}") from None
    limit = 24 if net.version == 4 else 48
    if not 1 <= net.prefixlen <= limit:
        raise AwsError.modeled(
            "route53",
            "InvalidInput",
            f"CIDR block {text} has an invalid prefix length: IPv4 /1 to /24, IPv6 /1 to /48.",
        )
    return str(net)


def change(txn: Txn, account: str, cid: str, version: int | None, changes: list[dict]) -> dict:
    doc = get_collection(txn, account, cid)
    if version is not None and int(version) != doc["Version"]:
        raise AwsError.modeled(
            "route53",
            "CidrCollectionVersionMismatchException",
            "The CIDR collection version you provided, doesn't match the one in the ListCidrCollections operation.",
        )
    locs = {k: list(v) for k, v in doc["Locations"].items()}
    for ch in changes:
        loc = ch["LocationName"]
        if not _LOCATION.match(loc):
            raise AwsError.modeled("route53", "InvalidInput", f"Invalid location name: {loc}")
        blocks = [_block(b) for b in ch["CidrList"]]
        if ch["Action"] == "PUT":
            cur = locs.setdefault(loc, [])
            for b in blocks:
                owner = next((n for n, bs in locs.items() if b in bs), None)
                if owner is not None and owner != loc:
                    raise AwsError.modeled("route53", "InvalidInput", f"CIDR block {b} is already in location {owner}.")
                if b not in cur:
                    cur.append(b)
        else:  # DELETE_IF_EXISTS
            existing = locs.get(loc)
            if existing is None:
                continue
            cur = existing
            remaining = [b for b in cur if b not in blocks]
            if not remaining and _location_in_use(txn, account, cid, loc):
                raise AwsError.modeled(
                    "route53", "CidrBlockInUseException", f"Location {loc} is in use by a resource record set."
                )
            if remaining:
                locs[loc] = remaining
            else:
                del locs[loc]
    if sum(len(v) for v in locs.values()) > MAX_BLOCKS:
        raise AwsError.modeled(
            "route53", "LimitsExceeded", "This operation would exceed the limit of 1000 CIDR blocks per collection."
        )
    doc["Locations"] = locs
    doc["Version"] += 1
    txn.put(CIDR, f"{account}/{cid}", doc)
    _publish(txn, doc, cid)
    return doc


def _location_in_use(txn: Txn, account: str, cid: str, loc: str | None) -> bool:
    for _k, rec in txn.scan(model.RECORDS, f"{account}/"):
        c = rec.get("CidrRoutingConfig") or {}
        if c.get("CollectionId") == cid and (loc is None or c.get("LocationName") == loc):
            return True
    return False


def delete(txn: Txn, account: str, cid: str) -> None:
    doc = get_collection(txn, account, cid)
    if doc["Locations"] or _location_in_use(txn, account, cid, None):
        raise AwsError.modeled(
            "route53", "CidrCollectionInUseException", "This CIDR collection is in use, and isn't empty."
        )
    txn.delete(CIDR, f"{account}/{cid}")
    _publish(txn, None, cid)


def load_all(txn: Txn) -> list[dict]:
    return [doc for _k, doc in txn.scan(CIDR)]


# --- handlers ----------------------------------------------------------------------------------
def _summary(doc: dict) -> dict:
    return {k: doc[k] for k in ("Arn", "Id", "Name", "Version")}


def _page(items: list, key: Callable[[Any], paging.Sortable], listing: str, params: dict) -> tuple[list, str | None]:
    page, token, _ = paging.page(items, key, listing, params)
    return page, token


@operation("route53", "CreateCidrCollection")
async def create_cidr_collection(ctx: RequestContext, params: dict) -> dict:
    doc = await ctx.app.store.run(lambda txn: create(txn, ctx.account_id, params["Name"], params["CallerReference"]))
    return {"Collection": _summary(doc), "Location": f"{model_location()}/cidrcollection/{doc['Id']}"}


def model_location() -> str:
    return "https://route53.amazonaws.com/2013-04-01"


@operation("route53", "ChangeCidrCollection")
async def change_cidr_collection(ctx: RequestContext, params: dict) -> dict:
    doc = await ctx.app.store.run(lambda txn: change(txn, ctx.account_id, params["Id"], params.get("CollectionVersion"), params["Changes"]))
    return {"Id": doc["Id"]}


@operation("route53", "DeleteCidrCollection")
async def delete_cidr_collection(ctx: RequestContext, params: dict) -> dict:
    await ctx.app.store.run(lambda txn: delete(txn, ctx.account_id, params["Id"]))
    return {}


@operation("route53", "ListCidrCollections")
async def list_cidr_collections(ctx: RequestContext, params: dict) -> dict:
    docs = await ctx.app.store.read(lambda txn: [d for _k, d in txn.scan(CIDR, f"{ctx.account_id}/")])
    page, token = _page(sorted(docs, key=lambda d: (d["Name"], d["Id"])), lambda d: (d["Name"], d["Id"]), f"{CIDR}/{ctx.account_id}/", params)
    out: dict[str, Any] = {"CidrCollections": [_summary(d) for d in page]}
    if token:
        out["NextToken"] = token
    return out


@operation("route53", "ListCidrLocations")
async def list_cidr_locations(ctx: RequestContext, params: dict) -> dict:
    doc = await ctx.app.store.read(lambda txn: get_collection(txn, ctx.account_id, params["CollectionId"]))
    page, token = _page(sorted(doc["Locations"]), str, f"cidr-locations/{ctx.account_id}/{doc['Id']}", params)
    out: dict[str, Any] = {"CidrLocations": [{"LocationName": n} for n in page]}
    if token:
        out["NextToken"] = token
    return out


@operation("route53", "ListCidrBlocks")
async def list_cidr_blocks(ctx: RequestContext, params: dict) -> dict:
    doc = await ctx.app.store.read(lambda txn: get_collection(txn, ctx.account_id, params["CollectionId"]))
    loc = params.get("LocationName")
    if loc and loc not in doc["Locations"]:
        raise AwsError.modeled(
            "route53",
            "NoSuchCidrLocationException",
            "The CIDR collection location doesn't match any location in your account.",
        )
    items = sorted(({"CidrBlock": b, "LocationName": n} for n, bs in doc["Locations"].items() if not loc or n == loc for b in bs),
                   key=lambda x: (x["LocationName"], x["CidrBlock"]))
    page, token = _page(items, lambda x: (x["LocationName"], x["CidrBlock"]), f"cidr-blocks/{ctx.account_id}/{doc['Id']}/{loc or ''}", params)
    out: dict[str, Any] = {"CidrBlocks": page}
    if token:
        out["NextToken"] = token
    return out
