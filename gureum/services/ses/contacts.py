"""Contact lists and their contacts (sesv2 list management), and what they do to a send that
names one in ListManagementOptions: recipients who unsubscribed from everything, or opted out
of the named topic (explicitly, or by its default), are not sent to.

Table ses_contact_lists: "{account}/{region}/{name}" -> {"ContactListName", "Description"?,
"Topics": [{"TopicName", "DisplayName", "Description"?, "DefaultSubscriptionStatus"}],
"Tags": {k: v}, "Created", "Updated", "Secret" (signs the unsubscribe links of mail sent with
the list)}. Table ses_contacts: "{account}/{region}/{list}/{email}"
-> {"EmailAddress", "TopicPreferences": [{"TopicName", "SubscriptionStatus"}],
"UnsubscribeAll", "AttributesData"?, "Created", "Updated"}. Invariants: at most MAX_LISTS
lists per account and Region (AWS's quota: one), MAX_TOPICS topics per list; deleting a list
deletes its contacts; a contact's preferences name only the list's topics."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from gureum.aws.errors import AwsError
from gureum.store import Txn

LISTS = "ses_contact_lists"
CONTACTS = "ses_contacts"
MAX_LISTS = 1
MAX_TOPICS = 20
STATUSES = ("OPT_IN", "OPT_OUT")


def _bad(message: str) -> AwsError:
    return AwsError.modeled("sesv2", "BadRequestException", message)


def _missing_list(name: str) -> AwsError:
    return AwsError.modeled("sesv2", "NotFoundException", f"List with name {name} does not exist.")


def _list_key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def check_topics(topics: list[dict[str, Any]]) -> None:
    if len(topics) > MAX_TOPICS:
        raise _bad(f"A contact list can have at most {MAX_TOPICS} topics.")
    names = [t.get("TopicName") for t in topics]
    if len(set(names)) != len(names):
        raise _bad("Topic names must be unique within a contact list.")
    for t in topics:
        if not t.get("TopicName") or not t.get("DisplayName"):
            raise _bad("A topic needs a TopicName and a DisplayName.")
        if t.get("DefaultSubscriptionStatus") not in STATUSES:
            raise _bad(f"Invalid DefaultSubscriptionStatus: {t.get('DefaultSubscriptionStatus')}")


def create_list(txn: Txn, account: str, region: str, doc: dict[str, Any]) -> None:
    check_topics(doc.get("Topics") or [])
    name = doc["ContactListName"]
    if txn.get(LISTS, _list_key(account, region, name)) is not None:
        raise AwsError.modeled("sesv2", "AlreadyExistsException", f"List with name {name} already exists.")
    if len(txn.scan(LISTS, f"{account}/{region}/")) >= MAX_LISTS:
        raise AwsError.modeled("sesv2", "LimitExceededException",
                               f"Maximum number of contact lists ({MAX_LISTS}) for this account exceeded.")
    txn.put(LISTS, _list_key(account, region, name), {**doc, "Secret": secrets.token_urlsafe(24)})


def get_list(txn: Txn, account: str, region: str, name: str) -> dict[str, Any]:
    doc = txn.get(LISTS, _list_key(account, region, name))
    if doc is None:
        raise _missing_list(name)
    return doc


def update_list(txn: Txn, account: str, region: str, name: str, topics: list[dict[str, Any]],
                description: str | None, now: float) -> None:
    doc = get_list(txn, account, region, name)
    check_topics(topics)
    new = {**doc, "Topics": topics, "Updated": now}
    if description is None:
        new.pop("Description", None)
    else:
        new["Description"] = description
    txn.put(LISTS, _list_key(account, region, name), new)


def delete_list(txn: Txn, account: str, region: str, name: str) -> None:
    if not txn.delete(LISTS, _list_key(account, region, name)):
        raise _missing_list(name)
    txn.delete_prefix(CONTACTS, f"{_list_key(account, region, name)}/")


def lists(txn: Txn, account: str, region: str) -> list[dict[str, Any]]:
    return [d for _, d in txn.scan(LISTS, f"{account}/{region}/")]


def _contact_key(account: str, region: str, list_name: str, address: str) -> str:
    return f"{account}/{region}/{list_name}/{address.lower()}"


def _check_preferences(listing: dict[str, Any], prefs: list[dict[str, Any]]) -> None:
    known = {t["TopicName"] for t in listing.get("Topics") or []}
    for p in prefs:
        if p.get("TopicName") not in known:
            raise _bad(f"Topic {p.get('TopicName')} does not exist in list {listing['ContactListName']}.")
        if p.get("SubscriptionStatus") not in STATUSES:
            raise _bad(f"Invalid SubscriptionStatus: {p.get('SubscriptionStatus')}")


def put_contact(txn: Txn, account: str, region: str, list_name: str, doc: dict[str, Any], *, create: bool) -> None:
    listing = get_list(txn, account, region, list_name)
    _check_preferences(listing, doc.get("TopicPreferences") or [])
    k = _contact_key(account, region, list_name, doc["EmailAddress"])
    old = txn.get(CONTACTS, k)
    if create and old is not None:
        raise AwsError.modeled("sesv2", "AlreadyExistsException", f"Contact already exists in list {list_name}.")
    if not create and old is None:
        raise AwsError.modeled("sesv2", "NotFoundException", f"Contact {doc['EmailAddress']} does not exist in list {list_name}.")
    txn.put(CONTACTS, k, {**doc, "Created": (old or doc)["Created"]})


def get_contact(txn: Txn, account: str, region: str, list_name: str, address: str) -> dict[str, Any]:
    get_list(txn, account, region, list_name)
    doc = txn.get(CONTACTS, _contact_key(account, region, list_name, address))
    if doc is None:
        raise AwsError.modeled("sesv2", "NotFoundException", f"Contact {address} does not exist in list {list_name}.")
    return doc


def delete_contact(txn: Txn, account: str, region: str, list_name: str, address: str) -> None:
    get_list(txn, account, region, list_name)
    if not txn.delete(CONTACTS, _contact_key(account, region, list_name, address)):
        raise AwsError.modeled("sesv2", "NotFoundException", f"Contact {address} does not exist in list {list_name}.")


def contacts(txn: Txn, account: str, region: str, list_name: str) -> list[dict[str, Any]]:
    get_list(txn, account, region, list_name)
    return [d for _, d in txn.scan(CONTACTS, f"{_list_key(account, region, list_name)}/")]


def defaults(listing: dict[str, Any], contact: dict[str, Any]) -> list[dict[str, str]]:
    """TopicDefaultPreferences: the list's topics the contact set no preference for."""
    chosen = {p["TopicName"] for p in contact.get("TopicPreferences") or []}
    return [{"TopicName": t["TopicName"], "SubscriptionStatus": t["DefaultSubscriptionStatus"]}
            for t in listing.get("Topics") or [] if t["TopicName"] not in chosen]


def status(listing: dict[str, Any], contact: dict[str, Any], topic: str, use_default: bool = True) -> str | None:
    """The contact's status for `topic`: its own preference, else (when `use_default`) the
    topic's default; None when neither applies."""
    for p in contact.get("TopicPreferences") or []:
        if p["TopicName"] == topic:
            return str(p["SubscriptionStatus"])
    if use_default:
        for t in listing.get("Topics") or []:
            if t["TopicName"] == topic:
                return str(t["DefaultSubscriptionStatus"])
    return None


def unsubscribed(txn: Txn, account: str, region: str, list_name: str, topic: str | None,
                 recipients: list[str]) -> list[str]:
    """Those of `recipients` a send with ListManagementOptions must skip: contacts of the list
    who unsubscribed from all, or whose status for `topic` is OPT_OUT. A recipient who is no
    contact of the list is sent to."""
    listing = get_list(txn, account, region, list_name)
    if topic is not None and topic not in {t["TopicName"] for t in listing.get("Topics") or []}:
        raise _bad(f"Topic {topic} does not exist in list {list_name}.")
    out = []
    for r in recipients:
        contact = txn.get(CONTACTS, _contact_key(account, region, list_name, r))
        if contact is None:
            continue
        if contact.get("UnsubscribeAll") or (topic is not None and status(listing, contact, topic) == "OPT_OUT"):
            out.append(r)
    return out


def unsubscribe_code(listing: dict[str, Any], address: str, topic: str | None) -> str:
    """The secret of the unsubscribe link for `address` (and `topic`) in mail sent with the list."""
    text = f"{address.lower()}\n{topic or ''}"
    return hmac.new(str(listing.get("Secret") or "").encode(), text.encode(), hashlib.sha256).hexdigest()


def unsubscribe(txn: Txn, account: str, region: str, list_name: str, address: str, topic: str | None, code: str,
                now: float) -> bool:
    """The unsubscribe link was followed: the contact (made when it is not one yet) opts out
    of `topic`, or of everything without one. False when the link is not valid."""
    listing = txn.get(LISTS, _list_key(account, region, list_name))
    if listing is None or not hmac.compare_digest(unsubscribe_code(listing, address, topic), code):
        return False
    k = _contact_key(account, region, list_name, address)
    doc = txn.get(CONTACTS, k) or {"EmailAddress": address, "TopicPreferences": [], "UnsubscribeAll": False,
                                   "Created": now}
    if topic:
        prefs = [p for p in doc.get("TopicPreferences") or [] if p["TopicName"] != topic]
        doc = {**doc, "TopicPreferences": [*prefs, {"TopicName": topic, "SubscriptionStatus": "OPT_OUT"}]}
    else:
        doc = {**doc, "UnsubscribeAll": True}
    txn.put(CONTACTS, k, {**doc, "Updated": now})
    return True
