"""The registrar's TLDs and domain names: AWS's price list (prices.json, with its date and
source), which TLDs may be registered, and AWS's rules for a domain name (letters, digits
and hyphens; labels of 1-63 characters, not starting or ending with a hyphen; 255
characters in all; one label under a TLD of the list). Pure functions, no store."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from gureum.aws.errors import AwsError

PRICE_FILE = Path(__file__).with_name("prices.json")
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
# Names the registry keeps for itself: the name servers of the root and of hosted zones.
RESERVED_SECOND_LEVEL = re.compile(r"^(root-servers|nic|awsdns-\d+|amazon|registrar-servers)$")


@dataclass(frozen=True)
class TldPrice:
    tld: str
    register: float
    renew: float
    transfer: float
    restore: float
    change_ownership: float
    max_years: int


@lru_cache(maxsize=1)
def price_list() -> dict[str, Any]:
    with PRICE_FILE.open() as f:
        data: dict[str, Any] = json.load(f)
    return data


def prices() -> dict[str, TldPrice]:
    """Every TLD AWS sells, by name (no dot)."""
    out = {}
    for tld, p in price_list()["tlds"].items():
        out[tld] = TldPrice(tld, float(p["register"]), float(p["renew"]), float(p["transfer"]), float(p["restore"]),
                            float(p["change_ownership"]), int(p["max_years"]))
    return out


def currency() -> str:
    return str(price_list()["currency"])


def invalid(message: str) -> AwsError:
    return AwsError.modeled("route53domains", "InvalidInput", message)


def unsupported(tld: str) -> AwsError:
    return AwsError.modeled("route53domains", "UnsupportedTLD", f"Amazon Route53 does not support the top-level domain (TLD) `.{tld}`.")


def normalize(name: str) -> str:
    """The domain name in lower case without a trailing dot; InvalidInput when it breaks the
    syntax rules."""
    text = name.strip().rstrip(".").lower()
    if not text or len(text) > 255:
        raise invalid(f"Errors: [Domain name {name} is invalid.]")
    labels = text.split(".")
    if any(not _LABEL.match(label) for label in labels):
        raise invalid(f"Errors: [Domain name {name} contains invalid characters or a label longer than 63 characters.]")
    return text


def split(name: str) -> tuple[str, str]:
    """(second-level label, TLD) of a registrable name: exactly one label under a TLD AWS
    sells; UnsupportedTLD for other TLDs, InvalidInput for a subdomain or a bare TLD."""
    text = normalize(name)
    labels = text.split(".")
    tld = labels[-1]
    if tld not in prices():
        raise unsupported(tld)
    if len(labels) != 2:
        raise invalid(f"Errors: [Domain name {name} is invalid: only second-level domains of .{tld} can be registered.]")
    return labels[0], tld


def is_reserved(label: str) -> bool:
    return RESERVED_SECOND_LEVEL.match(label) is not None
