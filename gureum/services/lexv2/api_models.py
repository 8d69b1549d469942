"""Lex V2 model-building handlers: bots, locales (with BuildBotLocale's Building -> Built /
Failed, compiled off the request by a task the node owns), intents, slots, slot types,
versions, aliases (tags: api_tags.py; resource policies: api_policies.py). The rest of
lexv2-models (imports/exports, bot recommendations, test sets, custom vocabularies, policy
statements...) answers 501."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from gureum.aws import paging
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.lexv2 import bots, locales, tagging
from gureum.store import Txn

SERVICE = "lexv2-models"


def _bad_token() -> AwsError:
    return AwsError.modeled(SERVICE, "ValidationException", "The nextToken is not valid.")


def _page(items: list[dict[str, Any]], key: Callable[[dict[str, Any]], Any], listing: str,
          params: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    page, token = paging.page_items(items, key, listing=listing, token=params.get("nextToken"),
                                    limit=params.get("maxResults"), default_limit=10, max_limit=1000, error=_bad_token)
    return page, ({"nextToken": token} if token else {})


def _pick(doc: dict[str, Any], *names: str) -> dict[str, Any]:
    return {n: doc[n] for n in names if doc.get(n) is not None}


# --- bots -------------------------------------------------------------------------------------

_BOT = ("botId", "botName", "description", "roleArn", "dataPrivacy", "idleSessionTTLInSeconds", "creationDateTime", "botType")


@operation(SERVICE, "CreateBot")
async def create_bot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    params = {**params, "botTags": tagging.checked(params.get("botTags")),
              "testBotAliasTags": tagging.checked(params.get("testBotAliasTags"))}
    doc = await ctx.app.store.run(lambda t: bots.create_bot(t, ctx.account_id, ctx.region, params, time.time()))
    return {**_pick(doc, *_BOT), "botStatus": "Creating", "botTags": doc["botTags"],
            **({"testBotAliasTags": params["testBotAliasTags"]} if params.get("testBotAliasTags") else {})}


@operation(SERVICE, "DescribeBot")
async def describe_bot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: bots.get_bot(t, ctx.account_id, ctx.region, params["botId"]))
    return {**_pick(doc, *_BOT, "lastUpdatedDateTime"), "botStatus": "Available"}


@operation(SERVICE, "UpdateBot")
async def update_bot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: bots.update_bot(t, ctx.account_id, ctx.region, params, time.time()))
    return {**_pick(doc, *_BOT, "lastUpdatedDateTime"), "botStatus": "Available"}


@operation(SERVICE, "DeleteBot")
async def delete_bot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def run(t: Txn) -> None:
        bots.delete_bot(t, ctx.account_id, ctx.region, params["botId"])
        for table in (locales.LOCALES, locales.INTENTS, locales.SLOTS, locales.SLOT_TYPES):
            t.delete_prefix(table, f"{ctx.account_id}/{ctx.region}/{params['botId']}/")

    await ctx.app.store.run(run)
    return {"botId": params["botId"], "botStatus": "Deleting"}


@operation(SERVICE, "ListBots")
async def list_bots(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    docs = await ctx.app.store.read(lambda t: bots.list_bots(t, ctx.account_id, ctx.region))
    for f in params.get("filters") or []:
        if f["name"] == "BotName":
            docs = [d for d in docs if _matches(d["botName"], f)]
    page, more = _page(sorted(docs, key=lambda d: d["botName"]), lambda d: d["botName"], "lexv2.bots", params)
    return {"botSummaries": [{**_pick(d, "botId", "botName", "description", "lastUpdatedDateTime", "botType"),
                              "botStatus": "Available",
                              **({"latestBotVersion": str(int(d["nextVersion"]) - 1)} if int(d.get("nextVersion") or 1) > 1 else {})}
                             for d in page], **more}


def _matches(value: str, f: dict[str, Any]) -> bool:
    wanted = list(f.get("values") or [])
    if f.get("operator") == "CO":
        return any(w in value for w in wanted)
    return value in wanted


# --- locales ----------------------------------------------------------------------------------

_LOCALE = ("localeId", "localeName", "description", "nluIntentConfidenceThreshold", "voiceSettings", "creationDateTime")


@operation(SERVICE, "CreateBotLocale")
async def create_bot_locale(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: locales.create_locale(t, ctx.account_id, ctx.region, params, time.time()))
    return {"botId": params["botId"], "botVersion": params["botVersion"], **_pick(doc, *_LOCALE), "botLocaleStatus": "Creating"}


@operation(SERVICE, "DescribeBotLocale")
async def describe_bot_locale(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def run(t: Txn) -> tuple[dict[str, Any], int, int]:
        doc = locales.get_locale(t, ctx.account_id, ctx.region, params["botId"], params["botVersion"], params["localeId"])
        k = locales.lkey(ctx.account_id, ctx.region, params["botId"], params["botVersion"], params["localeId"])
        return doc, t.count(locales.INTENTS, k + "/"), t.count(locales.SLOT_TYPES, k + "/")

    doc, intents, types = await ctx.app.store.read(run)
    out = {"botId": params["botId"], "botVersion": params["botVersion"],
           **_pick(doc, *_LOCALE, "lastUpdatedDateTime", "lastBuildSubmittedDateTime", "botLocaleStatus"),
           "intentsCount": intents, "slotTypesCount": types}
    if doc.get("failureReasons"):
        out["failureReasons"] = doc["failureReasons"]
    return out


@operation(SERVICE, "ListBotLocales")
async def list_bot_locales(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    docs = await ctx.app.store.read(lambda t: locales.list_locales(t, ctx.account_id, ctx.region, params["botId"],
                                                                   params["botVersion"]))
    page, more = _page(docs, lambda d: d["localeId"], f"lexv2.locales/{params['botId']}/{params['botVersion']}", params)
    return {"botId": params["botId"], "botVersion": params["botVersion"],
            "botLocaleSummaries": [_pick(d, "localeId", "localeName", "description", "botLocaleStatus", "lastUpdatedDateTime",
                                         "lastBuildSubmittedDateTime") for d in page], **more}


@operation(SERVICE, "DeleteBotLocale")
async def delete_bot_locale(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: locales.delete_locale(t, ctx.account_id, ctx.region, params["botId"],
                                                            params["botVersion"], params["localeId"]))
    return {"botId": params["botId"], "botVersion": params["botVersion"], "localeId": params["localeId"],
            "botLocaleStatus": "Deleting"}


@operation(SERVICE, "BuildBotLocale")
async def build_bot_locale(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    account, region = ctx.account_id, ctx.region
    bot_id, version, locale = params["botId"], params["botVersion"], params["localeId"]
    doc = await ctx.app.store.run(lambda t: locales.start_build(t, account, region, bot_id, version, locale, time.time()))
    app = ctx.app

    async def finish() -> None:
        await app.store.run(lambda t: locales.finish_build(t, account, region, bot_id, version, locale, time.time()))

    app.spawn(finish(), f"lexv2-build-{bot_id}-{locale}")
    return {"botId": bot_id, "botVersion": version, "localeId": locale, "botLocaleStatus": "Building",
            "lastBuildSubmittedDateTime": doc["lastBuildSubmittedDateTime"]}


# --- intents ----------------------------------------------------------------------------------

def _intent_out(params: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    return {"botId": params["botId"], "botVersion": params["botVersion"], "localeId": params["localeId"],
            **{k: v for k, v in doc.items() if v is not None}}


@operation(SERVICE, "CreateIntent")
async def create_intent(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    p = {k: v for k, v in params.items() if k != "intentId"}
    doc = await ctx.app.store.run(lambda t: locales.put_intent(t, ctx.account_id, ctx.region, p, time.time()))
    out = _intent_out(params, doc)
    out.pop("lastUpdatedDateTime", None)
    out.pop("slotPriorities", None)
    return out


@operation(SERVICE, "UpdateIntent")
async def update_intent(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: locales.put_intent(t, ctx.account_id, ctx.region, params, time.time()))
    return _intent_out(params, doc)


@operation(SERVICE, "DescribeIntent")
async def describe_intent(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: locales.get_intent(t, ctx.account_id, ctx.region, params))
    return _intent_out(params, doc)


@operation(SERVICE, "DeleteIntent")
async def delete_intent(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: locales.delete_intent(t, ctx.account_id, ctx.region, params, time.time()))
    return {}


@operation(SERVICE, "ListIntents")
async def list_intents(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    docs = await ctx.app.store.read(lambda t: locales.list_intents(t, ctx.account_id, ctx.region, params))
    page, more = _page(sorted(docs, key=lambda d: d["intentName"]), lambda d: d["intentName"],
                       f"lexv2.intents/{params['botId']}/{params['botVersion']}/{params['localeId']}", params)
    return {"botId": params["botId"], "botVersion": params["botVersion"], "localeId": params["localeId"],
            "intentSummaries": [_pick(d, "intentId", "intentName", "description", "parentIntentSignature",
                                      "lastUpdatedDateTime") for d in page], **more}


# --- slots ------------------------------------------------------------------------------------

def _slot_out(params: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    return {"botId": params["botId"], "botVersion": params["botVersion"], "localeId": params["localeId"],
            **{k: v for k, v in doc.items() if v is not None}}


@operation(SERVICE, "CreateSlot")
async def create_slot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    p = {k: v for k, v in params.items() if k != "slotId"}
    doc = await ctx.app.store.run(lambda t: locales.put_slot(t, ctx.account_id, ctx.region, p, time.time()))
    out = _slot_out(params, doc)
    out.pop("lastUpdatedDateTime", None)
    return out


@operation(SERVICE, "UpdateSlot")
async def update_slot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: locales.put_slot(t, ctx.account_id, ctx.region, params, time.time()))
    return _slot_out(params, doc)


@operation(SERVICE, "DescribeSlot")
async def describe_slot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: locales.get_slot(t, ctx.account_id, ctx.region, params))
    return _slot_out(params, doc)


@operation(SERVICE, "DeleteSlot")
async def delete_slot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: locales.delete_slot(t, ctx.account_id, ctx.region, params, time.time()))
    return {}


@operation(SERVICE, "ListSlots")
async def list_slots(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    docs = await ctx.app.store.read(lambda t: locales.list_slots(t, ctx.account_id, ctx.region, params))
    page, more = _page(sorted(docs, key=lambda d: d["slotName"]), lambda d: d["slotName"],
                       f"lexv2.slots/{params['botId']}/{params['botVersion']}/{params['localeId']}/{params['intentId']}", params)
    summaries = []
    for d in page:
        setting = d.get("valueElicitationSetting") or {}
        summaries.append({**_pick(d, "slotId", "slotName", "description", "slotTypeId", "lastUpdatedDateTime"),
                          "slotConstraint": setting.get("slotConstraint"),
                          **({"valueElicitationPromptSpecification": setting["promptSpecification"]}
                             if setting.get("promptSpecification") else {})})
    return {"botId": params["botId"], "botVersion": params["botVersion"], "localeId": params["localeId"],
            "intentId": params["intentId"], "slotSummaries": summaries, **more}


# --- slot types -------------------------------------------------------------------------------

@operation(SERVICE, "CreateSlotType")
async def create_slot_type(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    p = {k: v for k, v in params.items() if k != "slotTypeId"}
    doc = await ctx.app.store.run(lambda t: locales.put_slot_type(t, ctx.account_id, ctx.region, p, time.time()))
    out = _slot_out(params, doc)
    out.pop("lastUpdatedDateTime", None)
    return out


@operation(SERVICE, "UpdateSlotType")
async def update_slot_type(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: locales.put_slot_type(t, ctx.account_id, ctx.region, params, time.time()))
    return _slot_out(params, doc)


@operation(SERVICE, "DescribeSlotType")
async def describe_slot_type(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: locales.get_slot_type(t, ctx.account_id, ctx.region, params))
    return _slot_out(params, doc)


@operation(SERVICE, "DeleteSlotType")
async def delete_slot_type(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: locales.delete_slot_type(t, ctx.account_id, ctx.region, params, time.time()))
    return {}


@operation(SERVICE, "ListSlotTypes")
async def list_slot_types(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    docs = await ctx.app.store.read(lambda t: locales.list_slot_types(t, ctx.account_id, ctx.region, params))
    page, more = _page(sorted(docs, key=lambda d: d["slotTypeName"]), lambda d: d["slotTypeName"],
                       f"lexv2.slottypes/{params['botId']}/{params['botVersion']}/{params['localeId']}", params)
    return {"botId": params["botId"], "botVersion": params["botVersion"], "localeId": params["localeId"],
            "slotTypeSummaries": [{**_pick(d, "slotTypeId", "slotTypeName", "description", "parentSlotTypeSignature",
                                           "lastUpdatedDateTime"), "slotTypeCategory": "Custom"} for d in page], **more}


# --- versions ---------------------------------------------------------------------------------

@operation(SERVICE, "CreateBotVersion")
async def create_bot_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    spec = dict(params["botVersionLocaleSpecification"])

    def run(t: Txn) -> dict[str, Any]:
        for detail in spec.values():
            if detail.get("sourceBotVersion") != "DRAFT":
                raise AwsError.modeled(SERVICE, "ValidationException", "A version can only be created from the DRAFT version.")
        doc = bots.add_version(t, ctx.account_id, ctx.region, params["botId"], params.get("description"), spec, time.time())
        locales.copy_to_version(t, ctx.account_id, ctx.region, params["botId"], list(spec), doc["botVersion"])
        return doc

    doc = await ctx.app.store.run(run)
    return {"botId": params["botId"], **_pick(doc, "description", "botVersion", "botVersionLocaleSpecification",
                                              "creationDateTime"), "botStatus": "Creating"}


@operation(SERVICE, "DescribeBotVersion")
async def describe_bot_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def run(t: Txn) -> tuple[dict[str, Any], dict[str, Any]]:
        return (bots.get_bot(t, ctx.account_id, ctx.region, params["botId"]),
                bots.get_version(t, ctx.account_id, ctx.region, params["botId"], params["botVersion"]))

    bot, doc = await ctx.app.store.read(run)
    return {**_pick(bot, "botId", "botName", "roleArn", "dataPrivacy", "idleSessionTTLInSeconds", "botType"),
            **_pick(doc, "botVersion", "description", "creationDateTime"), "botStatus": "Available"}


@operation(SERVICE, "ListBotVersions")
async def list_bot_versions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def run(t: Txn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return (bots.get_bot(t, ctx.account_id, ctx.region, params["botId"]),
                bots.list_versions(t, ctx.account_id, ctx.region, params["botId"]))

    bot, docs = await ctx.app.store.read(run)
    descending = (params.get("sortBy") or {}).get("order", "Ascending") == "Descending"
    page, token = paging.page_items(docs, lambda d: int(d["botVersion"]), listing=f"lexv2.versions/{params['botId']}",
                                    token=params.get("nextToken"), limit=params.get("maxResults"), default_limit=10,
                                    max_limit=1000, descending=descending, error=_bad_token)
    return {"botId": params["botId"],
            "botVersionSummaries": [{"botName": bot["botName"], **_pick(d, "botVersion", "description", "creationDateTime"),
                                     "botStatus": "Available"} for d in page], **({"nextToken": token} if token else {})}


@operation(SERVICE, "DeleteBotVersion")
async def delete_bot_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def run(t: Txn) -> None:
        bots.delete_version(t, ctx.account_id, ctx.region, params["botId"], params["botVersion"],
                            bool(params.get("skipResourceInUseCheck")))
        for table in (locales.LOCALES, locales.INTENTS, locales.SLOTS, locales.SLOT_TYPES):
            t.delete_prefix(table, f"{ctx.account_id}/{ctx.region}/{params['botId']}/{params['botVersion']}/")

    await ctx.app.store.run(run)
    return {"botId": params["botId"], "botVersion": params["botVersion"], "botStatus": "Deleting"}


# --- aliases ----------------------------------------------------------------------------------

_ALIAS = ("botAliasId", "botAliasName", "description", "botVersion", "botAliasLocaleSettings", "sentimentAnalysisSettings",
          "conversationLogSettings", "creationDateTime")


@operation(SERVICE, "CreateBotAlias")
async def create_bot_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    params = {**params, "tags": tagging.checked(params.get("tags"))}
    doc = await ctx.app.store.run(lambda t: bots.create_alias(t, ctx.account_id, ctx.region, params, time.time()))
    return {"botId": params["botId"], **_pick(doc, *_ALIAS), "botAliasStatus": "Creating",
            **({"tags": doc["tags"]} if doc.get("tags") else {})}


@operation(SERVICE, "DescribeBotAlias")
async def describe_bot_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: bots.get_alias(t, ctx.account_id, ctx.region, params["botId"], params["botAliasId"]))
    return {"botId": params["botId"], **_pick(doc, *_ALIAS, "lastUpdatedDateTime"), "botAliasStatus": "Available"}


@operation(SERVICE, "UpdateBotAlias")
async def update_bot_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: bots.update_alias(t, ctx.account_id, ctx.region, params, time.time()))
    return {"botId": params["botId"], **_pick(doc, *_ALIAS, "lastUpdatedDateTime"), "botAliasStatus": "Available"}


@operation(SERVICE, "DeleteBotAlias")
async def delete_bot_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: bots.delete_alias(t, ctx.account_id, ctx.region, params["botId"], params["botAliasId"]))
    return {"botId": params["botId"], "botAliasId": params["botAliasId"], "botAliasStatus": "Deleting"}


@operation(SERVICE, "ListBotAliases")
async def list_bot_aliases(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def run(t: Txn) -> list[dict[str, Any]]:
        bots.get_bot(t, ctx.account_id, ctx.region, params["botId"])
        return bots.list_aliases(t, ctx.account_id, ctx.region, params["botId"])

    docs = await ctx.app.store.read(run)
    page, more = _page(sorted(docs, key=lambda d: d["botAliasName"]), lambda d: d["botAliasName"],
                       f"lexv2.aliases/{params['botId']}", params)
    return {"botId": params["botId"], "botAliasSummaries": [
        {**_pick(d, "botAliasId", "botAliasName", "description", "botVersion", "creationDateTime", "lastUpdatedDateTime"),
         "botAliasStatus": "Available"} for d in page], **more}
