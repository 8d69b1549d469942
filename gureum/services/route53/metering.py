"""What a DNS query costs, as Route 53 bills it: the price table unit (gureum/billing/
price_list.json, Region "global") of one answered query, or None when AWS does not bill it.

  "DNS-Queries"  standard queries (simple, weighted, failover, multivalue records, NXDOMAIN,
                 NODATA, the apex's SOA/NS: every query a hosted zone answers)
  "LBR-Queries"  latency-based routing queries
  "Geo-Queries"  geolocation and geoproximity queries
  "IP-Queries"   IP-based (CIDR) routing queries
  None           alias queries to AWS resources (an alias whose target is not a record of
                 the same hosted zone: a load balancer, a distribution, a bucket...): free

The routing policy that decided the answer is the first one the query consulted
(`routing.Query.used`). Pure: the engine calls `query_unit` when it builds an answer (and caches
the unit with it), so the hot path only counts (engine.py `Engine.metered`); the DNS server
hands the counts to the usage ledger in batches (server.py `meter_queries`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gureum.services.route53 import routing

STANDARD = "DNS-Queries"
LATENCY = "LBR-Queries"
GEO = "Geo-Queries"
IP_BASED = "IP-Queries"

_BY_POLICY = {routing.LATENCY: LATENCY, routing.GEOLOCATION: GEO, routing.GEOPROXIMITY: GEO, routing.CIDR: IP_BASED}


def query_unit(zone_id: str, entries: dict[str, tuple[Mapping[str, Any], list[Any] | None]] | None,
               used: list[routing.Group]) -> str | None:
    """The unit one query answered by zone `zone_id` is billed under. `entries` are the
    record sets of the name and type asked ({set id: (doc, data)}, index.Zone.group)."""
    if entries:
        docs = [doc for doc, _ in entries.values()]
        if all(_aliases_aws_resource(zone_id, doc) for doc in docs):
            return None
    for group in used:
        return _BY_POLICY.get(group.kind, STANDARD)
    return STANDARD


def _aliases_aws_resource(zone_id: str, doc: Mapping[str, Any]) -> bool:
    target = doc.get("AliasTarget")
    if not target:
        return False
    return str(target.get("HostedZoneId", zone_id)).split("/")[-1] != zone_id


# Health checks, billed per month (ce/monthly.py). AWS prices a check on an AWS endpoint (a
# resource in the same account) apart from one on any other endpoint; gureum cannot tell an
# address of "an AWS resource" from any other, so endpoint checks are billed as non-AWS
# endpoints, and the checks with no endpoint (CALCULATED, CLOUDWATCH_METRIC,
# RECOVERY_CONTROL) as AWS endpoints, as AWS bills them. Each optional feature (HTTPS, string
# matching, fast interval, latency measurement) adds one "option" unit.
CHECK_AWS = "Health-Check-AWS"
CHECK_NON_AWS = "Health-Check-Non-AWS"
OPTION_AWS = "Health-Check-Option-AWS"
OPTION_NON_AWS = "Health-Check-Option-Non-AWS"
_NO_ENDPOINT = frozenset({"CALCULATED", "CLOUDWATCH_METRIC", "RECOVERY_CONTROL"})


def health_check_units(config: dict[str, Any]) -> list[tuple[str, int]]:
    """(price table unit, quantity) a health check of `config` (its HealthCheckConfig) is
    billed for each month."""
    kind = str(config.get("Type", ""))
    if kind in _NO_ENDPOINT:
        return [(CHECK_AWS, 1)]
    options = sum((
        kind in ("HTTPS", "HTTPS_STR_MATCH"),
        kind in ("HTTP_STR_MATCH", "HTTPS_STR_MATCH"),
        int(config.get("RequestInterval") or 30) == 10,
        bool(config.get("MeasureLatency")),
    ))
    return [(CHECK_NON_AWS, 1)] + ([(OPTION_NON_AWS, options)] if options else [])
