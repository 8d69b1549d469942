"""sesv2 contact list handlers: Create/Get/Update/Delete/ListContactLists and
Create/Get/Update/Delete/ListContacts (with the OPT_IN / OPT_OUT and topic filters), over
contacts.py."""

from __future__ import annotations

import time
from typing import Any

from gureum.aws import paging, tags
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.ses import contacts, sending
from gureum.store import Txn


def _bad_token() -> AwsError:
    return AwsError.modeled("sesv2", "BadRequestException", "Invalid NextToken.")


def _topics(params: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in t.items() if v is not None} for t in params.get("Topics") or []]


@operation("sesv2", "CreateContactList")
async def create_contact_list(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    doc: dict[str, Any] = {"ContactListName": params["ContactListName"], "Topics": _topics(params),
                           "Tags": tags.from_pairs(params["Tags"]) if params.get("Tags") else {},
                           "Created": now, "Updated": now}
    if params.get("Description") is not None:
        doc["Description"] = params["Description"]
    await ctx.app.store.run(lambda t: contacts.create_list(t, ctx.account_id, ctx.region, doc))
    return {}


@operation("sesv2", "GetContactList")
async def get_contact_list(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: contacts.get_list(t, ctx.account_id, ctx.region, params["ContactListName"]))
    out: dict[str, Any] = {"ContactListName": doc["ContactListName"], "Topics": doc.get("Topics") or [],
                           "CreatedTimestamp": doc["Created"], "LastUpdatedTimestamp": doc["Updated"],
                           "Tags": [{"Key": k, "Value": v} for k, v in (doc.get("Tags") or {}).items()]}
    if doc.get("Description") is not None:
        out["Description"] = doc["Description"]
    return out


@operation("sesv2", "UpdateContactList")
async def update_contact_list(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: contacts.update_list(t, ctx.account_id, ctx.region, params["ContactListName"],
                                                           _topics(params), params.get("Description"), time.time()))
    return {}


@operation("sesv2", "DeleteContactList")
async def delete_contact_list(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: contacts.delete_list(t, ctx.account_id, ctx.region, params["ContactListName"]))
    return {}


@operation("sesv2", "ListContactLists")
async def list_contact_lists(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    docs = await ctx.app.store.read(lambda t: contacts.lists(t, ctx.account_id, ctx.region))
    page, token = paging.page_items(docs, lambda d: d["ContactListName"], listing="sesv2.contactlists",
                                    token=params.get("NextToken"),
                                    limit=sending.page_limit(params.get("PageSize"), 1, 1000, "PageSize", "sesv2"),
                                    default_limit=1000, max_limit=1000, error=_bad_token)
    return {"ContactLists": [{"ContactListName": d["ContactListName"], "LastUpdatedTimestamp": d["Updated"]} for d in page],
            **({"NextToken": token} if token else {})}


def _contact_doc(params: dict[str, Any], now: float) -> dict[str, Any]:
    doc: dict[str, Any] = {"EmailAddress": params["EmailAddress"],
                           "TopicPreferences": [dict(p) for p in params.get("TopicPreferences") or []],
                           "UnsubscribeAll": bool(params.get("UnsubscribeAll", False)), "Created": now, "Updated": now}
    if params.get("AttributesData") is not None:
        doc["AttributesData"] = params["AttributesData"]
    return doc


@operation("sesv2", "CreateContact")
async def create_contact(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = _contact_doc(params, time.time())
    await ctx.app.store.run(lambda t: contacts.put_contact(t, ctx.account_id, ctx.region, params["ContactListName"], doc,
                                                           create=True))
    return {}


@operation("sesv2", "UpdateContact")
async def update_contact(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = _contact_doc(params, time.time())
    await ctx.app.store.run(lambda t: contacts.put_contact(t, ctx.account_id, ctx.region, params["ContactListName"], doc,
                                                           create=False))
    return {}


@operation("sesv2", "GetContact")
async def get_contact(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ContactListName"]

    def run(t: Txn) -> tuple[dict[str, Any], dict[str, Any]]:
        return (contacts.get_list(t, ctx.account_id, ctx.region, name),
                contacts.get_contact(t, ctx.account_id, ctx.region, name, params["EmailAddress"]))

    listing, doc = await ctx.app.store.read(run)
    out: dict[str, Any] = {"ContactListName": name, "EmailAddress": doc["EmailAddress"],
                           "TopicPreferences": doc.get("TopicPreferences") or [],
                           "TopicDefaultPreferences": contacts.defaults(listing, doc),
                           "UnsubscribeAll": bool(doc.get("UnsubscribeAll")),
                           "CreatedTimestamp": doc["Created"], "LastUpdatedTimestamp": doc["Updated"]}
    if doc.get("AttributesData") is not None:
        out["AttributesData"] = doc["AttributesData"]
    return out


@operation("sesv2", "DeleteContact")
async def delete_contact(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: contacts.delete_contact(t, ctx.account_id, ctx.region, params["ContactListName"],
                                                              params["EmailAddress"]))
    return {}


def _matches(listing: dict[str, Any], doc: dict[str, Any], flt: dict[str, Any]) -> bool:
    wanted = flt.get("FilteredStatus")
    topic = flt.get("TopicFilter") or {}
    if topic.get("TopicName"):
        state = contacts.status(listing, doc, topic["TopicName"], bool(topic.get("UseDefaultIfPreferenceUnavailable")))
        if state is None:
            return False
        return wanted is None or bool(state == wanted)
    if wanted is None:
        return True
    # without a topic: OPT_OUT is a contact unsubscribed from everything, OPT_IN one who is not
    return bool(doc.get("UnsubscribeAll")) == bool(wanted == "OPT_OUT")


@operation("sesv2", "ListContacts")
async def list_contacts(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ContactListName"]
    flt = params.get("Filter") or {}
    if (flt.get("TopicFilter") or {}).get("UseDefaultIfPreferenceUnavailable") and not (flt.get("TopicFilter") or {}).get("TopicName"):
        raise AwsError.modeled("sesv2", "BadRequestException", "TopicName is required with UseDefaultIfPreferenceUnavailable.")

    def run(t: Txn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return contacts.get_list(t, ctx.account_id, ctx.region, name), contacts.contacts(t, ctx.account_id, ctx.region, name)

    listing, docs = await ctx.app.store.read(run)
    docs = [d for d in docs if _matches(listing, d, flt)]
    page, token = paging.page_items(docs, lambda d: d["EmailAddress"].lower(), listing=f"sesv2.contacts/{name}",
                                    token=params.get("NextToken"),
                                    limit=sending.page_limit(params.get("PageSize"), 1, 1000, "PageSize", "sesv2"),
                                    default_limit=1000, max_limit=1000, error=_bad_token)
    return {"Contacts": [{"EmailAddress": d["EmailAddress"], "TopicPreferences": d.get("TopicPreferences") or [],
                          "TopicDefaultPreferences": contacts.defaults(listing, d),
                          "UnsubscribeAll": bool(d.get("UnsubscribeAll")), "LastUpdatedTimestamp": d["Updated"]}
                         for d in page],
            **({"NextToken": token} if token else {})}
