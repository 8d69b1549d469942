"""Lex V2 runtime sessions and what a runtime request runs against.

Table lexv2_sessions: "{account}/{region}/{botId}/{aliasId}/{localeId}/{sessionId}" ->
{"sessionState", "messages", "interpretations", "requestAttributes", "retries", "expires"
(s: the bot's idleSessionTTLInSeconds after the last turn)}; an expired session is as
absent. `target` resolves an alias to its version's built snapshot of the locale and the
Lambda function its locale settings name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.lexv2 import bots, locales
from gureum.services.lexv2.dialog import BotRef
from gureum.store import Txn

SESSIONS = "lexv2_sessions"


def _missing(message: str) -> AwsError:
    return AwsError.modeled("lexv2-runtime", "ResourceNotFoundException", message)


def key(account: str, region: str, bot_id: str, alias_id: str, locale: str, session_id: str) -> str:
    return f"{account}/{region}/{bot_id}/{alias_id}/{locale}/{session_id}"


@dataclass(frozen=True)
class Target:
    bot: BotRef
    snapshot: dict[str, Any]
    function: str | None  # the code hook's Lambda ARN
    ttl: int


def target(txn: Txn, account: str, region: str, bot_id: str, alias_id: str, locale: str) -> Target:
    bot = txn.get(bots.BOTS, bots.bot_key(account, region, bot_id))
    if bot is None:
        raise _missing(f"Bot {bot_id} was not found.")
    alias = txn.get(bots.ALIASES, f"{bots.bot_key(account, region, bot_id)}/{alias_id}")
    if alias is None:
        raise _missing(f"Bot alias {alias_id} of bot {bot_id} was not found.")
    version = str(alias["botVersion"])
    settings = (alias.get("botAliasLocaleSettings") or {}).get(locale) or {}
    if settings and not settings.get("enabled", True):
        raise AwsError.modeled("lexv2-runtime", "ValidationException", f"The locale {locale} is disabled on alias {alias_id}.")
    snapshot = locales.snapshot_for(txn, account, region, bot_id, version, locale)
    if snapshot is None:
        raise _missing(f"The locale {locale} of bot {bot_id} version {version} is not built.")
    hook = ((settings.get("codeHookSpecification") or {}).get("lambdaCodeHook") or {}).get("lambdaARN")
    ref = BotRef(bot_id, str(bot["botName"]), alias_id, str(alias["botAliasName"]), locale, version)
    return Target(ref, snapshot, str(hook) if hook else None, int(bot.get("idleSessionTTLInSeconds") or 300))


def get(txn: Txn, k: str, now: float) -> dict[str, Any] | None:
    doc = txn.get(SESSIONS, k)
    if doc is None or float(doc.get("expires") or 0) < now:
        return None
    return doc


def put(txn: Txn, k: str, doc: dict[str, Any]) -> None:
    txn.put(SESSIONS, k, doc)


def delete(txn: Txn, k: str, now: float) -> bool:
    found = get(txn, k, now) is not None
    txn.delete(SESSIONS, k)
    return found
