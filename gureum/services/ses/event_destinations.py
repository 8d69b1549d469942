"""Configuration set event destinations, one kind for v1 and v2: where a configuration set's
sending events are published (an SNS topic, CloudWatch metrics; events.py publishes them).

Table ses_event_destinations: "{account}/{region}/{config set}/{name}" -> {"Name", "Enabled",
"MatchingEventTypes": [v2 names: SEND, DELIVERY, ...], "SnsDestination"?: {"TopicArn"},
"CloudWatchDestination"?: {"DimensionConfigurations": [{"DimensionName",
"DimensionValueSource": MESSAGE_TAG | EMAIL_HEADER | LINK_TAG, "DefaultDimensionValue"}]}}.
Documents are kept in v2's shape; v1's names (send, renderingFailure, messageTag, TopicARN)
are translated at the edge by `from_v1` / `to_v1`. Invariants: a destination's configuration
set exists (deleting the set deletes its destinations); at most MAX_PER_SET per set.

Kinesis Firehose, EventBridge and Pinpoint destinations are refused as AWS refuses a
destination whose target does not exist: gureum serves none of those services, so no
delivery stream, event bus or application can exist here (v1
InvalidFirehoseDestinationException, v2 BadRequestException)."""

from __future__ import annotations

import re
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.ses import configsets
from gureum.store import Txn

DESTINATIONS = configsets.EVENT_DESTINATIONS
MAX_PER_SET = 10
V1_TYPES = {"send": "SEND", "reject": "REJECT", "bounce": "BOUNCE", "complaint": "COMPLAINT", "delivery": "DELIVERY",
            "open": "OPEN", "click": "CLICK", "renderingFailure": "RENDERING_FAILURE"}
V2_TYPES = {*V1_TYPES.values(), "DELIVERY_DELAY", "SUBSCRIPTION"}
V1_SOURCES = {"messageTag": "MESSAGE_TAG", "emailHeader": "EMAIL_HEADER", "linkTag": "LINK_TAG"}
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_DIMENSION = {"DimensionName": re.compile(r"^[A-Za-z0-9_:-]{1,256}$"),
              "DefaultDimensionValue": re.compile(r"^[A-Za-z0-9_-]{1,256}$")}
_UNSERVED = {"KinesisFirehoseDestination": "Kinesis Data Firehose", "EventBridgeDestination": "EventBridge",
             "PinpointDestination": "Amazon Pinpoint"}


def key(account: str, region: str, config_set: str, name: str) -> str:
    return f"{account}/{region}/{config_set}/{name}"


_V1_ERRORS = {"SNS": "InvalidSNSDestinationException", "CloudWatch": "InvalidCloudWatchDestinationException",
              "Firehose": "InvalidFirehoseDestinationException"}


def invalid(kind: str, message: str, service: str, cs: str, name: str) -> AwsError:
    """A destination AWS refuses: v1's exception for `kind` ("SNS", "CloudWatch", "Firehose",
    or "" for InvalidParameterValue), v2's BadRequestException."""
    if service != "ses":
        return AwsError.modeled("sesv2", "BadRequestException", message)
    if kind in _V1_ERRORS:
        return AwsError.modeled("ses", _V1_ERRORS[kind], message, ConfigurationSetName=cs, EventDestinationName=name)
    return AwsError.common("InvalidParameterValue", message)


def from_v1(dest: dict[str, Any]) -> dict[str, Any]:
    """v1's EventDestination (with its Name) in v2's shape."""
    doc: dict[str, Any] = {"Name": dest.get("Name", ""), "Enabled": bool(dest.get("Enabled", False)),
                           "MatchingEventTypes": [V1_TYPES.get(t, t) for t in dest.get("MatchingEventTypes") or []]}
    if dest.get("SNSDestination") is not None:
        doc["SnsDestination"] = {"TopicArn": dest["SNSDestination"].get("TopicARN", "")}
    if dest.get("CloudWatchDestination") is not None:
        doc["CloudWatchDestination"] = {"DimensionConfigurations": [
            {**c, "DimensionValueSource": V1_SOURCES.get(c.get("DimensionValueSource", ""), c.get("DimensionValueSource", ""))}
            for c in dest["CloudWatchDestination"].get("DimensionConfigurations") or []]}
    if dest.get("KinesisFirehoseDestination") is not None:
        doc["KinesisFirehoseDestination"] = dest["KinesisFirehoseDestination"]
    return doc


def to_v1(doc: dict[str, Any]) -> dict[str, Any]:
    types = {v: k for k, v in V1_TYPES.items()}
    sources = {v: k for k, v in V1_SOURCES.items()}
    out: dict[str, Any] = {"Name": doc["Name"], "Enabled": doc["Enabled"],
                           "MatchingEventTypes": [types[t] for t in doc["MatchingEventTypes"] if t in types]}
    if doc.get("SnsDestination"):
        out["SNSDestination"] = {"TopicARN": doc["SnsDestination"]["TopicArn"]}
    if doc.get("CloudWatchDestination"):
        out["CloudWatchDestination"] = {"DimensionConfigurations": [
            {**c, "DimensionValueSource": sources[c["DimensionValueSource"]]}
            for c in doc["CloudWatchDestination"]["DimensionConfigurations"]]}
    return out


def to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k in ("Name", "Enabled", "MatchingEventTypes", "SnsDestination",
                                                  "CloudWatchDestination")}


def check(doc: dict[str, Any], service: str, cs: str) -> None:
    """AWS's checks of one destination's content (the SNS topic's existence is the caller's:
    it needs the topics port)."""
    name = doc["Name"]

    def Invalid(kind: str, message: str) -> AwsError:  # noqa: N802
        return invalid(kind, message, service, cs, name)

    if not _NAME.match(doc["Name"]):
        raise Invalid("", "Event destination name can only contain alphanumeric characters, dashes, and underscores, "
                          "and must be 64 characters or less.")
    for field, target in _UNSERVED.items():
        if doc.get(field) is not None:
            raise Invalid("Firehose" if field == "KinesisFirehoseDestination" else "",
                          f"The {target} destination does not exist: gureum does not serve {target}.")
    if not doc["MatchingEventTypes"]:
        raise Invalid("", "MatchingEventTypes must contain at least one event type.")
    unknown = [t for t in doc["MatchingEventTypes"] if t not in V2_TYPES]
    if unknown:
        raise Invalid("", f"Invalid event type: {unknown[0]}")
    kinds = [k for k in ("SnsDestination", "CloudWatchDestination") if doc.get(k) is not None]
    if len(kinds) != 1:
        raise Invalid("", "Exactly one event destination (SNS, CloudWatch, Kinesis Firehose, EventBridge or "
                          "Pinpoint) must be specified.")
    if doc.get("SnsDestination") is not None and not doc["SnsDestination"].get("TopicArn"):
        raise Invalid("SNS", "TopicARN is required for an SNS destination.")
    if doc.get("CloudWatchDestination") is not None:
        configs = doc["CloudWatchDestination"].get("DimensionConfigurations") or []
        if not configs:
            raise Invalid("CloudWatch", "DimensionConfigurations must contain at least one dimension.")
        for c in configs:
            for field, pattern in _DIMENSION.items():
                if not pattern.match(str(c.get(field) or "")):
                    colons = " and colons" if field == "DimensionName" else ""
                    raise Invalid("CloudWatch", f"Invalid {field}: {c.get(field)!r}. It can only contain ASCII "
                                                f"letters, numbers, underscores, dashes{colons}, 1 to 256 long.")
            if c.get("DimensionValueSource") not in V1_SOURCES.values():
                raise Invalid("CloudWatch", f"Invalid DimensionValueSource: {c.get('DimensionValueSource')}")


def _exists_error(service: str, cs: str, name: str) -> AwsError:
    if service == "ses":
        return AwsError.modeled("ses", "EventDestinationAlreadyExistsException",
                                f"Event destination {name} already exists.", ConfigurationSetName=cs,
                                EventDestinationName=name)
    return AwsError.modeled("sesv2", "AlreadyExistsException", f"Event destination {name} already exists.")


def _missing_error(service: str, cs: str, name: str) -> AwsError:
    if service == "ses":
        return AwsError.modeled("ses", "EventDestinationDoesNotExistException",
                                f"No EventDestination found for {name}", ConfigurationSetName=cs,
                                EventDestinationName=name)
    return AwsError.modeled("sesv2", "NotFoundException", f"Event destination {name} does not exist.")


def create(txn: Txn, account: str, region: str, cs: str, doc: dict[str, Any], service: str) -> None:
    configsets.get(txn, account, region, cs, service)
    if txn.get(DESTINATIONS, key(account, region, cs, doc["Name"])) is not None:
        raise _exists_error(service, cs, doc["Name"])
    if len(listing(txn, account, region, cs)) >= MAX_PER_SET:
        message = f"Maximum number of event destinations ({MAX_PER_SET}) for this configuration set exceeded."
        if service == "ses":
            raise AwsError.modeled("ses", "LimitExceededException", message)
        raise AwsError.modeled("sesv2", "LimitExceededException", message)
    txn.put(DESTINATIONS, key(account, region, cs, doc["Name"]), to_v2(doc))


def update(txn: Txn, account: str, region: str, cs: str, doc: dict[str, Any], service: str) -> None:
    configsets.get(txn, account, region, cs, service)
    k = key(account, region, cs, doc["Name"])
    if txn.get(DESTINATIONS, k) is None:
        raise _missing_error(service, cs, doc["Name"])
    txn.put(DESTINATIONS, k, to_v2(doc))


def delete(txn: Txn, account: str, region: str, cs: str, name: str, service: str) -> None:
    configsets.get(txn, account, region, cs, service)
    if not txn.delete(DESTINATIONS, key(account, region, cs, name)):
        raise _missing_error(service, cs, name)


def listing(txn: Txn, account: str, region: str, cs: str) -> list[dict[str, Any]]:
    return [doc for _, doc in txn.scan(DESTINATIONS, f"{account}/{region}/{cs}/")]


def drop_set(txn: Txn, account: str, region: str, cs: str) -> None:
    """The configuration set is gone: so are its destinations."""
    txn.delete_prefix(DESTINATIONS, f"{account}/{region}/{cs}/")
