"""The price table: AWS's public list price of each metered unit, per Region, and the usage
type AWS bills it under.

The table ships as `price_list.json` next to this module (its "date" and "source" say where
the prices come from); the setting `billing.price_file` names another file of the same shape
to use instead. Shape:
  {"date", "source", "currency",
   "regions": {"<region>": {"prefix": "USE1", ["unprefixed": ["BoxUsage:", ...]],
                            "usage": {"<key>": {"price", ["per"], "unit", "service", "operation", ["usage_type"]}}}
               | {"same_as": "<region>", "prefix": "USW2", ["unprefixed"]},
               "global": {...}},           # Route 53: usage types without a Region prefix
   "lambda_free_tier": {"requests", "gb_seconds"},
   "free_tiers": {"<key>": {"quantity", "per": "month" | "hour"}}}  # per account, every Region together
A rate's usage type is "<prefix>-<usage_type or key>" ("USE1-Lambda-GB-Second"), or the bare
name under an empty prefix ("DNS-Queries"), or under a name starting with one of the Region's
own "unprefixed" starts (not inherited through "same_as"): AWS bills EC2 instance hours in
us-east-1 as "BoxUsage:t3.micro" but in us-west-2 as "USW2-BoxUsage:t3.micro". A Region the
table does not list is priced as us-east-1 under its own prefix (REGION_PREFIXES), so its
usage types still name the Region.
EC2 instance hours are keyed by their usage type, "BoxUsage:<instance type>" (Linux
on-demand, per hour): `instance_hours()` finds one, None for a type the table does not price.
"price" is per "per" units (default 1): AWS publishes requests per million or per thousand.
A rate may have "tiers": [[units a month per account up to which the band runs (null: no end),
price per unit], ...] (Cognito's MAUs; its free MAUs are a band at 0): `tiers()` reads them.
"free_tiers" are monthly free quantities (DynamoDB's 25 GB and 25 provisioned RCU/WCU, Route
53's 50 health checks of AWS endpoints): "month" is a quantity per calendar month, "hour" a
quantity for each hour of the month (`free_quantity`). line_items.with_free_tier applies both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_FILE = Path(__file__).with_name("price_list.json")
BASE_REGION = "us-east-1"

# AWS's usage-type prefixes of the Regions (the billing console's names).
REGION_PREFIXES = {
    "us-east-1": "USE1", "us-east-2": "USE2", "us-west-1": "USW1", "us-west-2": "USW2",
    "ca-central-1": "CAN1", "eu-west-1": "EU", "eu-west-2": "EUW2", "eu-west-3": "EUW3",
    "eu-central-1": "EUC1", "eu-north-1": "EUN1", "eu-south-1": "EUS1", "ap-northeast-1": "APN1",
    "ap-northeast-2": "APN2", "ap-northeast-3": "APN3", "ap-southeast-1": "APS1", "ap-southeast-2": "APS2",
    "ap-south-1": "APS3", "sa-east-1": "SAE1", "me-south-1": "MES1", "af-south-1": "AFS1",
}  # fmt: skip


# The units gureum meters (gureum/billing/line_items.py, requests.py): a price file has them all.
REQUIRED = {
    BASE_REGION: (
        "Lambda-GB-Second", "Lambda-GB-Second-ARM", "Request", "Request-ARM", "Fargate-vCPU-Hours:perCPU", "Fargate-GB-Hours",
        "Fargate-ARM-vCPU-Hours:perCPU", "Fargate-ARM-GB-Hours", "Fargate-EphemeralStorage-GB-Hours", "Requests-Tier1",
        "Requests-Tier2", "Requests-RBP", "Requests-FIFO-RBP", "SNS-Requests-Tier1",
        "Lambda-Provisioned-Concurrency", "Lambda-Provisioned-Concurrency-ARM", "Lambda-Provisioned-GB-Second",
        "Lambda-Provisioned-GB-Second-ARM", "Storage-ShardHour", "PutRequestPayloadUnits", "ApiGatewayHttpRequest", "ApiGatewayRequest", "ApiGatewayMessage", "ApiGatewayMinute",
        *(f"ApiGatewayCache-{size}GB" for size in ("0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237")),
        "ReadRequestUnits", "WriteRequestUnits", "ReadCapacityUnit-Hrs", "WriteCapacityUnit-Hrs",
        "DynamoDB-TimedStorage-ByteHrs",
        "ALB-LoadBalancerUsage", "ALB-LCUUsage", "NLB-LoadBalancerUsage", "NLB-LCUUsage",
        "Cognito-MAU-Lite", "Cognito-MAU-Essentials", "Cognito-MAU-Plus", "EKS-Hours:perCluster",
        "IssueExportablePublicCertificateDomain", "IssueExportablePublicCertificateWildcardDomain",
    ),
    "global": ("HostedZone", "DNS-Queries", "LBR-Queries", "Geo-Queries", "IP-Queries", "Health-Check-AWS", "Health-Check-Non-AWS",
               "Health-Check-Option-AWS", "Health-Check-Option-Non-AWS"),
}  # fmt: skip


class PriceFileError(ValueError):
    """The price file cannot be read or is not shaped as the table."""


@dataclass(frozen=True)
class Rate:
    usage_type: str
    price: float
    unit: str
    service: str
    operation: str


@dataclass(frozen=True)
class PriceTable:
    date: str
    source: str
    regions: dict[str, dict[str, Any]]
    free_requests: int
    free_gb_seconds: float
    free: dict[str, tuple[float, str]] = field(default_factory=dict)  # key -> (quantity, "month" | "hour")

    def _region(self, region: str) -> tuple[str, dict[str, Any]]:
        doc = self.regions.get(region)
        if doc is None:
            return REGION_PREFIXES.get(region, region.upper()), self._region(BASE_REGION)[1]
        if "same_as" in doc:
            return str(doc.get("prefix", REGION_PREFIXES.get(region, ""))), self._region(str(doc["same_as"]))[1]
        return str(doc.get("prefix", "")), dict(doc.get("usage") or {})

    def _unprefixed(self, region: str) -> tuple[str, ...]:
        """The starts of the usage types AWS bills without a prefix in `region` (its own)."""
        return tuple(str(s) for s in (self.regions.get(region) or {}).get("unprefixed") or ())

    def rate(self, region: str, key: str) -> Rate:
        """The rate of `key` ("Lambda-GB-Second", "DNS-Queries"...) in `region` ("global"
        for Route 53); KeyError when the table has no such unit."""
        prefix, usage = self._region(region)
        doc = usage[key]
        name = str(doc.get("usage_type", key))
        if name.startswith(self._unprefixed(region)):
            prefix = ""
        return Rate(
            usage_type=f"{prefix}-{name}" if prefix else name,
            price=float(doc["price"]) / float(doc.get("per", 1)),
            unit=str(doc["unit"]),
            service=str(doc["service"]),
            operation=str(doc.get("operation", "")),
        )


    def instance_hours(self, region: str, instance_type: str) -> str | None:
        """The key of an EC2 instance type's on-demand Linux hours ("BoxUsage:t3.micro") in
        `region`, None when the table has no price for it."""
        key = f"BoxUsage:{instance_type}"
        return key if key in self._region(region)[1] else None

    def tiers(self, region: str, key: str) -> list[tuple[float | None, float]] | None:
        """The price bands of `key` (None when it has one price): (units up to which the band
        runs in a month, None for the last; price per unit)."""
        doc = self._region(region)[1].get(key) or {}
        if not doc.get("tiers"):
            return None
        per = float(doc.get("per", 1))
        return [(None if upto is None else float(upto), float(price) / per) for upto, price in doc["tiers"]]

    def free_quantity(self, key: str, month_hours: float) -> float:
        """The free quantity of `key` in a month of `month_hours` hours (0: no free tier)."""
        quantity, per = self.free.get(key, (0.0, "month"))
        return quantity * month_hours if per == "hour" else quantity


def parse(doc: Any) -> PriceTable:
    if not isinstance(doc, dict) or not isinstance(doc.get("regions"), dict):
        raise PriceFileError("a price file is an object with a \"regions\" object")
    regions: dict[str, dict[str, Any]] = {}
    for name, region in doc["regions"].items():
        if not isinstance(region, dict):
            raise PriceFileError(f"region {name!r} is not an object")
        starts = region.get("unprefixed", [])
        if not isinstance(starts, list) or not all(isinstance(s, str) and s for s in starts):
            raise PriceFileError(f"region {name!r}: \"unprefixed\" is a list of usage type starts")
        for key, rate in (region.get("usage") or {}).items():
            if not isinstance(rate, dict) or not isinstance(rate.get("price"), (int, float)) or "unit" not in rate or "service" not in rate:
                raise PriceFileError(f"{name} {key}: a rate has a numeric \"price\", a \"unit\" and a \"service\"")
        regions[str(name)] = region
    free = doc.get("lambda_free_tier") or {}
    table = PriceTable(
        date=str(doc.get("date", "")),
        source=str(doc.get("source", "")),
        regions=regions,
        free_requests=int(free.get("requests", 1_000_000)),
        free_gb_seconds=float(free.get("gb_seconds", 400_000)),
        free=_free_tiers(doc.get("free_tiers") or {}),
    )
    missing = [f"{region} {key}" for region, keys in REQUIRED.items() for key in keys if not _has(table, region, key)]
    if missing:
        raise PriceFileError(f"the price file lacks units gureum meters: {', '.join(missing)}")
    return table


def _free_tiers(doc: Any) -> dict[str, tuple[float, str]]:
    if not isinstance(doc, dict):
        raise PriceFileError("\"free_tiers\" is an object")
    out: dict[str, tuple[float, str]] = {}
    for key, tier in doc.items():
        if key == "note":
            continue
        if not isinstance(tier, dict) or not isinstance(tier.get("quantity"), (int, float)) \
                or tier.get("per", "month") not in ("month", "hour"):
            raise PriceFileError(f"free tier {key}: a numeric \"quantity\" \"per\" \"month\" or \"hour\"")
        out[str(key)] = (float(tier["quantity"]), str(tier.get("per", "month")))
    return out


def _has(table: PriceTable, region: str, key: str) -> bool:
    try:
        table.rate(region, key)
    except (KeyError, RecursionError):
        return False
    return True


@lru_cache(maxsize=8)
def load(path: str = "") -> PriceTable:
    """The table in `path` (the shipped one when empty); PriceFileError when unreadable."""
    file = Path(path) if path else DEFAULT_FILE
    try:
        return parse(json.loads(file.read_text()))
    except (OSError, ValueError) as e:
        if isinstance(e, PriceFileError):
            raise
        raise PriceFileError(f"cannot read the price file {file}: {e}") from None
