"""Health check sources: the VPC, subnets and security groups private-endpoint health checks
(EndpointType PRIVATE) are sent from (Create/Get/Delete/ListHealthCheckSources,
ListHealthChecksBySource), with AWS's rules.

AWS creates network interfaces in the subnets asynchronously: CreateHealthCheckSource answers
CREATE_PENDING and the source reads CREATE_COMPLETED once they exist. gureum's checkers probe
from this machine, which reaches the private endpoints itself (see health.py's
`route53.health_check_private_targets`), so there is nothing to wait for: the stored source is
CREATE_COMPLETED from the start. Deleting answers DELETE_PENDING and the source is gone at
once (GetHealthCheckSource: NoSuchHealthCheckSource), as it is in AWS when the deletion ends.

Tables:
  route53.hcsources    {account}/{id}   {"HealthCheckSourceId", "HealthCheckSourceStatus",
                                         "HealthCheckSourceConfig", "CallerReference", "Tags"}
  route53.hcsourcerefs {account}/{ref}  -> {"Id"} (a CallerReference used once:
                                         HealthCheckSourceAlreadyExists)
Invariant: a source a health check names (HealthCheckConfig.HealthCheckSourceId) cannot be
deleted (InvalidInput); health.create_check accepts a PRIVATE check only with a source here
in CREATE_COMPLETED.
"""

from __future__ import annotations

import uuid
from typing import Any

from gureum.aws import tags
from gureum.aws.errors import AwsError
from gureum.services.route53 import health, model, paging
from gureum.store import Txn

SOURCES = health.SOURCES
SOURCE_REFS = "route53.hcsourcerefs"
MAX_SOURCES = model.ACCOUNT_LIMITS["MAX_HEALTH_CHECK_SOURCES_BY_OWNER"]  # TooManyHealthCheckSources beyond it


def public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc[k] for k in ("HealthCheckSourceId", "HealthCheckSourceStatus", "HealthCheckSourceConfig") if k in doc}


def get(txn: Txn, account: str, source_id: str) -> dict[str, Any]:
    doc = txn.get(SOURCES, f"{account}/{source_id}")
    if doc is None:
        raise AwsError.modeled("route53", "NoSuchHealthCheckSource", f"No health check source exists with the specified ID {source_id}.")
    return doc


def create(txn: Txn, account: str, p: dict[str, Any]) -> dict[str, Any]:
    cfg = p["HealthCheckSourceConfig"]
    ref = p.get("CallerReference") or str(uuid.uuid4())
    if txn.get(SOURCE_REFS, f"{account}/{ref}") is not None:
        raise AwsError.modeled("route53", "HealthCheckSourceAlreadyExists",
                               "A health check source with the specified CallerReference already exists.")
    if not str(cfg.get("VpcId", "")).startswith("vpc-"):
        raise AwsError.modeled("route53", "InvalidVPCId", f"The VPC ID {cfg.get('VpcId')} isn't valid.")
    subnets = cfg.get("SubnetConfigurationList") or []
    zones = [s.get("AvailabilityZoneId") for s in subnets]
    if len(set(zones)) != len(zones):
        raise AwsError.modeled("route53", "InvalidInput", "The subnets of a health check source must be in distinct Availability Zones.")
    ids = [s.get("SubnetId") for s in subnets]
    if len(set(ids)) != len(ids) or not all(str(i).startswith("subnet-") for i in ids):
        raise AwsError.modeled("route53", "InvalidInput", "Each subnet of a health check source must be a distinct subnet ID (subnet-...).")
    if any(not s.get("SecurityGroupIdList") or not all(str(g).startswith("sg-") for g in s["SecurityGroupIdList"]) for s in subnets):
        raise AwsError.modeled("route53", "InvalidInput", "Each subnet needs one or more security group IDs (sg-...).")
    if txn.count(SOURCES, f"{account}/") >= MAX_SOURCES:
        raise AwsError.modeled("route53", "TooManyHealthCheckSources",
                               f"The account has reached its maximum number of health check sources ({MAX_SOURCES}).")
    sid = "hcs-" + uuid.uuid4().hex[:17]
    doc = {"HealthCheckSourceId": sid, "HealthCheckSourceStatus": "CREATE_COMPLETED", "HealthCheckSourceConfig": cfg,
           "CallerReference": ref, "Tags": tags.check([(t.get("Key"), t.get("Value", "")) for t in p.get("Tags") or []], model.TAG_RULES)}
    txn.put(SOURCES, f"{account}/{sid}", doc)
    txn.put(SOURCE_REFS, f"{account}/{ref}", {"Id": sid})
    return {"HealthCheckSourceId": sid, "HealthCheckSourceStatus": "CREATE_PENDING"}


def _checks_using(txn: Txn, account: str, source_id: str) -> list[dict[str, Any]]:
    return [doc for _k, doc in txn.scan(health.HEALTHCHECKS, f"{account}/")
            if doc["HealthCheckConfig"].get("HealthCheckSourceId") == source_id]


def delete(txn: Txn, account: str, source_id: str) -> dict[str, Any]:
    doc = get(txn, account, source_id)
    if _checks_using(txn, account, source_id):
        raise AwsError.modeled("route53", "InvalidInput",
                               f"The health check source {source_id} is used by health checks: delete or update them first.")
    txn.delete(SOURCES, f"{account}/{source_id}")
    txn.delete(SOURCE_REFS, f"{account}/{doc['CallerReference']}")
    return {"HealthCheckSourceId": source_id, "HealthCheckSourceStatus": "DELETE_PENDING"}


def list_page(txn: Txn, account: str, p: dict[str, Any]) -> dict[str, Any]:
    docs = [d for _k, d in txn.scan(SOURCES, f"{account}/")]
    page, token, _ = paging.page(docs, lambda d: d["HealthCheckSourceId"], f"route53.hcsources/{account}", p,
                                 "MaxResults", 100, 100, "InvalidInput")
    out: dict[str, Any] = {"HealthCheckSources": [public(d) for d in page]}
    if token:
        out["NextToken"] = token
    return out


def checks_by_source(txn: Txn, account: str, source_id: str, p: dict[str, Any]) -> dict[str, Any]:
    get(txn, account, source_id)
    n = paging.count(p, "MaxItems", 100, 1000)
    marker = p.get("Marker")
    checks = sorted(_checks_using(txn, account, source_id), key=lambda d: d["Id"])
    if marker:
        checks = [d for d in checks if d["Id"] >= marker]
    out: dict[str, Any] = {"HealthChecks": [health.public_check(d) for d in checks[:n]], "Marker": marker or "",
                           "IsTruncated": len(checks) > n, "MaxItems": str(n)}
    if out["IsTruncated"]:
        out["NextMarker"] = checks[n]["Id"]
    return out
