"""Lex V2 bot locales and what they hold: intents (with sample utterances, prompts, code hook
switches, confirmation, slot priorities), their slots, slot types; the build.

Tables (keys "{account}/{region}/{botId}/{version}/{localeId}" = L):
- lexv2_locales: L -> {localeId, localeName, description, nluIntentConfidenceThreshold,
  voiceSettings, botLocaleStatus, creationDateTime, lastUpdatedDateTime,
  lastBuildSubmittedDateTime, failureReasons, built: the snapshot the runtime uses}
- lexv2_intents: L/{intentId} -> the intent as CreateIntent/UpdateIntent take it, plus ids
  and times; every locale has AMAZON.FallbackIntent (FALLBCKINT) from its creation
- lexv2_slots: L/{intentId}/{slotId} -> the slot
- lexv2_slot_types: L/{slotTypeId} -> the slot type
Names are unique per locale (intents, slot types) or per intent (slots).

States: a locale is NotBuilt after any change of DRAFT, Building once BuildBotLocale is
asked, then Built (with the snapshot) or Failed (failureReasons) when `finish_build` has
compiled it (a build its node lost with it may be asked again after STALE_BUILD seconds).
A version copies DRAFT's built locales and their rows (`copy_to_version`);
only DRAFT can be changed."""

from __future__ import annotations

import re
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.lexv2.bots import get_bot, get_version, new_id, not_found
from gureum.store import Txn

LOCALES = "lexv2_locales"
INTENTS = "lexv2_intents"
SLOTS = "lexv2_slots"
SLOT_TYPES = "lexv2_slot_types"
FALLBACK_ID = "FALLBCKINT"
FALLBACK = "FallbackIntent"
BUILTIN_TYPES = ("AMAZON.Number", "AMAZON.Date", "AMAZON.AlphaNumeric", "AMAZON.FreeFormInput", "AMAZON.Time",
                 "AMAZON.EmailAddress", "AMAZON.PhoneNumber", "AMAZON.FirstName", "AMAZON.LastName", "AMAZON.City",
                 "AMAZON.Country", "AMAZON.State", "AMAZON.StreetName", "AMAZON.PostalCode", "AMAZON.Percentage",
                 "AMAZON.Duration", "AMAZON.Confirmation")
LOCALE_NAMES = {"en_US": "English (US)", "en_GB": "English (GB)", "en_AU": "English (AU)", "de_DE": "German (DE)",
                "fr_FR": "French (FR)", "es_ES": "Spanish (ES)", "es_US": "Spanish (US)", "it_IT": "Italian (IT)",
                "ja_JP": "Japanese (JP)", "ko_KR": "Korean (KR)"}
STALE_BUILD = 60.0  # a build still Building after this long was lost with its node: it may be asked again
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.-]+)\}")


def lkey(account: str, region: str, bot_id: str, version: str, locale: str) -> str:
    return f"{account}/{region}/{bot_id}/{version}/{locale}"


def _validation(message: str) -> AwsError:
    return AwsError.modeled("lexv2-models", "ValidationException", message)


def _draft_only(version: str) -> None:
    if version != "DRAFT":
        raise _validation("Only the DRAFT version of a bot can be changed.")


def get_locale(txn: Txn, account: str, region: str, bot_id: str, version: str, locale: str) -> dict[str, Any]:
    get_bot(txn, account, region, bot_id)
    if version != "DRAFT":
        get_version(txn, account, region, bot_id, version)
    doc = txn.get(LOCALES, lkey(account, region, bot_id, version, locale))
    if doc is None:
        raise not_found("bot locale", f"{bot_id}/{version}/{locale}")
    return doc


def _touch(txn: Txn, k: str, now: float) -> None:
    doc = txn.get(LOCALES, k)
    if doc is not None:
        txn.put(LOCALES, k, {**doc, "botLocaleStatus": "NotBuilt", "lastUpdatedDateTime": now})


def create_locale(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    _draft_only(p["botVersion"])
    get_bot(txn, account, region, p["botId"])
    k = lkey(account, region, p["botId"], "DRAFT", p["localeId"])
    if p["localeId"] not in LOCALE_NAMES:
        raise _validation(f"The locale {p['localeId']} is not supported.")
    if txn.get(LOCALES, k) is not None:
        raise AwsError.modeled("lexv2-models", "ConflictException", f"The locale {p['localeId']} already exists.")
    doc = {"localeId": p["localeId"], "localeName": LOCALE_NAMES[p["localeId"]], "description": p.get("description"),
           "nluIntentConfidenceThreshold": p["nluIntentConfidenceThreshold"], "voiceSettings": p.get("voiceSettings"),
           "botLocaleStatus": "NotBuilt", "creationDateTime": now, "lastUpdatedDateTime": now}
    txn.put(LOCALES, k, doc)
    txn.put(INTENTS, f"{k}/{FALLBACK_ID}", {
        "intentId": FALLBACK_ID, "intentName": FALLBACK, "description": "Default intent when no other intent matches",
        "parentIntentSignature": "AMAZON.FallbackIntent", "creationDateTime": now, "lastUpdatedDateTime": now})
    return doc


def delete_locale(txn: Txn, account: str, region: str, bot_id: str, version: str, locale: str) -> None:
    get_locale(txn, account, region, bot_id, version, locale)
    k = lkey(account, region, bot_id, version, locale)
    txn.delete(LOCALES, k)
    for table in (INTENTS, SLOTS, SLOT_TYPES):
        txn.delete_prefix(table, k + "/")


def list_locales(txn: Txn, account: str, region: str, bot_id: str, version: str) -> list[dict[str, Any]]:
    get_bot(txn, account, region, bot_id)
    return [d for _, d in txn.scan(LOCALES, f"{account}/{region}/{bot_id}/{version}/")]


# --- intents ----------------------------------------------------------------------------------

INTENT_FIELDS = ("intentName", "intentDisplayName", "description", "parentIntentSignature", "sampleUtterances",
                 "dialogCodeHook", "fulfillmentCodeHook", "intentConfirmationSetting", "intentClosingSetting",
                 "inputContexts", "outputContexts", "initialResponseSetting", "slotPriorities")


def _locale_for_change(txn: Txn, account: str, region: str, p: dict[str, Any]) -> str:
    _draft_only(p["botVersion"])
    get_locale(txn, account, region, p["botId"], "DRAFT", p["localeId"])
    return lkey(account, region, p["botId"], "DRAFT", p["localeId"])


def get_intent(txn: Txn, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    get_locale(txn, account, region, p["botId"], p["botVersion"], p["localeId"])
    doc = txn.get(INTENTS, f"{lkey(account, region, p['botId'], p['botVersion'], p['localeId'])}/{p['intentId']}")
    if doc is None:
        raise not_found("intent", p["intentId"])
    return doc


def put_intent(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    """CreateIntent (no intentId) or UpdateIntent."""
    k = _locale_for_change(txn, account, region, p)
    parent = p.get("parentIntentSignature")
    if parent and parent != "AMAZON.FallbackIntent":
        raise _validation(f"The built-in intent {parent} is not supported.")
    for _, other in txn.scan(INTENTS, k + "/"):
        if other["intentName"] == p["intentName"] and other["intentId"] != p.get("intentId"):
            raise AwsError.modeled("lexv2-models", "ConflictException", f"An intent named {p['intentName']} already exists.")
    if p.get("intentId"):
        old = get_intent(txn, account, region, p)
        created = old["creationDateTime"]
        intent_id = p["intentId"]
    else:
        created, intent_id = now, new_id()
    doc: dict[str, Any] = {k2: p.get(k2) for k2 in INTENT_FIELDS if p.get(k2) is not None}
    doc.update({"intentId": intent_id, "creationDateTime": created, "lastUpdatedDateTime": now})
    txn.put(INTENTS, f"{k}/{intent_id}", doc)
    _touch(txn, k, now)
    return doc


def delete_intent(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> None:
    k = _locale_for_change(txn, account, region, p)
    get_intent(txn, account, region, p)
    if p["intentId"] == FALLBACK_ID:
        raise _validation("The fallback intent cannot be deleted.")
    txn.delete(INTENTS, f"{k}/{p['intentId']}")
    txn.delete_prefix(SLOTS, f"{k}/{p['intentId']}/")
    _touch(txn, k, now)


def list_intents(txn: Txn, account: str, region: str, p: dict[str, Any]) -> list[dict[str, Any]]:
    get_locale(txn, account, region, p["botId"], p["botVersion"], p["localeId"])
    return [d for _, d in txn.scan(INTENTS, lkey(account, region, p["botId"], p["botVersion"], p["localeId"]) + "/")]


# --- slots ------------------------------------------------------------------------------------

SLOT_FIELDS = ("slotName", "description", "slotTypeId", "valueElicitationSetting", "obfuscationSetting",
               "multipleValuesSetting")


def get_slot(txn: Txn, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    get_intent(txn, account, region, p)
    k = lkey(account, region, p["botId"], p["botVersion"], p["localeId"])
    doc = txn.get(SLOTS, f"{k}/{p['intentId']}/{p['slotId']}")
    if doc is None:
        raise not_found("slot", p["slotId"])
    return doc


def put_slot(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    k = _locale_for_change(txn, account, region, p)
    get_intent(txn, account, region, p)
    type_id = p.get("slotTypeId")
    if type_id and type_id not in BUILTIN_TYPES and txn.get(SLOT_TYPES, f"{k}/{type_id}") is None:
        raise not_found("slot type", type_id)
    for _, other in txn.scan(SLOTS, f"{k}/{p['intentId']}/"):
        if other["slotName"] == p["slotName"] and other["slotId"] != p.get("slotId"):
            raise AwsError.modeled("lexv2-models", "ConflictException", f"A slot named {p['slotName']} already exists.")
    if p.get("slotId"):
        created, slot_id = get_slot(txn, account, region, p)["creationDateTime"], p["slotId"]
    else:
        created, slot_id = now, new_id()
    doc: dict[str, Any] = {k2: p.get(k2) for k2 in SLOT_FIELDS if p.get(k2) is not None}
    doc.update({"slotId": slot_id, "intentId": p["intentId"], "creationDateTime": created, "lastUpdatedDateTime": now})
    txn.put(SLOTS, f"{k}/{p['intentId']}/{slot_id}", doc)
    _touch(txn, k, now)
    return doc


def delete_slot(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> None:
    k = _locale_for_change(txn, account, region, p)
    get_slot(txn, account, region, p)
    txn.delete(SLOTS, f"{k}/{p['intentId']}/{p['slotId']}")
    _touch(txn, k, now)


def list_slots(txn: Txn, account: str, region: str, p: dict[str, Any]) -> list[dict[str, Any]]:
    get_intent(txn, account, region, p)
    k = lkey(account, region, p["botId"], p["botVersion"], p["localeId"])
    return [d for _, d in txn.scan(SLOTS, f"{k}/{p['intentId']}/")]


# --- slot types -------------------------------------------------------------------------------

TYPE_FIELDS = ("slotTypeName", "description", "slotTypeValues", "valueSelectionSetting", "parentSlotTypeSignature")


def get_slot_type(txn: Txn, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    get_locale(txn, account, region, p["botId"], p["botVersion"], p["localeId"])
    doc = txn.get(SLOT_TYPES, f"{lkey(account, region, p['botId'], p['botVersion'], p['localeId'])}/{p['slotTypeId']}")
    if doc is None:
        raise not_found("slot type", p["slotTypeId"])
    return doc


def put_slot_type(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    k = _locale_for_change(txn, account, region, p)
    if p.get("externalSourceSetting") or p.get("compositeSlotTypeSetting"):
        raise _validation("gureum builds custom slot types from their values only (no external source, no composite).")
    for _, other in txn.scan(SLOT_TYPES, k + "/"):
        if other["slotTypeName"] == p["slotTypeName"] and other["slotTypeId"] != p.get("slotTypeId"):
            raise AwsError.modeled("lexv2-models", "ConflictException", f"A slot type named {p['slotTypeName']} already exists.")
    if p.get("slotTypeId"):
        created, type_id = get_slot_type(txn, account, region, p)["creationDateTime"], p["slotTypeId"]
    else:
        created, type_id = now, new_id()
    doc: dict[str, Any] = {k2: p.get(k2) for k2 in TYPE_FIELDS if p.get(k2) is not None}
    doc.setdefault("valueSelectionSetting", {"resolutionStrategy": "OriginalValue"})
    doc.update({"slotTypeId": type_id, "creationDateTime": created, "lastUpdatedDateTime": now})
    txn.put(SLOT_TYPES, f"{k}/{type_id}", doc)
    _touch(txn, k, now)
    return doc


def delete_slot_type(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> None:
    k = _locale_for_change(txn, account, region, p)
    get_slot_type(txn, account, region, p)
    if not p.get("skipResourceInUseCheck"):
        for _, slot in txn.scan(SLOTS, k + "/"):
            if slot.get("slotTypeId") == p["slotTypeId"]:
                raise AwsError.modeled("lexv2-models", "PreconditionFailedException",
                                       f"The slot type {p['slotTypeId']} is used by the slot {slot['slotName']}.")
    txn.delete(SLOT_TYPES, f"{k}/{p['slotTypeId']}")
    _touch(txn, k, now)


def list_slot_types(txn: Txn, account: str, region: str, p: dict[str, Any]) -> list[dict[str, Any]]:
    get_locale(txn, account, region, p["botId"], p["botVersion"], p["localeId"])
    return [d for _, d in txn.scan(SLOT_TYPES, lkey(account, region, p["botId"], p["botVersion"], p["localeId"]) + "/")]


# --- build ------------------------------------------------------------------------------------

def messages_of(spec: dict[str, Any] | None) -> list[dict[str, str]]:
    """A prompt or response specification's first message group as runtime messages."""
    groups = (spec or {}).get("messageGroups") or []
    out = []
    for group in groups[:1]:
        message = group.get("message") or {}
        for kind, content_type in (("plainTextMessage", "PlainText"), ("ssmlMessage", "SSML"),
                                   ("customPayload", "CustomPayload")):
            if message.get(kind):
                out.append({"contentType": content_type, "content": str(message[kind]["value"])})
    return out


def start_build(txn: Txn, account: str, region: str, bot_id: str, version: str, locale: str, now: float) -> dict[str, Any]:
    _draft_only(version)
    k = lkey(account, region, bot_id, version, locale)
    doc = get_locale(txn, account, region, bot_id, version, locale)
    if doc["botLocaleStatus"] == "Building" and now - float(doc.get("lastBuildSubmittedDateTime") or 0) < STALE_BUILD:
        raise AwsError.modeled("lexv2-models", "ConflictException", "The bot locale is already being built.")
    doc = {**doc, "botLocaleStatus": "Building", "lastBuildSubmittedDateTime": now}
    txn.put(LOCALES, k, doc)
    return doc


def compile_locale(txn: Txn, k: str) -> tuple[dict[str, Any] | None, list[str]]:
    """The runtime snapshot of locale `k`, or the reasons it cannot be built."""
    locale = txn.get(LOCALES, k) or {}
    types = {d["slotTypeId"]: d for _, d in txn.scan(SLOT_TYPES, k + "/")}
    reasons: list[str] = []
    compiled_types: dict[str, dict[str, Any]] = {}
    for tid, t in types.items():
        values = [[v["sampleValue"]["value"], [s["value"] for s in v.get("synonyms") or []]] for v in t.get("slotTypeValues") or []]
        if not values:
            reasons.append(f"Slot type {t['slotTypeName']} has no values.")
        compiled_types[tid] = {"name": t["slotTypeName"], "values": values,
                               "strategy": (t.get("valueSelectionSetting") or {}).get("resolutionStrategy", "OriginalValue"),
                               "builtin": False}
    intents = []
    for _, intent in txn.scan(INTENTS, k + "/"):
        iid = intent["intentId"]
        slots = {d["slotId"]: d for _, d in txn.scan(SLOTS, f"{k}/{iid}/")}
        order = [s["slotId"] for s in sorted(intent.get("slotPriorities") or [], key=lambda s: s["priority"])
                 if s["slotId"] in slots]
        order += sorted((sid for sid in slots if sid not in order), key=lambda sid: slots[sid]["creationDateTime"])
        compiled_slots = []
        for sid in order:
            s = slots[sid]
            tid = s.get("slotTypeId") or ""
            kind: dict[str, Any]
            if tid in BUILTIN_TYPES:
                kind = {"name": tid, "values": [], "strategy": "OriginalValue", "builtin": True}
            elif tid in compiled_types:
                kind = compiled_types[tid]
            else:
                reasons.append(f"Slot {s['slotName']} of intent {intent['intentName']} has no slot type.")
                continue
            setting = s.get("valueElicitationSetting") or {}
            prompt = setting.get("promptSpecification") or {}
            compiled_slots.append({"name": s["slotName"], "slotId": sid, "type": kind,
                                   "required": setting.get("slotConstraint") == "Required",
                                   "prompt": messages_of(prompt), "maxRetries": int(prompt.get("maxRetries", 2))})
        names = {s["name"] for s in compiled_slots}
        samples = [u["utterance"] for u in intent.get("sampleUtterances") or []]
        for u in samples:
            for ref in _PLACEHOLDER.findall(u):
                if ref not in names:
                    reasons.append(f"Intent {intent['intentName']}: the sample utterance '{u}' refers to the slot {ref}, "
                                   "which the intent does not have.")
        confirmation = intent.get("intentConfirmationSetting")
        closing = intent.get("intentClosingSetting")
        intents.append({
            "id": iid, "name": intent["intentName"], "parent": intent.get("parentIntentSignature"), "samples": samples,
            "slots": compiled_slots, "dialogHook": bool((intent.get("dialogCodeHook") or {}).get("enabled")),
            "fulfillmentHook": bool((intent.get("fulfillmentCodeHook") or {}).get("enabled")),
            "confirmation": None if not confirmation or confirmation.get("active") is False else {
                "prompt": messages_of(confirmation.get("promptSpecification")),
                "maxRetries": int((confirmation.get("promptSpecification") or {}).get("maxRetries", 2)),
                "declination": messages_of(confirmation.get("declinationResponse"))},
            "closing": messages_of((closing or {}).get("closingResponse")) if closing and closing.get("active", True) else [],
        })
    if not any(i["samples"] for i in intents if i["parent"] != "AMAZON.FallbackIntent"):
        reasons.append("The bot locale must have at least one intent with a sample utterance.")
    if reasons:
        return None, reasons
    return {"threshold": float(locale.get("nluIntentConfidenceThreshold") or 0.4), "intents": intents}, []


def finish_build(txn: Txn, account: str, region: str, bot_id: str, version: str, locale: str, now: float) -> str:
    k = lkey(account, region, bot_id, version, locale)
    doc = txn.get(LOCALES, k)
    if doc is None or doc["botLocaleStatus"] != "Building":
        return "gone"
    snapshot, reasons = compile_locale(txn, k)
    if snapshot is None:
        doc = {**doc, "botLocaleStatus": "Failed", "failureReasons": reasons, "lastUpdatedDateTime": now}
    else:
        doc = {**doc, "botLocaleStatus": "Built", "failureReasons": [], "built": snapshot, "lastUpdatedDateTime": now}
    txn.put(LOCALES, k, doc)
    return str(doc["botLocaleStatus"])


def copy_to_version(txn: Txn, account: str, region: str, bot_id: str, locales: list[str], version: str) -> None:
    """Copy DRAFT's locales (each must be Built) and their rows into `version`."""
    for locale in locales:
        src = lkey(account, region, bot_id, "DRAFT", locale)
        doc = txn.get(LOCALES, src)
        if doc is None:
            raise not_found("bot locale", f"{bot_id}/DRAFT/{locale}")
        if doc["botLocaleStatus"] != "Built":
            raise AwsError.modeled("lexv2-models", "PreconditionFailedException",
                                   f"The locale {locale} of the DRAFT version is not built.")
        dst = lkey(account, region, bot_id, version, locale)
        txn.put(LOCALES, dst, doc)
        for table in (INTENTS, SLOTS, SLOT_TYPES):
            for key, row in txn.scan(table, src + "/"):
                txn.put(table, dst + key[len(src):], row)


def snapshot_for(txn: Txn, account: str, region: str, bot_id: str, version: str, locale: str) -> dict[str, Any] | None:
    doc = txn.get(LOCALES, lkey(account, region, bot_id, version, locale))
    if doc is None:
        return None
    built = doc.get("built")
    return dict(built) if built else None
