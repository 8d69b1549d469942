"""The Lex V2 resource types, made by the lexv2-models service's own handlers (the template's
PascalCase properties passed as Lex's camelCase members, `_api`):

- AWS::Lex::Bot (Ref and GetAtt Id: the bot id; GetAtt Arn): CreateBot, then the DRAFT
  version's BotLocales one by one: CreateBotLocale, its SlotTypes (CreateSlotType), its Intents
  (CreateIntent, then each intent's Slots with CreateSlot, the slot's SlotTypeName resolved to
  the new slot type's id or kept for an AMAZON.* type, then UpdateIntent with SlotPriorities
  by slot id). An intent whose ParentIntentSignature is AMAZON.FallbackIntent updates the
  locale's own fallback intent (every locale has one). AutoBuildBotLocales: BuildBotLocale for
  each locale made, waited for until Built; a Failed build fails the resource with the
  locale's failureReasons. BotType replaces it (the engine decides); the rest changes in place:
  UpdateBot, a locale that changed (or is gone) deleted with DeleteBotLocale and made again
  (Lex has no UpdateBotLocale: the DRAFT's definition is replaced, as AWS's import replaces
  it), tags through TagResource / UntagResource on the bot's ARN, TestBotAliasSettings through
  UpdateBotAlias on the test alias TSTALIASID.
- AWS::Lex::BotVersion (Ref: `{bot id}|{version}`, the primary identifier's parts; GetAtt
  BotVersion): CreateBotVersion from BotVersionLocaleSpecification; the type has no update
  (AWS's schema has no update handler): every change makes a new version and deletes the old.
- AWS::Lex::BotAlias (Ref: `{alias id}|{bot id}`; GetAtt Arn, BotAliasId, BotAliasStatus):
  CreateBotAlias; BotId replaces it, the rest is UpdateBotAlias in place, BotAliasTags through
  TagResource / UntagResource.
- AWS::Lex::ResourcePolicy (Ref and GetAtt Id: the ARN of the bot or alias the policy is on,
  its one policy's identity; GetAtt RevisionId): CreateResourcePolicy; ResourceArn replaces it,
  the Policy changes in place through UpdateResourcePolicy (the document replaced whatever its
  revision, as a stack update means; a new RevisionId); delete is DeleteResourcePolicy.
Deletes are tolerant of a resource already gone (ResourceNotFoundException).

Not here: a bot's
BotFileS3Location (StartImport answers 501), BotMembers, Replication and ErrorLogSettings, and
in a locale the properties gureum's Lex does not apply: a template setting them fails."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    ResourceFailed,
    deleting,
    ignore_missing,
    policy_text,
    provider,
    refuse_unapplied,
    updating,
)
from gureum.services.cloudformation.providers.shapes import coerce

S = "lexv2-models"
BOT, VERSION, ALIAS, POLICY = "AWS::Lex::Bot", "AWS::Lex::BotVersion", "AWS::Lex::BotAlias", "AWS::Lex::ResourcePolicy"
DRAFT, TEST_ALIAS, TEST_ALIAS_NAME = "DRAFT", "TSTALIASID", "TestBotAlias"
MISSING = "ResourceNotFound"
BUILD_TIMEOUT = 600.0  # seconds a locale's build may take before the resource fails
POLL = 0.2

_BOT = ("Name", "RoleArn", "DataPrivacy", "IdleSessionTTLInSeconds", "Description", "BotType", "BotTags",
        "TestBotAliasTags", "TestBotAliasSettings", "BotLocales", "AutoBuildBotLocales")
_LOCALE = ("LocaleId", "Description", "NluConfidenceThreshold", "VoiceSettings", "SlotTypes", "Intents")
_INTENT = ("Name", "DisplayName", "Description", "ParentIntentSignature", "SampleUtterances", "DialogCodeHook",
           "FulfillmentCodeHook", "IntentConfirmationSetting", "IntentClosingSetting", "InputContexts", "OutputContexts",
           "InitialResponseSetting", "SlotPriorities", "Slots")
_SLOT = ("Name", "Description", "SlotTypeName", "ValueElicitationSetting", "ObfuscationSetting", "MultipleValuesSetting")
_SLOT_TYPE = ("Name", "Description", "ParentSlotTypeSignature", "SlotTypeValues", "ValueSelectionSetting",
              "ExternalSourceSetting", "CompositeSlotTypeSetting")
_ALIAS = ("BotId", "BotAliasName", "Description", "BotVersion", "BotAliasLocaleSettings", "ConversationLogSettings",
          "SentimentAnalysisSettings", "BotAliasTags")

# template names that are not Lex's member name with its first letter lowered
_RENAMED = {"MessageGroupsList": "messageGroups", "SSMLMessage": "ssmlMessage", "IsActive": "active",
            "LambdaArn": "lambdaARN", "NluConfidenceThreshold": "nluIntentConfidenceThreshold",
            "DisplayName": "intentDisplayName"}


def _api(value: Any) -> Any:
    """A template value with its object keys as Lex's API names them."""
    if isinstance(value, dict):
        return {_RENAMED.get(k, k[:1].lower() + k[1:]): _api(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_api(v) for v in value]
    return value


async def _call(ctx: ResourceContext, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.call(S, operation, coerce(S, operation, params))


def bot_arn(ctx: ResourceContext, bot_id: str) -> str:
    return arns.lex_bot(ctx.region, ctx.account, bot_id)


def alias_arn(ctx: ResourceContext, bot_id: str, alias_id: str) -> str:
    return arns.lex_bot_alias(ctx.region, ctx.account, bot_id, alias_id)


def _tag_map(items: Any) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in items or () if isinstance(t, dict) and "Key" in t}


def _tags(ctx: ResourceContext, items: Any) -> dict[str, str]:
    """A taggable Lex resource's tags: the stack's, its own (winning), then the system tags."""
    return {**dict(ctx.tags), **_tag_map(items), **ctx.system_tags}


async def _retag(ctx: ResourceContext, arn: str, old: dict[str, str], new: dict[str, str]) -> None:
    gone = [k for k in old if k not in new]
    if gone:
        await _call(ctx, "UntagResource", {"resourceARN": arn, "tagKeys": gone})
    changed = {k: v for k, v in new.items() if old.get(k) != v}
    if changed:
        await _call(ctx, "TagResource", {"resourceARN": arn, "tags": changed})


# --- bots -------------------------------------------------------------------------------------

def _bot_params(props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"botName": props["Name"], "roleArn": props["RoleArn"], "dataPrivacy": _api(props["DataPrivacy"]),
                           "idleSessionTTLInSeconds": props["IdleSessionTTLInSeconds"]}
    if props.get("Description") is not None:
        out["description"] = props["Description"]
    return out


def _check_bot(props: dict[str, Any]) -> None:
    refuse_unapplied(BOT, props, _BOT)
    for locale in props.get("BotLocales") or ():
        refuse_unapplied(f"{BOT} BotLocales", locale, _LOCALE)
        for slot_type in locale.get("SlotTypes") or ():
            refuse_unapplied(f"{BOT} SlotTypes", slot_type, _SLOT_TYPE)
        for intent in locale.get("Intents") or ():
            refuse_unapplied(f"{BOT} Intents", intent, _INTENT)
            for slot in intent.get("Slots") or ():
                refuse_unapplied(f"{BOT} Slots", slot, _SLOT)


def _intent_params(where: dict[str, Any], intent: dict[str, Any]) -> dict[str, Any]:
    body = _api({k: v for k, v in intent.items() if k not in ("Name", "Slots", "SlotPriorities")})
    return {**where, "intentName": intent["Name"], **body}


async def _fallback_id(ctx: ResourceContext, where: dict[str, Any]) -> str:
    out = await _call(ctx, "ListIntents", {**where, "maxResults": 1000})
    for summary in out.get("intentSummaries") or ():
        if summary.get("parentIntentSignature") == "AMAZON.FallbackIntent":
            return str(summary["intentId"])
    raise ResourceFailed(f"The locale {where['localeId']} has no fallback intent")


async def _make_locale(ctx: ResourceContext, bot_id: str, locale: dict[str, Any]) -> None:
    """One locale of the DRAFT version with everything it holds, through Lex's own operations."""
    where = {"botId": bot_id, "botVersion": DRAFT, "localeId": locale["LocaleId"]}
    params = {**where, "nluIntentConfidenceThreshold": locale["NluConfidenceThreshold"]}
    for key in ("Description", "VoiceSettings"):
        if locale.get(key) is not None:
            params[_RENAMED.get(key, key[:1].lower() + key[1:])] = _api(locale[key])
    await _call(ctx, "CreateBotLocale", params)
    type_ids: dict[str, str] = {}
    for slot_type in locale.get("SlotTypes") or ():
        body = _api({k: v for k, v in slot_type.items() if k != "Name"})
        out = await _call(ctx, "CreateSlotType", {**where, "slotTypeName": slot_type["Name"], **body})
        type_ids[str(slot_type["Name"])] = str(out["slotTypeId"])
    for intent in locale.get("Intents") or ():
        params = _intent_params(where, intent)
        if intent.get("ParentIntentSignature") == "AMAZON.FallbackIntent":
            intent_id = await _fallback_id(ctx, where)
            await _call(ctx, "UpdateIntent", {**params, "intentId": intent_id})
        else:
            intent_id = str((await _call(ctx, "CreateIntent", params))["intentId"])
        slot_ids: dict[str, str] = {}
        for slot in intent.get("Slots") or ():
            type_name = str(slot["SlotTypeName"])
            body = _api({k: v for k, v in slot.items() if k not in ("Name", "SlotTypeName")})
            out = await _call(ctx, "CreateSlot", {**where, "intentId": intent_id, "slotName": slot["Name"],
                                                  "slotTypeId": type_ids.get(type_name, type_name), **body})
            slot_ids[str(slot["Name"])] = str(out["slotId"])
        if intent.get("SlotPriorities"):
            priorities = []
            for p in intent["SlotPriorities"]:
                if str(p["SlotName"]) not in slot_ids:
                    raise ResourceFailed(f"The slot priority names the slot {p['SlotName']}, which intent "
                                         f"{intent['Name']} does not have")
                priorities.append({"priority": p["Priority"], "slotId": slot_ids[str(p["SlotName"])]})
            await _call(ctx, "UpdateIntent", {**params, "intentId": intent_id, "slotPriorities": priorities})


async def _build(ctx: ResourceContext, bot_id: str, locale_ids: list[str]) -> None:
    """BuildBotLocale for each locale, then wait until every one is Built (Failed: the resource fails)."""
    for locale_id in locale_ids:
        await _call(ctx, "BuildBotLocale", {"botId": bot_id, "botVersion": DRAFT, "localeId": locale_id})
    if locale_ids:
        await ctx.note(f"Building bot locales {', '.join(locale_ids)}")
    deadline = time.monotonic() + BUILD_TIMEOUT
    waiting = list(locale_ids)
    while waiting:
        for locale_id in list(waiting):
            out = await _call(ctx, "DescribeBotLocale", {"botId": bot_id, "botVersion": DRAFT, "localeId": locale_id})
            status = out.get("botLocaleStatus")
            if status == "Built":
                waiting.remove(locale_id)
            elif status == "Failed":
                reasons = "; ".join(out.get("failureReasons") or ()) or "no reason given"
                raise ResourceFailed(f"Bot locale {locale_id} failed to build: {reasons}")
        if waiting and time.monotonic() > deadline:
            raise ResourceFailed(f"Bot locales {', '.join(waiting)} did not build within {int(BUILD_TIMEOUT)} seconds")
        if waiting:
            await asyncio.sleep(POLL)


def _auto_build(props: dict[str, Any]) -> bool:
    return str(props.get("AutoBuildBotLocales", False)).lower() == "true"


def _test_alias_params(bot_id: str, settings: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"botId": bot_id, "botAliasId": TEST_ALIAS, "botAliasName": TEST_ALIAS_NAME}
    if settings.get("Description") is not None:
        out["description"] = settings["Description"]
    if settings.get("BotAliasLocaleSettings"):
        out["botAliasLocaleSettings"] = _locale_settings(settings["BotAliasLocaleSettings"])
    for key in ("ConversationLogSettings", "SentimentAnalysisSettings"):
        if settings.get(key) is not None:
            out[key[:1].lower() + key[1:]] = _api(settings[key])
    return out


@provider(BOT)
async def create_bot(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    _check_bot(props)
    params = {**_bot_params(props), "botTags": _tags(ctx, props.get("BotTags"))}
    if props.get("BotType"):
        params["botType"] = props["BotType"]
    if props.get("TestBotAliasTags"):
        params["testBotAliasTags"] = _tag_map(props["TestBotAliasTags"])
    bot_id = str((await _call(ctx, "CreateBot", params))["botId"])
    done = Done(bot_id, {"Id": bot_id, "Arn": bot_arn(ctx, bot_id)})
    try:
        if props.get("TestBotAliasSettings"):
            await _call(ctx, "UpdateBotAlias", _test_alias_params(bot_id, props["TestBotAliasSettings"]))
        locales = list(props.get("BotLocales") or ())
        for locale in locales:
            await _make_locale(ctx, bot_id, locale)
        if _auto_build(props):
            await _build(ctx, bot_id, [str(locale["LocaleId"]) for locale in locales])
    except (AwsError, ResourceFailed):
        await ignore_missing(_call(ctx, "DeleteBot", {"botId": bot_id, "skipResourceInUseCheck": True}), MISSING)
        raise
    return done


@updating(BOT)
async def update_bot(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    _check_bot(new)
    await _call(ctx, "UpdateBot", {"botId": physical, **_bot_params(new), **({"botType": new["BotType"]} if new.get("BotType") else {})})
    await _retag(ctx, bot_arn(ctx, physical), _tags(ctx, old.get("BotTags")), _tags(ctx, new.get("BotTags")))
    if old.get("TestBotAliasSettings") != new.get("TestBotAliasSettings"):
        await _call(ctx, "UpdateBotAlias", _test_alias_params(physical, new.get("TestBotAliasSettings") or {}))
    before = {str(loc["LocaleId"]): loc for loc in old.get("BotLocales") or ()}
    after = {str(loc["LocaleId"]): loc for loc in new.get("BotLocales") or ()}
    changed = [lid for lid, loc in after.items() if before.get(lid) != loc]
    for lid in before:
        if lid not in after or lid in changed:
            await ignore_missing(_call(ctx, "DeleteBotLocale", {"botId": physical, "botVersion": DRAFT, "localeId": lid}),
                                 MISSING)
    for lid in changed:
        await _make_locale(ctx, physical, after[lid])
    if _auto_build(new):
        await _build(ctx, physical, list(after) if not _auto_build(old) else changed)
    return done


@deleting(BOT)
async def delete_bot(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ignore_missing(_call(ctx, "DeleteBot", {"botId": physical, "skipResourceInUseCheck": True}), MISSING)


# --- versions ---------------------------------------------------------------------------------

@provider(VERSION)
async def create_bot_version(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(VERSION, props, ("BotId", "BotVersionLocaleSpecification", "Description"))
    spec = {str(item["LocaleId"]): _api(item["BotVersionLocaleDetails"]) for item in props["BotVersionLocaleSpecification"]}
    params: dict[str, Any] = {"botId": props["BotId"], "botVersionLocaleSpecification": spec}
    if props.get("Description") is not None:
        params["description"] = props["Description"]
    version = str((await _call(ctx, "CreateBotVersion", params))["botVersion"])
    return Done(f"{props['BotId']}|{version}", {"BotVersion": version})


@deleting(VERSION)
async def delete_bot_version(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    bot_id, _, version = physical.partition("|")
    await ignore_missing(_call(ctx, "DeleteBotVersion", {"botId": bot_id, "botVersion": version}), MISSING)


# --- aliases ----------------------------------------------------------------------------------

def _locale_settings(items: Any) -> dict[str, Any]:
    """BotAliasLocaleSettings (a list of {LocaleId, BotAliasLocaleSetting}) as Lex's map."""
    return {str(item["LocaleId"]): _api(item["BotAliasLocaleSetting"]) for item in items or ()}


def _alias_params(props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"botId": props["BotId"], "botAliasName": props["BotAliasName"]}
    if props.get("BotAliasLocaleSettings"):
        out["botAliasLocaleSettings"] = _locale_settings(props["BotAliasLocaleSettings"])
    for key in ("Description", "BotVersion", "ConversationLogSettings", "SentimentAnalysisSettings"):
        if props.get(key) is not None:
            out[key[:1].lower() + key[1:]] = _api(props[key])
    return out


@provider(ALIAS)
async def create_bot_alias(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(ALIAS, props, _ALIAS)
    out = await _call(ctx, "CreateBotAlias", {**_alias_params(props), "tags": _tags(ctx, props.get("BotAliasTags"))})
    bot_id, alias_id = str(props["BotId"]), str(out["botAliasId"])
    return Done(f"{alias_id}|{bot_id}", {"Arn": alias_arn(ctx, bot_id, alias_id), "BotAliasId": alias_id,
                                         "BotAliasStatus": "Available"})


@updating(ALIAS)
async def update_bot_alias(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied(ALIAS, new, _ALIAS)
    alias_id, _, bot_id = physical.partition("|")
    await _call(ctx, "UpdateBotAlias", {**_alias_params(new), "botAliasId": alias_id})
    await _retag(ctx, done.attrs["Arn"], _tags(ctx, old.get("BotAliasTags")), _tags(ctx, new.get("BotAliasTags")))
    return done


@deleting(ALIAS)
async def delete_bot_alias(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    alias_id, _, bot_id = physical.partition("|")
    await ignore_missing(_call(ctx, "DeleteBotAlias", {"botId": bot_id, "botAliasId": alias_id}), MISSING)


# --- resource policies ------------------------------------------------------------------------

@provider(POLICY)
async def create_resource_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(POLICY, props, ("ResourceArn", "Policy"))
    arn = str(props["ResourceArn"])
    out = await _call(ctx, "CreateResourcePolicy", {"resourceArn": arn, "policy": policy_text(props["Policy"])})
    return Done(arn, {"Id": arn, "RevisionId": str(out["revisionId"])})


@updating(POLICY)
async def update_resource_policy(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                 done: Done) -> Done:
    refuse_unapplied(POLICY, new, ("ResourceArn", "Policy"))
    out = await _call(ctx, "UpdateResourcePolicy", {"resourceArn": physical, "policy": policy_text(new["Policy"])})
    return Done(physical, {"Id": physical, "RevisionId": str(out["revisionId"])})


@deleting(POLICY)
async def delete_resource_policy(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ignore_missing(_call(ctx, "DeleteResourcePolicy", {"resourceArn": physical}), MISSING)
