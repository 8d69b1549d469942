"""ELBv2's names and identifiers as AWS shapes them: resource names (load balancers and target
groups: 1-32 alphanumerics or hyphens, no leading or trailing hyphen, a load balancer's not
beginning with "internal-"), 16-hex-digit ids, the ARNs that carry them (parsed back into store
keys), DNS names and the canonical hosted zone ids AWS publishes per region."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError

_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?")
LOCAL_SUFFIX = "elb.localhost"

# Route 53 hosted zone ids of Elastic Load Balancing per region (AWS's "Elastic Load
# Balancing endpoints and quotas"): (Application/Classic, Network).
ZONE_IDS: dict[str, tuple[str, str]] = {
    "us-east-2": ("Z3AADJGX6KTTL2", "ZLMOA37VPKANP"),
    "us-east-1": ("Z35SXDOTRQ7X7K", "Z26RNL4JYFTOTI"),
    "us-west-1": ("Z368ELLRRE2KJ0", "Z24FKFUX50B4VW"),
    "us-west-2": ("Z1H1FL5HABSF5", "Z18D5FSROUN65G"),
    "af-south-1": ("Z268VQBMOI5EKX", "Z203XCE67M25HM"),
    "ap-east-1": ("Z3DQVH9N71FHZ0", "Z12Y7K3UBGUAD1"),
    "ap-south-1": ("ZP97RAFLXTNZK", "ZVDDRBQ08TROA"),
    "ap-northeast-3": ("Z5LXEXXYW11ES", "Z1GWIQ4HH19I5X"),
    "ap-northeast-2": ("ZWKZPGTI48KDX", "ZIBE1TIR4HY56"),
    "ap-southeast-1": ("Z1LMS91P8CMLE5", "ZKVM4W9LS7TM"),
    "ap-southeast-2": ("Z1GM3OXH4ZPM65", "ZCT6FZBF4DROD"),
    "ap-northeast-1": ("Z14GRHDCWA56QT", "Z31USIVHYNEOWT"),
    "ca-central-1": ("ZQSVJUPU6J1EY", "Z2EPGBW3API2WT"),
    "eu-central-1": ("Z215JYRZR1TBD5", "Z3F0SRJ5LGBH90"),
    "eu-west-1": ("Z32O12XQLNTSW2", "Z2IFOLAFXWLO4F"),
    "eu-west-2": ("ZHURV8PSTC4K8", "ZD4D7Y8KGAS4G"),
    "eu-south-1": ("Z3ULH7SSC9OV64", "Z23146JA1KNAFP"),
    "eu-west-3": ("Z3Q77PNBQS71R4", "Z1CMS0P5QUZ6D5"),
    "eu-north-1": ("Z23TAZ7KFP3W94", "Z1UDT6IFJ4EJM"),
    "me-south-1": ("ZS929ML54UICD", "Z3QSRYVP46NYYV"),
    "sa-east-1": ("Z2P70J7HTTTPLU", "ZTK26PT1VY4CU"),
}
ALL_ZONE_IDS = frozenset(z for pair in ZONE_IDS.values() for z in pair)


def validation(message: str) -> AwsError:
    return AwsError.modeled("elbv2", "ValidationError", message)


def new_id() -> str:
    return secrets.token_hex(8)


def zone_id(region: str, kind: str) -> str:
    """The canonical hosted zone id of a load balancer of `kind` ("application"/"network")."""
    alb, nlb = ZONE_IDS.get(region, ZONE_IDS["us-east-1"])
    return nlb if kind == "network" else alb


def check_lb_name(name: str) -> None:
    if len(name) > 32:
        raise validation(f"The load balancer name '{name}' cannot be longer than '32' characters")
    if not _NAME.fullmatch(name):
        raise validation(f"The load balancer name '{name}' must contain only alphanumeric characters or hyphens, "
                         "and must not begin or end with a hyphen")
    if name.lower().startswith("internal-"):
        raise validation(f"The load balancer name '{name}' cannot begin with 'internal-'")


def check_tg_name(name: str) -> None:
    if len(name) > 32:
        raise validation(f"Target group name '{name}' cannot be longer than '32' characters")
    if not _NAME.fullmatch(name):
        raise validation(f"Target group name '{name}' can only contain characters that are alphanumeric characters "
                         "or hyphens(-), and must not begin or end with a hyphen")


def dns_names(name: str, lb_id: str, region: str, kind: str, scheme: str) -> tuple[str, str]:
    """(AWS-shaped DNSName, the gureum-local name): an ALB is `<name>-<n>.<region>.elb.amazonaws.com`
    (`internal-` first when internal), an NLB `<name>-<hex>.elb.<region>.amazonaws.com`; the local
    name is `<name>-<id>.<region>.elb.localhost`."""
    prefix = "internal-" if scheme == "internal" else ""
    if kind == "network":
        aws = f"{prefix}{name}-{lb_id}.elb.{region}.amazonaws.com"
    else:
        aws = f"{prefix}{name}-{int(lb_id[:8], 16)}.{region}.elb.amazonaws.com"
    return aws.lower(), f"{prefix}{name}-{lb_id}.{region}.{LOCAL_SUFFIX}".lower()


def kind_code(kind: str) -> str:
    return {"application": "app", "network": "net", "gateway": "gwy"}[kind]


@dataclass(frozen=True)
class Ref:
    """What an ELBv2 ARN names: account, region and the ids along its path."""

    account: str
    region: str
    kind: str  # "loadbalancer", "targetgroup", "listener", "listener-rule"
    parts: tuple[str, ...]  # path after the kind


def parse(text: str, kind: str) -> Ref | None:
    """An ELBv2 ARN of `kind`, or None (a malformed ARN: the caller answers ValidationError)."""
    a = arns.try_parse(text)
    if a is None or a.service != "elasticloadbalancing":
        return None
    parts = tuple(a.resource.split("/"))
    want = {"loadbalancer": 4, "targetgroup": 3, "listener": 5, "listener-rule": 6}[kind]
    if parts[0] != kind or len(parts) != want:
        return None
    return Ref(a.account, a.region, kind, parts[1:])


def check_arn(text: str, kind: str) -> Ref:
    ref = parse(text, kind)
    if ref is None:
        raise validation(f"'{text}' is not a valid {_KIND_WORDS[kind]} ARN")
    return ref


_KIND_WORDS = {"loadbalancer": "load balancer", "targetgroup": "target group", "listener": "listener",
               "listener-rule": "listener rule"}
