"""TagResource / UntagResource / GetTags of API Gateway v2 over every taggable ARN: APIs and
stages (model.py keeps their tags in their documents), custom domain names
(`arn:aws:apigateway:<region>::/domainnames/<name>`: the "tags" of the record in REST API
Gateway's one store of domain names, apigateway/port.py, so v1's GetTags sees the same tags)
and VPC links (`arn:aws:apigateway:<region>::/vpclinks/<id>`: "Tags" of the link in
vpclinks.py's table). AWS's tag rules (model.TAG_RULES) apply to all; an ARN naming nothing of
the caller's account and Region is NotFoundException."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import tags
from gureum.services.apigateway import port as domain_store
from gureum.services.apigatewayv2 import model, vpclinks
from gureum.services.apigatewayv2.model import TAG_RULES, not_found
from gureum.store import Txn


def _kind(resource_arn: str, region: str) -> tuple[str, str, str] | None:
    """("domainnames" | "vpclinks", its name or id, its Region) for those ARNs, else None."""
    f = arns.try_parse(resource_arn)
    if f is None or f.service != "apigateway":
        return None
    parts = f.resource.split("/")
    if len(parts) == 3 and parts[0] == "" and parts[1] in ("domainnames", "vpclinks") and parts[2]:
        return parts[1], parts[2], f.region or region
    return None


def _read(txn: Txn, account: str, kind: str, name: str, region: str) -> dict[str, str]:
    if kind == "domainnames":
        return dict(domain_store.domain(txn, account, region, name).get("tags") or {})
    doc = txn.get(vpclinks.VPCLINKS, vpclinks.key(account, region, name))
    if doc is None:
        raise not_found(f"Invalid VpcLink identifier specified {account}:{name}")
    return dict(doc.get("Tags") or {})


def _write(txn: Txn, account: str, kind: str, name: str, region: str, new: dict[str, str]) -> None:
    if kind == "domainnames":
        domain_store.replace_domain(txn, account, region, name, {"tags": new})
        return
    k = vpclinks.key(account, region, name)
    doc: dict[str, Any] = dict(txn.get(vpclinks.VPCLINKS, k) or {})
    doc["Tags"] = new
    txn.put(vpclinks.VPCLINKS, k, doc)
    txn.publish(vpclinks.TOPIC, {"id": name})


def tag_resource(txn: Txn, account: str, region: str, resource_arn: str, add: dict[str, str]) -> None:
    found = _kind(resource_arn, region)
    if found is None:
        model.tag_resource(txn, account, region, resource_arn, add)
        return
    kind, name, where = found
    current = _read(txn, account, kind, name, where)
    _write(txn, account, kind, name, where, tags.apply(current, tags.check(add, TAG_RULES), (), TAG_RULES))


def untag_resource(txn: Txn, account: str, region: str, resource_arn: str, keys: Iterable[str]) -> None:
    found = _kind(resource_arn, region)
    if found is None:
        model.untag_resource(txn, account, region, resource_arn, keys)
        return
    kind, name, where = found
    current = _read(txn, account, kind, name, where)
    _write(txn, account, kind, name, where, tags.apply(current, {}, keys, TAG_RULES))


def get_tags(txn: Txn, account: str, region: str, resource_arn: str) -> dict[str, str]:
    found = _kind(resource_arn, region)
    if found is None:
        return model.get_tags(txn, account, region, resource_arn)
    kind, name, where = found
    return _read(txn, account, kind, name, where)
