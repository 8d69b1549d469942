"""The price table: AWS's public list price of each metered unit, per Region, and the usage
type AWS bills it under.

The table ships as `price_list.json` next to this module (its "date" and "source" say where
the prices come from); the setting `billing.price_file` names another file of the same shape
to use instead. Shape:
  {"date", "source", "currency",
   "regions": {"<region>": {"prefix": "USE1", "usage": {"<key>": {"price", ["per"], "unit", "service",
                                                                   "operation", ["usage_type"]}}}
               | {"same_as": "<region>", "prefix": "USW2"},
               "global": {...}},           # Route 53: usage types without a Region prefix
   "lambda_free_tier": {"requests", "gb_seconds"}}
A rate's usage type is "<prefix>-<usage_type or key>" ("USE1-Lambda-GB-Second"), or the bare
name under an empty prefix ("DNS-Queries"). A Region the table does not list is priced as
us-east-1 under its own prefix (REGION_PREFIXES), so its usage types still name the Region.
"price" is per "per" units (default 1): AWS publishes requests per million or per thousand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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
        "Lambda-Provisioned-GB-Second-ARM",
    ),
    "global": ("HostedZone",),
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

    def _region(self, region: str) -> tuple[str, dict[str, Any]]:
        doc = self.regions.get(region)
        if doc is None:
            return REGION_PREFIXES.get(region, region.upper()), self._region(BASE_REGION)[1]
        if "same_as" in doc:
            return str(doc.get("prefix", REGION_PREFIXES.get(region, ""))), self._region(str(doc["same_as"]))[1]
        return str(doc.get("prefix", "")), dict(doc.get("usage") or {})

    def rate(self, region: str, key: str) -> Rate:
        """The rate of `key` ("Lambda-GB-Second", "DNS-Queries"...) in `region` ("global"
        for Route 53); KeyError when the table has no such unit."""
        prefix, usage = self._region(region)
        doc = usage[key]
        name = str(doc.get("usage_type", key))
        return Rate(
            usage_type=f"{prefix}-{name}" if prefix else name,
            price=float(doc["price"]) / float(doc.get("per", 1)),
            unit=str(doc["unit"]),
            service=str(doc["service"]),
            operation=str(doc.get("operation", "")),
        )


def parse(doc: Any) -> PriceTable:
    if not isinstance(doc, dict) or not isinstance(doc.get("regions"), dict):
        raise PriceFileError("a price file is an object with a \"regions\" object")
    regions: dict[str, dict[str, Any]] = {}
    for name, region in doc["regions"].items():
        if not isinstance(region, dict):
            raise PriceFileError(f"region {name!r} is not an object")
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
    )
    missing = [f"{region} {key}" for region, keys in REQUIRED.items() for key in keys if not _has(table, region, key)]
    if missing:
        raise PriceFileError(f"the price file lacks units gureum meters: {', '.join(missing)}")
    return table


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
