"""Lex V2 bots, their numbered versions and their aliases.

Tables (keys start "{account}/{region}/{botId}"):
- lexv2_bots: ".../{botId}" -> {botId, botName, description, roleArn, dataPrivacy,
  idleSessionTTLInSeconds, botType, creationDateTime, lastUpdatedDateTime, botTags,
  nextVersion}; bot names are unique per account and Region.
- lexv2_versions: ".../{botId}/{version}" -> {botVersion, description, creationDateTime,
  botVersionLocaleSpecification}: a version's locales are copied from DRAFT (locales.py)
  and never change.
- lexv2_aliases: ".../{botId}/{aliasId}" -> {botAliasId, botAliasName, description, botVersion,
  botAliasLocaleSettings, sentimentAnalysisSettings, conversationLogSettings,
  creationDateTime, lastUpdatedDateTime, tags}. Every bot has the test alias TSTALIASID
  ("TestBotAlias", on DRAFT) from its creation, as in AWS.
Ids are 10 upper-case letters and digits. Statuses: a bot, version or alias is Available
once written (the API answers Creating first, as AWS's 202 does)."""

from __future__ import annotations

import secrets
import string
from typing import Any

from gureum.aws.errors import AwsError
from gureum.store import Txn

BOTS = "lexv2_bots"
VERSIONS = "lexv2_versions"
ALIASES = "lexv2_aliases"
TEST_ALIAS = "TSTALIASID"
TEST_ALIAS_NAME = "TestBotAlias"
MAX_BOTS = 1000


def new_id() -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(10))


def not_found(what: str, ident: str) -> AwsError:
    return AwsError.modeled("lexv2-models", "ResourceNotFoundException", f"Could not find {what} {ident}.")


def bot_key(account: str, region: str, bot_id: str) -> str:
    return f"{account}/{region}/{bot_id}"


def get_bot(txn: Txn, account: str, region: str, bot_id: str) -> dict[str, Any]:
    doc = txn.get(BOTS, bot_key(account, region, bot_id))
    if doc is None:
        raise not_found("bot", bot_id)
    return doc


def create_bot(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    prefix = f"{account}/{region}/"
    if any(d["botName"] == p["botName"] for _, d in txn.scan(BOTS, prefix)):
        raise AwsError.modeled("lexv2-models", "ConflictException", f"A bot with the name {p['botName']} already exists.")
    if txn.count(BOTS, prefix) >= MAX_BOTS:
        raise AwsError.modeled("lexv2-models", "ServiceQuotaExceededException", f"You can create at most {MAX_BOTS} bots.")
    bot_id = new_id()
    doc = {"botId": bot_id, "botName": p["botName"], "description": p.get("description"), "roleArn": p["roleArn"],
           "dataPrivacy": p["dataPrivacy"], "idleSessionTTLInSeconds": p["idleSessionTTLInSeconds"],
           "botType": p.get("botType") or "Bot", "creationDateTime": now, "lastUpdatedDateTime": now,
           "botTags": dict(p.get("botTags") or {}), "nextVersion": 1}
    txn.put(BOTS, bot_key(account, region, bot_id), doc)
    txn.put(ALIASES, f"{prefix}{bot_id}/{TEST_ALIAS}", {
        "botAliasId": TEST_ALIAS, "botAliasName": TEST_ALIAS_NAME, "description": "test bot alias", "botVersion": "DRAFT",
        "botAliasLocaleSettings": {}, "creationDateTime": now, "lastUpdatedDateTime": now,
        "tags": dict(p.get("testBotAliasTags") or {})})
    return doc


def update_bot(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    doc = get_bot(txn, account, region, p["botId"])
    doc = {**doc, **{k: p.get(k) for k in ("botName", "description", "roleArn", "dataPrivacy", "idleSessionTTLInSeconds")},
           "lastUpdatedDateTime": now}
    txn.put(BOTS, bot_key(account, region, p["botId"]), doc)
    return doc


def delete_bot(txn: Txn, account: str, region: str, bot_id: str) -> None:
    get_bot(txn, account, region, bot_id)
    k = bot_key(account, region, bot_id)
    txn.delete(BOTS, k)
    txn.delete_prefix(VERSIONS, k + "/")
    txn.delete_prefix(ALIASES, k + "/")


def list_bots(txn: Txn, account: str, region: str) -> list[dict[str, Any]]:
    return [d for _, d in txn.scan(BOTS, f"{account}/{region}/")]


# --- versions ---------------------------------------------------------------------------------

def add_version(txn: Txn, account: str, region: str, bot_id: str, description: str | None,
                spec: dict[str, Any], now: float) -> dict[str, Any]:
    bot = get_bot(txn, account, region, bot_id)
    number = str(bot.get("nextVersion") or 1)
    txn.put(BOTS, bot_key(account, region, bot_id), {**bot, "nextVersion": int(number) + 1})
    doc = {"botVersion": number, "description": description, "creationDateTime": now,
           "botVersionLocaleSpecification": spec}
    txn.put(VERSIONS, f"{bot_key(account, region, bot_id)}/{number}", doc)
    return doc


def get_version(txn: Txn, account: str, region: str, bot_id: str, version: str) -> dict[str, Any]:
    doc = txn.get(VERSIONS, f"{bot_key(account, region, bot_id)}/{version}")
    if doc is None:
        raise not_found("bot version", f"{bot_id}/{version}")
    return doc


def list_versions(txn: Txn, account: str, region: str, bot_id: str) -> list[dict[str, Any]]:
    get_bot(txn, account, region, bot_id)
    return sorted((d for _, d in txn.scan(VERSIONS, bot_key(account, region, bot_id) + "/")),
                  key=lambda d: int(d["botVersion"]))


def delete_version(txn: Txn, account: str, region: str, bot_id: str, version: str, skip_check: bool) -> None:
    get_version(txn, account, region, bot_id, version)
    if not skip_check:
        for alias in list_aliases(txn, account, region, bot_id):
            if alias["botVersion"] == version:
                raise AwsError.modeled("lexv2-models", "PreconditionFailedException",
                                       f"Bot version {version} is used by the alias {alias['botAliasName']}.")
    txn.delete(VERSIONS, f"{bot_key(account, region, bot_id)}/{version}")


# --- aliases ----------------------------------------------------------------------------------

def _check_alias_version(txn: Txn, account: str, region: str, bot_id: str, version: str | None) -> None:
    if version and version != "DRAFT":
        get_version(txn, account, region, bot_id, version)


def create_alias(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    bot_id = p["botId"]
    get_bot(txn, account, region, bot_id)
    if any(a["botAliasName"] == p["botAliasName"] for a in list_aliases(txn, account, region, bot_id)):
        raise AwsError.modeled("lexv2-models", "ConflictException", f"An alias named {p['botAliasName']} already exists.")
    _check_alias_version(txn, account, region, bot_id, p.get("botVersion"))
    alias_id = new_id()
    doc = {"botAliasId": alias_id, "botAliasName": p["botAliasName"], "description": p.get("description"),
           "botVersion": p.get("botVersion") or "DRAFT", "botAliasLocaleSettings": dict(p.get("botAliasLocaleSettings") or {}),
           "sentimentAnalysisSettings": p.get("sentimentAnalysisSettings"),
           "conversationLogSettings": p.get("conversationLogSettings"),
           "creationDateTime": now, "lastUpdatedDateTime": now, "tags": dict(p.get("tags") or {})}
    txn.put(ALIASES, f"{bot_key(account, region, bot_id)}/{alias_id}", doc)
    return doc


def get_alias(txn: Txn, account: str, region: str, bot_id: str, alias_id: str) -> dict[str, Any]:
    doc = txn.get(ALIASES, f"{bot_key(account, region, bot_id)}/{alias_id}")
    if doc is None:
        raise not_found("bot alias", alias_id)
    return doc


def update_alias(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    doc = get_alias(txn, account, region, p["botId"], p["botAliasId"])
    _check_alias_version(txn, account, region, p["botId"], p.get("botVersion"))
    if doc["botAliasId"] == TEST_ALIAS and p.get("botVersion") not in (None, "DRAFT"):
        raise AwsError.modeled("lexv2-models", "ValidationException", "The test alias always points at the DRAFT version.")
    doc = {**doc, "botAliasName": p["botAliasName"], "description": p.get("description"),
           "botVersion": p.get("botVersion") or doc["botVersion"],
           "botAliasLocaleSettings": dict(p.get("botAliasLocaleSettings") or {}),
           "sentimentAnalysisSettings": p.get("sentimentAnalysisSettings"),
           "conversationLogSettings": p.get("conversationLogSettings"), "lastUpdatedDateTime": now}
    txn.put(ALIASES, f"{bot_key(account, region, p['botId'])}/{p['botAliasId']}", doc)
    return doc


def delete_alias(txn: Txn, account: str, region: str, bot_id: str, alias_id: str) -> None:
    get_alias(txn, account, region, bot_id, alias_id)
    if alias_id == TEST_ALIAS:
        raise AwsError.modeled("lexv2-models", "ValidationException", "The test alias cannot be deleted.")
    txn.delete(ALIASES, f"{bot_key(account, region, bot_id)}/{alias_id}")


def list_aliases(txn: Txn, account: str, region: str, bot_id: str) -> list[dict[str, Any]]:
    return [d for _, d in txn.scan(ALIASES, bot_key(account, region, bot_id) + "/")]
