"""Lex V2 tags: TagResource, UntagResource and ListTagsForResource on a bot
(`arn:...:lex:{region}:{account}:bot/{botId}`) or a bot alias
(`...:bot-alias/{botId}/{botAliasId}`), through the shared tag kit (gureum/aws/tags.py).

Where the tags live: a bot's in its lexv2_bots row (`botTags`), an alias's in its
lexv2_aliases row (`tags`), both `{key: value}` (bots.py). Rules: AWS's tag rules with Lex's
ValidationException; at most 200 tags (Lex's TagMap); `aws:` keys are reserved. An ARN of
another Region or account, or of a kind Lex cannot tag here, is ResourceNotFoundException."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import tags
from gureum.aws.errors import AwsError
from gureum.services.lexv2.bots import ALIASES, BOTS, bot_key, get_alias, get_bot
from gureum.store import Txn

S = "lexv2-models"
RULES = tags.Rules(invalid=lambda m: AwsError.modeled(S, "ValidationException", m), max_tags=200)


@dataclass(frozen=True)
class BotTags:
    account: str
    region: str
    bot_id: str

    def read(self, txn: Txn) -> dict[str, str]:
        return dict(get_bot(txn, self.account, self.region, self.bot_id).get("botTags") or {})

    def write(self, txn: Txn, new: dict[str, str]) -> None:
        doc = get_bot(txn, self.account, self.region, self.bot_id)
        txn.put(BOTS, bot_key(self.account, self.region, self.bot_id), {**doc, "botTags": new})


@dataclass(frozen=True)
class AliasTags:
    account: str
    region: str
    bot_id: str
    alias_id: str

    def read(self, txn: Txn) -> dict[str, str]:
        return dict(get_alias(txn, self.account, self.region, self.bot_id, self.alias_id).get("tags") or {})

    def write(self, txn: Txn, new: dict[str, str]) -> None:
        doc = get_alias(txn, self.account, self.region, self.bot_id, self.alias_id)
        txn.put(ALIASES, f"{bot_key(self.account, self.region, self.bot_id)}/{self.alias_id}", {**doc, "tags": new})


def place(account: str, region: str, resource_arn: str) -> BotTags | AliasTags:
    """Where the tags of `resource_arn` live; ResourceNotFoundException for anything else."""
    parts = arns.try_parse(resource_arn)
    missing = AwsError.modeled(S, "ResourceNotFoundException", f"Could not find the resource {resource_arn}.")
    if parts is None or parts.service != "lex" or parts.account != account or parts.region != region:
        raise missing
    kind, _, rest = parts.resource.partition("/")
    ids = rest.split("/")
    if kind == "bot" and len(ids) == 1 and ids[0]:
        return BotTags(account, region, ids[0])
    if kind == "bot-alias" and len(ids) == 2 and all(ids):
        return AliasTags(account, region, ids[0], ids[1])
    raise missing


def checked(given: dict[str, Any] | None) -> dict[str, str]:
    """CreateBot's/CreateBotAlias's tags checked by the same rules as TagResource's."""
    out = tags.check(dict(given or {}), RULES)
    if len([k for k in out if not tags.is_reserved(k, RULES)]) > RULES.max_tags:
        raise RULES.over_limit()
    return out
