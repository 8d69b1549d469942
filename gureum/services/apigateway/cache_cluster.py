"""A REST API stage's cache cluster on the control plane: its size, its status, what it costs.

The stage document (apigw_stages, stages.py) keeps AWS's `cacheClusterEnabled`,
`cacheClusterSize` and `cacheClusterStatus`, and gureum's own `"cacheCluster": {"since":
epoch seconds the cluster (at this size) was asked for, "billed": epoch seconds it is billed
up to, "size"}` (no AWS member: the serializer leaves it out). A cluster asked for is
CREATE_IN_PROGRESS for PROVISION_SECONDS, then AVAILABLE; one turned off is DELETE_IN_PROGRESS
for as long, then NOT_AVAILABLE; a new size is a new cluster (its entries are gone).
`view()` answers the status at a moment, so no job has to move it.

Billing: a cluster is billed per hour by size (AWS's price list, "ApiGatewayCache-<size>GB"
in gureum/billing/price_list.json) from the moment it is asked for until it is turned off,
resized, or its stage or API deleted. `settle()` writes the usage since "billed" as one ledger
row keyed "{account}/apigateway/{billed ms:013d}.cache.{api}.{stage}" (the start of the
interval, so two nodes settling the same interval write the same row):
  {"service": "apigateway", "region", "resource": the stage's ARN, "cache_size": "0.5",
   "cache_seconds": seconds, "ts": end ms}
The `apigateway-cache-meter` component (cache_meter.py) settles every running cluster every
METER_SECONDS.

FlushStageCache publishes CACHE_TOPIC {"api", "stage"}: every node's data plane (caching.py)
drops that stage's entries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.billing.ledger import USAGE
from gureum.services.apigateway.errors import bad_request

if TYPE_CHECKING:
    from gureum.store import Txn

Doc = dict[str, Any]
SIZES = ("0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237")  # GB, AWS's CacheClusterSize
DEFAULT_SIZE = "0.5"
PROVISION_SECONDS = 2.0
METER_SECONDS = 60.0
MAX_TTL = 3600
CACHE_TOPIC = "apigateway.cache"
STRATEGIES = ("FAIL_WITH_403", "SUCCEED_WITH_RESPONSE_HEADER", "SUCCEED_WITHOUT_RESPONSE_HEADER")


def size_bytes(size: str) -> int:
    return int(float(size) * 1024**3)


def _size(value: Any) -> str:
    text = str(value if value is not None else DEFAULT_SIZE)
    if text not in SIZES:  # boto3 checks CreateStage's enum; UpdateStage's patch value is free text
        raise bad_request(f"Invalid cache cluster size specified: {text}. Valid values are: {', '.join(SIZES)}")
    return text


def stage_arn(region: str, api_id: str, stage: str) -> str:
    return arns.apigateway_resource(region, f"/restapis/{api_id}/stages/{stage}")


def check_settings(method_settings: Doc) -> None:
    """AWS's limits on the caching members of a stage's method settings."""
    for setting in method_settings.values():
        ttl = setting.get("cacheTtlInSeconds")
        if ttl is not None and not 0 <= int(ttl) <= MAX_TTL:
            raise bad_request(f"Invalid cache ttl: {ttl}. Cache ttl must be between 0 and {MAX_TTL} seconds")
        strategy = setting.get("unauthorizedCacheControlHeaderStrategy")
        if strategy is not None and strategy not in STRATEGIES:
            raise bad_request(f"Invalid unauthorized cache control header strategy: {strategy}. "
                              f"Valid values are: {', '.join(STRATEGIES)}")


def apply(txn: Txn, account: str, region: str, api_id: str, old: Doc | None, new: Doc, now: float) -> Doc:
    """`new` (a stage about to be written, `old` what it was, None for a new stage) with its
    cache cluster's size, status and billing brought up to date."""
    check_settings(new.get("methodSettings") or {})
    was = (old or {}).get("cacheCluster") if (old or {}).get("cacheClusterEnabled") else None
    out = dict(new)
    if out.get("cacheClusterEnabled"):
        size = _size(out.get("cacheClusterSize"))
        out["cacheClusterSize"] = size
        if was is not None and was.get("size") == size:
            out["cacheCluster"] = was
        else:
            if was is not None:
                settle(txn, account, region, api_id, str(new["stageName"]), was, now)
            out["cacheCluster"] = {"since": now, "billed": now, "size": size}
            out["cacheClusterStatus"] = "CREATE_IN_PROGRESS"
    else:
        if out.get("cacheClusterSize") is not None:
            out["cacheClusterSize"] = _size(out["cacheClusterSize"])
        if was is not None:
            settle(txn, account, region, api_id, str(new["stageName"]), was, now)
            out["cacheCluster"] = {"since": now, "size": was.get("size")}
            out["cacheClusterStatus"] = "DELETE_IN_PROGRESS"
        elif out.get("cacheClusterStatus") not in ("DELETE_IN_PROGRESS", "NOT_AVAILABLE"):
            out["cacheClusterStatus"] = "NOT_AVAILABLE"
    return out


def view(stage: Doc, now: float) -> Doc:
    """The stage as GetStage answers it at `now`: the cluster's status moved on by time (and
    gureum's bookkeeping left out)."""
    out = {k: v for k, v in stage.items() if k != "cacheCluster"}
    out["cacheClusterStatus"] = _status(stage, now)
    return out


def _status(stage: Doc, now: float) -> str:
    status = str(stage.get("cacheClusterStatus") or "NOT_AVAILABLE")
    since = float((stage.get("cacheCluster") or {}).get("since") or 0.0)
    if status == "CREATE_IN_PROGRESS" and now - since >= PROVISION_SECONDS:
        return "AVAILABLE"
    if status == "DELETE_IN_PROGRESS" and now - since >= PROVISION_SECONDS:
        return "NOT_AVAILABLE"
    return status


def available(stage: Doc, now: float) -> bool:
    return bool(stage.get("cacheClusterEnabled")) and _status(stage, now) == "AVAILABLE"


def settle(txn: Txn, account: str, region: str, api_id: str, stage: str, cluster: Doc, now: float) -> Doc:
    """Bill `cluster` from its "billed" mark to `now` (one ledger row); the cluster with its new mark."""
    mark = cluster.get("billed") if cluster.get("billed") is not None else cluster.get("since")
    start = float(now if mark is None else mark)
    if now > start:
        start_ms = int(start * 1000)
        txn.put(USAGE, f"{account}/apigateway/{start_ms:013d}.cache.{api_id}.{stage}",
                {"service": "apigateway", "region": region, "resource": stage_arn(region, api_id, stage),
                 "cache_size": str(cluster.get("size") or DEFAULT_SIZE), "cache_seconds": now - start,
                 "ts": int(now * 1000)})
    return {**cluster, "billed": max(now, start)}


def settle_deleted(txn: Txn, account: str, region: str, api_id: str, stage: Doc, now: float) -> None:
    """A stage (or its API) is deleted: its running cluster's last interval billed."""
    cluster = stage.get("cacheCluster")
    if stage.get("cacheClusterEnabled") and cluster:
        settle(txn, account, region, api_id, str(stage["stageName"]), cluster, now)


def settle_all(txn: Txn, table: str, now: float) -> int:
    """Bill every running cluster up to `now` (the meter's step). Stage keys are
    "{account}/{region}/{api}/{stage}" (apis.scope)."""
    n = 0
    for key, stage in list(txn.scan(table, "")):
        cluster = stage.get("cacheCluster")
        if not stage.get("cacheClusterEnabled") or not cluster:
            continue
        account, region, api_id, name = key.split("/", 3)
        txn.put(table, key, {**stage, "cacheCluster": settle(txn, account, region, api_id, name, cluster, now)})
        n += 1
    return n


def flush(txn: Txn, api_id: str, stage: str) -> None:
    txn.publish(CACHE_TOPIC, {"api": api_id, "stage": stage})
