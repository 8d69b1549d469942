"""CloudWatch Logs deliveries of vended logs: delivery sources, delivery destinations (and
their policies), deliveries pairing one with the other, and the configuration templates.

Store tables (keys start with "<account>/<region>/"):
  logs.delivery_sources       "<acct>/<region>/<name>" -> DeliverySource as AWS shows it
  logs.delivery_destinations  "<acct>/<region>/<name>" -> DeliveryDestination (+ "policy")
  logs.deliveries             "<acct>/<region>/<id>"   -> Delivery
Invariants, as AWS keeps them: a source or destination with a delivery is not deleted
(ConflictException); a source pairs with one destination once; a destination's type follows
its resource ARN (a log group is CWL, a bucket S3, a Firehose stream FH, none XRAY) and does
not change while deliveries use it; a CWL destination's log group exists; a source's
logType is one its service documents (SOURCES, from PutDeliverySource's documentation).

Of the sources AWS supports, gureum produces one itself: CloudWatch Logs Insights'
INSIGHTS_QUERY_LOGS (query_runner.py calls `targets` when a query ends and writes a record to
each CWL destination). The other sources' services (S3 server access logs, ECS action logs,
and services gureum does not serve) produce no vended logs here: their deliveries are stored.
"""

from __future__ import annotations

import json
import secrets
import string
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.aws.errors import AwsError
from gureum.services.logs import model
from gureum.store import Txn

SOURCES_TABLE = "logs.delivery_sources"
DESTINATIONS = "logs.delivery_destinations"
DELIVERIES = "logs.deliveries"
TABLES = (SOURCES_TABLE, DESTINATIONS, DELIVERIES)

# ARN service (and resource type) -> the log types PutDeliverySource accepts for it.
SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "amplify": ("apps", ("ACCESS_LOGS", "WAF_LOGS")),
    "elasticloadbalancing": ("loadbalancer", ("ALB_ACCESS_LOGS", "ALB_CONNECTION_LOGS", "ALB_HEALTH_CHECK_LOGS",
                                              "NLB_ACCESS_LOGS")),
    "bedrock": ("knowledge-base", ("APPLICATION_LOGS", "TRACES", "EVENT_LOGS")),
    "bedrock-agentcore": ("runtime", ("APPLICATION_LOGS", "USAGE_LOGS", "TRACES")),
    "cloudfront": ("distribution", ("ACCESS_LOGS",)),
    "logs": ("account", ("INSIGHTS_QUERY_LOGS",)),
    "codewhisperer": ("profile", ("EVENT_LOGS",)),
    "eks": ("cluster", ("AUTO_MODE_BLOCK_STORAGE_LOGS", "AUTO_MODE_COMPUTE_LOGS", "AUTO_MODE_IPAM_LOGS",
                        "AUTO_MODE_LOAD_BALANCING_LOGS")),
    "mediapackage": ("channels", ("EGRESS_ACCESS_LOGS", "INGRESS_ACCESS_LOGS")),
    "mediatailor": ("playbackConfiguration", ("AD_DECISION_SERVER_LOGS", "MANIFEST_SERVICE_LOGS", "TRANSCODE_LOGS")),
    "ecs": ("cluster", ("ACTION_LOGS",)),
    "entityresolution": ("matchingworkflow", ("WORKFLOW_LOGS",)),
    "events": ("event-bus", ("INFO_LOGS", "ERROR_LOGS")),
    "sso": ("instance", ("ERROR_LOGS",)),
    "network-firewall": ("proxy", ("ALERT_LOGS", "ALLOW_LOGS", "DENY_LOGS")),
    "pcs": ("cluster", ("PCS_SCHEDULER_LOGS", "PCS_JOBCOMP_LOGS", "PCS_SCHEDULER_AUDIT_LOGS", "PCS_SCALING_LOGS")),
    "qbusiness": ("application", ("EVENT_LOGS", "SYNC_JOB_LOGS")),
    "wisdom": ("assistant", ("EVENT_LOGS",)),
    "s3": ("bucket", ("S3_SERVER_ACCESS_LOGS",)),
    "securityhub": ("hub", ("SECURITY_FINDING_LOGS",)),
    "ses": ("mailmanager-ingress-point", ("APPLICATION_LOGS", "TRAFFIC_POLICY_DEBUG_LOGS")),
    "shield": ("protection", ("FLOW_LOGS",)),
    "ec2": ("route-server", ("EVENT_LOGS",)),
    "workmail": ("organization", ("ACCESS_CONTROL_LOGS", "AUTHENTICATION_LOGS", "WORKMAIL_AVAILABILITY_PROVIDER_LOGS",
                                  "WORKMAIL_MAILBOX_ACCESS_LOGS", "WORKMAIL_PERSONAL_ACCESS_TOKEN_LOGS")),
}
OUTPUT_FORMATS = {"CWL": ("json", "plain", "raw"), "S3": ("json", "plain", "w3c", "raw", "parquet"),
                  "FH": ("json", "plain", "raw"), "XRAY": ("json",)}
MAX_PAGE = 50
ID_ALPHABET = string.ascii_letters + string.digits


def _key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def _validation(message: str) -> AwsError:
    return AwsError.modeled("logs", "ValidationException", message)


def _not_found(message: str) -> AwsError:
    return AwsError.modeled("logs", "ResourceNotFoundException", message)


def _conflict(message: str) -> AwsError:
    return AwsError.modeled("logs", "ConflictException", message)


TAG_RULES = tags.Rules(invalid=_validation, too_many=lambda m: AwsError.modeled("logs", "ServiceQuotaExceededException", m))


def _tags(given: dict[str, str] | None) -> dict[str, str]:
    return tags.check(dict(given or {}), TAG_RULES) if given else {}


def _page(rows: list[dict[str, Any]], key: str, listing: str, params: dict[str, Any],
          filters: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    rows.sort(key=lambda d: str(d[key]))
    return paging.page_items(rows, lambda d: str(d[key]), listing=listing, token=params.get("nextToken"),
                             limit=params.get("limit"), default_limit=MAX_PAGE, max_limit=MAX_PAGE, filters=filters,
                             error=lambda: _validation("The specified nextToken is invalid."))


# --- sources ------------------------------------------------------------------------------------


def put_source(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    name, resource, log_type = params["name"], params["resourceArn"], params["logType"]
    parsed = arns.try_parse(resource)
    if parsed is None:
        raise _validation(f"Invalid resource ARN: {resource}")
    known = SOURCES.get(parsed.service)
    if known is None:
        raise _validation(f"Resource type of {resource} is not supported as a delivery source.")
    if log_type not in known[1]:
        raise _validation(f"LogType {log_type} is not supported for service {parsed.service}. "
                          f"Supported log types: {', '.join(known[1])}")
    if parsed.account not in ("", account):
        raise AwsError.modeled("logs", "ValidationException",
                               "The delivery source resource must be in the caller's account.")
    k = _key(account, region, name)
    old = txn.get(SOURCES_TABLE, k)
    if old is not None and (old["logType"] != log_type or old["resourceArns"] != [resource]) and _deliveries_of(txn, account, region, name):
        raise _conflict(f"Delivery source {name} has deliveries; its resource and log type cannot change.")
    doc: dict[str, Any] = {"name": name, "arn": arns.logs_resource(region, account, "delivery-source", name),
                           "resourceArns": [resource], "service": parsed.service, "logType": log_type,
                           "tags": (old or {}).get("tags") if old and not params.get("tags") else _tags(params.get("tags"))}
    if params.get("deliverySourceConfiguration"):
        doc["deliverySourceConfiguration"] = dict(params["deliverySourceConfiguration"])
    if not doc["tags"]:
        doc.pop("tags")
    txn.put(SOURCES_TABLE, k, doc)
    return doc


def get_source(txn: Txn, account: str, region: str, name: str) -> dict[str, Any]:
    doc = txn.get(SOURCES_TABLE, _key(account, region, name))
    if doc is None:
        raise _not_found(f"Delivery source {name} does not exist.")
    return {**doc, "status": "ACTIVE"}


def describe_sources(txn: Txn, account: str, region: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    wanted = set(params.get("resourceArns") or [])
    rows = [{**d, "status": "ACTIVE"} for _, d in txn.scan(SOURCES_TABLE, f"{account}/{region}/")
            if not wanted or wanted & set(d["resourceArns"])]
    return _page(rows, "name", f"{SOURCES_TABLE}/{account}/{region}/", params, {"r": sorted(wanted)})


def delete_source(txn: Txn, account: str, region: str, name: str) -> None:
    get_source(txn, account, region, name)
    if _deliveries_of(txn, account, region, name):
        raise _conflict(f"Delivery source {name} has deliveries; delete them first.")
    txn.delete(SOURCES_TABLE, _key(account, region, name))


def _deliveries_of(txn: Txn, account: str, region: str, source: str | None = None,
                   destination_arn: str | None = None) -> list[dict[str, Any]]:
    return [d for _, d in txn.scan(DELIVERIES, f"{account}/{region}/")
            if (source is None or d["deliverySourceName"] == source)
            and (destination_arn is None or d["deliveryDestinationArn"] == destination_arn)]


# --- destinations ---------------------------------------------------------------------------------


def _destination_type(txn: Txn, account: str, region: str, resource: str | None, given: str | None) -> str:
    if resource is None:
        if given not in (None, "XRAY"):
            raise _validation("deliveryDestinationConfiguration is required for this deliveryDestinationType.")
        return "XRAY"
    parsed = arns.try_parse(resource)
    kind = None
    if parsed is not None:
        if parsed.service == "logs" and parsed.resource.startswith("log-group:"):
            kind = "CWL"
        elif parsed.service == "s3":
            kind = "S3"
        elif parsed.service == "firehose" and parsed.resource.startswith("deliverystream/"):
            kind = "FH"
    if kind is None:
        raise _validation(f"Invalid destination resource ARN: {resource}. It must be a CloudWatch Logs log group, "
                          "an S3 bucket or a Firehose delivery stream.")
    if given is not None and given != kind:
        raise _validation(f"deliveryDestinationType {given} does not match the destination resource {resource}.")
    if kind == "CWL":
        assert parsed is not None
        g_region, g_account, group = arns.logs_group_parts(resource)
        if g_account == account and g_region == region and txn.get(model.GROUPS, model.group_key(account, region, group)) is None:
            raise _not_found(f"Log group {group} does not exist.")
    return kind


def put_destination(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    name = params["name"]
    conf = params.get("deliveryDestinationConfiguration")
    resource = conf.get("destinationResourceArn") if conf else None
    kind = _destination_type(txn, account, region, resource, params.get("deliveryDestinationType"))
    fmt = params.get("outputFormat") or "json"
    if fmt not in OUTPUT_FORMATS[kind]:
        raise _validation(f"outputFormat {fmt} is not supported for deliveryDestinationType {kind}. "
                          f"Supported formats: {', '.join(OUTPUT_FORMATS[kind])}")
    k = _key(account, region, name)
    old = txn.get(DESTINATIONS, k)
    arn = arns.logs_resource(region, account, "delivery-destination", name)
    if old is not None and old["deliveryDestinationType"] != kind and _deliveries_of(txn, account, region, destination_arn=arn):
        raise _conflict(f"Delivery destination {name} has deliveries; its type cannot change.")
    doc: dict[str, Any] = {"name": name, "arn": arn, "deliveryDestinationType": kind, "outputFormat": fmt}
    if conf:
        doc["deliveryDestinationConfiguration"] = {"destinationResourceArn": resource}
    if params.get("roleArn"):
        doc["roleArn"] = params["roleArn"]
    new_tags = _tags(params.get("tags")) or (old or {}).get("tags")
    if new_tags:
        doc["tags"] = new_tags
    if old and old.get("policy"):
        doc["policy"] = old["policy"]
    txn.put(DESTINATIONS, k, doc)
    return _destination_view(doc)


def _destination_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "policy"}


def _destination(txn: Txn, account: str, region: str, name: str) -> dict[str, Any]:
    doc = txn.get(DESTINATIONS, _key(account, region, name))
    if doc is None:
        raise _not_found(f"Delivery destination {name} does not exist.")
    return doc


def get_destination(txn: Txn, account: str, region: str, name: str) -> dict[str, Any]:
    return _destination_view(_destination(txn, account, region, name))


def describe_destinations(txn: Txn, account: str, region: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    wanted = set(params.get("names") or [])
    rows = [_destination_view(d) for _, d in txn.scan(DESTINATIONS, f"{account}/{region}/") if not wanted or d["name"] in wanted]
    return _page(rows, "name", f"{DESTINATIONS}/{account}/{region}/", params, {"n": sorted(wanted)})


def delete_destination(txn: Txn, account: str, region: str, name: str) -> None:
    doc = _destination(txn, account, region, name)
    if _deliveries_of(txn, account, region, destination_arn=doc["arn"]):
        raise _conflict(f"Delivery destination {name} has deliveries; delete them first.")
    txn.delete(DESTINATIONS, _key(account, region, name))


def put_destination_policy(txn: Txn, account: str, region: str, name: str, policy: str) -> dict[str, str]:
    doc = _destination(txn, account, region, name)
    try:
        parsed = json.loads(policy)
    except ValueError:
        raise _validation("The deliveryDestinationPolicy is not a valid JSON policy document.") from None
    if not isinstance(parsed, dict) or "Statement" not in parsed:
        raise _validation("The deliveryDestinationPolicy must contain a Statement.")
    doc["policy"] = policy
    txn.put(DESTINATIONS, _key(account, region, name), doc)
    return {"deliveryDestinationPolicy": policy}


def get_destination_policy(txn: Txn, account: str, region: str, name: str) -> dict[str, str]:
    doc = _destination(txn, account, region, name)
    return {"deliveryDestinationPolicy": doc["policy"]} if doc.get("policy") else {}


def delete_destination_policy(txn: Txn, account: str, region: str, name: str) -> None:
    doc = _destination(txn, account, region, name)
    if not doc.get("policy"):
        raise _not_found(f"Delivery destination {name} has no policy.")
    doc.pop("policy")
    txn.put(DESTINATIONS, _key(account, region, name), doc)


def _allows(policy: str | None, account: str) -> bool:
    """Whether a destination policy lets `account` create deliveries to it (an Allow of
    logs:CreateDelivery, or logs:*, to that account, its root, or *)."""
    if not policy:
        return False
    try:
        doc = json.loads(policy)
    except ValueError:
        return False
    stmts = doc.get("Statement") or []
    for st in stmts if isinstance(stmts, list) else [stmts]:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        actions = st.get("Action") or []
        actions = [actions] if isinstance(actions, str) else actions
        if not any(a in ("logs:CreateDelivery", "logs:*", "*") for a in actions):
            continue
        principal = st.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, dict) else principal
        aws = [aws] if isinstance(aws, str) else (aws or [])
        if any(p == "*" or p == account or p == arns.iam_root(account) for p in aws):
            return True
    return False


# --- deliveries -----------------------------------------------------------------------------------


def _new_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(16))


def _check_config(kind: str, params: dict[str, Any]) -> None:
    if params.get("s3DeliveryConfiguration") and kind != "S3":
        raise _validation("s3DeliveryConfiguration can be specified only for an S3 delivery destination.")
    if params.get("fieldDelimiter") and kind == "CWL":
        raise _validation("fieldDelimiter is not supported for a CloudWatch Logs delivery destination.")


def create(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    source = get_source(txn, account, region, params["deliverySourceName"])
    dest_arn = params["deliveryDestinationArn"]
    parsed = arns.try_parse(dest_arn)
    if parsed is None or parsed.service != "logs" or not parsed.resource.startswith("delivery-destination:"):
        raise _validation(f"Invalid delivery destination ARN: {dest_arn}")
    dest = txn.get(DESTINATIONS, _key(parsed.account, parsed.region, parsed.resource.split(":", 1)[1]))
    if dest is None:
        raise _not_found(f"Delivery destination {dest_arn} does not exist.")
    if parsed.account != account and not _allows(dest.get("policy"), account):
        raise AwsError.modeled("logs", "AccessDeniedException",
                               f"The delivery destination policy of {dest_arn} does not allow account {account} to create deliveries.")
    kind = dest["deliveryDestinationType"]
    _check_config(kind, params)
    for d in _deliveries_of(txn, account, region, source=source["name"]):
        if d["deliveryDestinationArn"] == dest_arn:
            raise _conflict(f"A delivery from {source['name']} to {dest_arn} already exists.")
    did = _new_id()
    doc: dict[str, Any] = {"id": did, "arn": arns.logs_resource(region, account, "delivery", did),
                           "deliverySourceName": source["name"], "deliveryDestinationArn": dest_arn,
                           "deliveryDestinationType": kind}
    for opt in ("recordFields", "fieldDelimiter", "s3DeliveryConfiguration"):
        if params.get(opt) is not None:
            doc[opt] = params[opt]
    if kind == "S3":
        doc.setdefault("s3DeliveryConfiguration", {"suffixPath": "AWSLogs/{account-id}/" + source["service"],
                                                   "enableHiveCompatiblePath": False})
    new_tags = _tags(params.get("tags"))
    if new_tags:
        doc["tags"] = new_tags
    txn.put(DELIVERIES, _key(account, region, did), doc)
    return doc


def get(txn: Txn, account: str, region: str, did: str) -> dict[str, Any]:
    doc = txn.get(DELIVERIES, _key(account, region, did))
    if doc is None:
        raise _not_found(f"Delivery {did} does not exist.")
    return doc


def describe(txn: Txn, account: str, region: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    wanted = set(params.get("deliverySourceNames") or [])
    rows = [d for _, d in txn.scan(DELIVERIES, f"{account}/{region}/") if not wanted or d["deliverySourceName"] in wanted]
    return _page(rows, "id", f"{DELIVERIES}/{account}/{region}/", params, {"s": sorted(wanted)})


def update_configuration(txn: Txn, account: str, region: str, params: dict[str, Any]) -> None:
    doc = get(txn, account, region, params["id"])
    _check_config(doc["deliveryDestinationType"], params)
    for opt in ("recordFields", "fieldDelimiter", "s3DeliveryConfiguration"):
        if params.get(opt) is not None:
            doc[opt] = params[opt]
    txn.put(DELIVERIES, _key(account, region, doc["id"]), doc)


def delete(txn: Txn, account: str, region: str, did: str) -> None:
    get(txn, account, region, did)
    txn.delete(DELIVERIES, _key(account, region, did))


def targets(txn: Txn, account: str, region: str, log_type: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(delivery, destination) for every delivery from a source of `log_type` in the account."""
    out = []
    for _, d in txn.scan(DELIVERIES, f"{account}/{region}/"):
        src = txn.get(SOURCES_TABLE, _key(account, region, d["deliverySourceName"]))
        if src is None or src["logType"] != log_type:
            continue
        parsed = arns.try_parse(d["deliveryDestinationArn"])
        if parsed is None:
            continue
        dest = txn.get(DESTINATIONS, _key(parsed.account, parsed.region, parsed.resource.split(":", 1)[1]))
        if dest is not None:
            out.append((d, dest))
    return out


# --- configuration templates ---------------------------------------------------------------------

_DEFAULT_FIELDS = ("event_timestamp", "resource_arn", "log_type", "event")


def templates(params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    service = params.get("service")
    log_types = set(params.get("logTypes") or [])
    resource_types = set(params.get("resourceTypes") or [])
    kinds = set(params.get("deliveryDestinationTypes") or [])
    rows: list[dict[str, Any]] = []
    for svc, (rtype, types) in sorted(SOURCES.items()):
        if service is not None and svc != service or resource_types and rtype not in resource_types:
            continue
        for lt in types:
            if log_types and lt not in log_types:
                continue
            for kind in ("CWL", "S3", "FH"):
                if kinds and kind not in kinds:
                    continue
                defaults: dict[str, Any] = {"recordFields": list(_DEFAULT_FIELDS)}
                if kind == "S3":
                    defaults["s3DeliveryConfiguration"] = {"suffixPath": "AWSLogs/{account-id}/" + svc,
                                                           "enableHiveCompatiblePath": False}
                    defaults["fieldDelimiter"] = ""
                rows.append({"service": svc, "logType": lt, "resourceType": rtype, "deliveryDestinationType": kind,
                             "defaultDeliveryConfigValues": defaults,
                             "allowedFields": [{"name": f, "mandatory": f in ("event_timestamp", "event")} for f in _DEFAULT_FIELDS],
                             "allowedOutputFormats": list(OUTPUT_FORMATS[kind]),
                             **({"allowedFieldDelimiters": ["", ",", "\t", " "], "allowedSuffixPathFields":
                                 ["{account-id}", "{region}", "{yyyy}", "{MM}", "{dd}", "{HH}"]} if kind == "S3" else {})})
    key = lambda r: f"{r['service']}/{r['logType']}/{r['deliveryDestinationType']}"  # noqa: E731
    rows.sort(key=key)
    return paging.page_items(rows, key, listing="logs.configuration_templates", token=params.get("nextToken"),
                             limit=params.get("limit"), default_limit=MAX_PAGE, max_limit=MAX_PAGE,
                             filters={"s": service, "l": sorted(log_types), "r": sorted(resource_types), "k": sorted(kinds)},
                             error=lambda: _validation("The specified nextToken is invalid."))
