"""Receipt IP address filters (SES v1): which sending addresses an account's inbound mail is
taken from.

Table ses_receipt_filters: "{account}/{region}/{name}" -> ReceiptFilter as the API shapes it
{"Name", "IpFilter": {"Policy": "Block" | "Allow", "Cidr"}}. Writes publish "ses.receipt"
{"key"} (receipt.py's topic: what inbound mail is accepted changed).

Rules: a filter's name follows the rule name format (receipt.check_name); its Cidr is one IPv4
address or an IPv4 range in CIDR notation (host bits allowed, as AWS's own example 10.0.0.1/24
has them); names are unique per account and Region; 100 filters per account and Region (AWS's
quota); deleting a filter that does not exist succeeds (the API models no error for it).
`admits` is AWS's evaluation: an address some Block filter covers is refused unless an Allow
filter covers it too (an allow list overrides the block list: a 0.0.0.0/0 Block with Allow
filters receives only from the allowed ranges); an address no filter covers is admitted."""

from __future__ import annotations

import ipaddress
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.ses.receipt import TOPIC, check_name
from gureum.store import Txn

FILTERS = "ses_receipt_filters"
MAX_FILTERS = 100
POLICIES = ("Block", "Allow")


def _key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def _network(cidr: str) -> ipaddress.IPv4Network:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        net = None
    if not isinstance(net, ipaddress.IPv4Network):
        raise AwsError.common("InvalidParameterValue", f"Invalid CIDR <{cidr}>: it must be an IPv4 address or an "
                                                       "IPv4 address range in CIDR notation.")
    return net


def create(txn: Txn, account: str, region: str, flt: dict[str, Any]) -> None:
    name = str(flt["Name"])
    check_name(name, "filter")
    ip = dict(flt["IpFilter"])
    if ip.get("Policy") not in POLICIES:
        raise AwsError.common("InvalidParameterValue", f"Invalid policy <{ip.get('Policy')}>: it must be Block or Allow.")
    _network(str(ip["Cidr"]))
    if txn.count(FILTERS, f"{account}/{region}/") >= MAX_FILTERS:
        raise AwsError.modeled("ses", "LimitExceededException", f"Maximum number of IP address filters ({MAX_FILTERS}) exceeded.")
    doc = {"Name": name, "IpFilter": {"Policy": ip["Policy"], "Cidr": str(ip["Cidr"])}}
    if not txn.insert(FILTERS, _key(account, region, name), doc):
        raise AwsError.modeled("ses", "AlreadyExistsException", f"Filter already exists: {name}", Name=name)
    txn.publish(TOPIC, {"key": _key(account, region, name)})


def delete(txn: Txn, account: str, region: str, name: str) -> None:
    if txn.delete(FILTERS, _key(account, region, name)):
        txn.publish(TOPIC, {"key": _key(account, region, name)})


def listing(txn: Txn, account: str, region: str) -> list[dict[str, Any]]:
    return [doc for _, doc in txn.scan(FILTERS, f"{account}/{region}/")]


def admits(txn: Txn, account: str, region: str, address: str | None) -> bool:
    """Whether the account's filters take mail sent from `address` (None: unknown, taken)."""
    if not address:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    blocked = allowed = False
    for doc in listing(txn, account, region):
        if ip in _network(doc["IpFilter"]["Cidr"]):
            if doc["IpFilter"]["Policy"] == "Allow":
                allowed = True
            else:
                blocked = True
    return allowed or not blocked
