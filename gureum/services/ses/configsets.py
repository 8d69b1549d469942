"""Configuration sets, one kind for v1 and v2: stored with their options; a send naming one
that does not exist is refused, one whose sending is disabled is paused. Its event
destinations are event_destinations.py's (deleted with the set).

Table ses_config_sets: "{account}/{region}/{name}" -> {"Name", "Created", "SendingEnabled",
"TrackingOptions"?, "DeliveryOptions"?, "ReputationOptions"?, "SuppressionOptions"?,
"VdmOptions"?, "Tags": {k: v}}."""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError
from gureum.store import Txn

CONFIG_SETS = "ses_config_sets"
EVENT_DESTINATIONS = "ses_event_destinations"  # event_destinations.py's, dropped with their set
MAX_CONFIG_SETS = 10000


def key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def _missing(name: str, service: str) -> AwsError:
    if service == "ses":
        return AwsError.modeled("ses", "ConfigurationSetDoesNotExistException",
                                f"Configuration set <{name}> does not exist.", ConfigurationSetName=name)
    return AwsError.modeled("sesv2", "NotFoundException", f"Configuration set <{name}> does not exist.")


def create(txn: Txn, account: str, region: str, name: str, options: dict[str, Any], now: float,
           service: str = "ses") -> None:
    if not all(c.isalnum() or c in "-_" for c in name) or len(name) > 64:
        message = ("Configuration set name can only contain alphanumeric characters, dashes, and underscores, "
                   "and must be 64 characters or less.")
        if service == "ses":
            raise AwsError.modeled("ses", "InvalidConfigurationSetException", message)
        raise AwsError.modeled("sesv2", "BadRequestException", message)
    doc = {"Name": name, "Created": now, "SendingEnabled": True, "Tags": {}, **options}
    if not txn.insert(CONFIG_SETS, key(account, region, name), doc):
        if service == "ses":
            raise AwsError.modeled("ses", "ConfigurationSetAlreadyExistsException",
                                   f"Configuration set <{name}> already exists.", ConfigurationSetName=name)
        raise AwsError.modeled("sesv2", "AlreadyExistsException", f"Configuration set <{name}> already exists.")


def get(txn: Txn, account: str, region: str, name: str, service: str = "ses") -> dict[str, Any]:
    doc = txn.get(CONFIG_SETS, key(account, region, name))
    if doc is None:
        raise _missing(name, service)
    return doc


def update(txn: Txn, account: str, region: str, name: str, changes: dict[str, Any], service: str = "ses") -> None:
    doc = get(txn, account, region, name, service)
    txn.put(CONFIG_SETS, key(account, region, name), {**doc, **changes})


def delete(txn: Txn, account: str, region: str, name: str, service: str = "ses") -> None:
    if not txn.delete(CONFIG_SETS, key(account, region, name)):
        raise _missing(name, service)
    txn.delete_prefix(EVENT_DESTINATIONS, f"{key(account, region, name)}/")


def listing(txn: Txn, account: str, region: str) -> list[dict[str, Any]]:
    return [doc for _, doc in txn.scan(CONFIG_SETS, f"{account}/{region}/")]


def check_sending(txn: Txn, account: str, region: str, name: str | None, service: str) -> None:
    """A send naming configuration set `name`: it must exist and have sending enabled."""
    if not name:
        return
    doc = get(txn, account, region, name, service)
    if not doc.get("SendingEnabled", True):
        if service == "ses":
            raise AwsError.modeled("ses", "ConfigurationSetSendingPausedException",
                                   f"Sending is paused for this configuration set: {name}", ConfigurationSetName=name)
        raise AwsError.modeled("sesv2", "SendingPausedException", f"Sending is paused for this configuration set: {name}")
