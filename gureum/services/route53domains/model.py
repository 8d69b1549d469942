"""The registrar's state and AWS's rules for it: registered domains, operations, billing
records. Route 53 Domains is global: it answers in us-east-1 only, and a domain name is
registered once across every account of the node.

Tables:
- route53domains.domains: "{domain}" -> {"Account", "DomainName", "State": "PENDING" |
  "ACTIVE" | "DELETING", "Nameservers": [{"Name", "GlueIps"}], "AutoRenew",
  "TransferLock", "{Admin,Registrant,Tech,Billing}Contact", "{Admin,Registrant,Tech,Billing}Privacy",
  "CreationDate", "UpdatedDate", "ExpirationDate" (epoch seconds), "DnssecKeys": [...],
  "HostedZoneId", "tags": {k: v}, "Transfer"?: {"To", "From", "Password", "OperationId"}
  (transfers.py), "AuthCode"?}.
- route53domains.operations: "{account}/{operation id}" -> GetOperationDetail's fields and
  "Due" (when the worker completes it).
- route53domains.pending: "{due:017.3f}/{account}/{operation id}" -> {} : the operations still
  IN_PROGRESS, in the order they fall due (operations.py completes them).
- route53domains.billing: "{account}/{bill date:017.3f}/{operation id}" -> a BillingRecord.

Invariants: a domain is listed, detailed and delegated (its NS, glue and DS in its TLD zone)
only while ACTIVE; a PENDING domain is unavailable to everyone else; an account holds at most
`domains.max_domains` domains. Every change to what the registry serves publishes
"route53domains.registry" {"tld": ...} (registry.py's zones follow it).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from gureum.aws import paging, tags
from gureum.aws.errors import AwsError
from gureum.services.route53 import port as route53
from gureum.services.route53domains import contacts, tlds
from gureum.store import Txn

DOMAINS = "route53domains.domains"
OPERATIONS = "route53domains.operations"
PENDING = "route53domains.pending"
BILLING = "route53domains.billing"
TOPIC = "route53domains.registry"
TABLES = (DOMAINS, OPERATIONS, PENDING, BILLING)
YEAR = 365 * 86400.0
MAX_NAMESERVERS = 6
PRIVACY = {"AdminContact": "AdminPrivacy", "RegistrantContact": "RegistrantPrivacy",
           "TechContact": "TechPrivacy", "BillingContact": "BillingPrivacy"}
REQUEST_PRIVACY = {"AdminContact": "PrivacyProtectAdminContact", "RegistrantContact": "PrivacyProtectRegistrantContact",
                   "TechContact": "PrivacyProtectTechContact", "BillingContact": "PrivacyProtectBillingContact"}
TAG_RULES = tags.Rules(invalid=lambda m: AwsError.modeled("route53domains", "InvalidInput", m),
                       too_many=lambda m: AwsError.modeled("route53domains", "InvalidInput", m))
Doc = dict[str, Any]


def invalid(message: str) -> AwsError:
    return tlds.invalid(message)


def _marker_error() -> AwsError:
    return invalid("Errors: [The marker is invalid.]")


def tld_of(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _publish(txn: Txn, name: str) -> None:
    txn.publish(TOPIC, {"tld": tld_of(name), "domain": name})


# --- availability -------------------------------------------------------------------------
def availability(txn: Txn, name: str) -> tuple[str, str]:
    """(Availability, normalized name) for CheckDomainAvailability."""
    label, tld = tlds.split(name)
    text = f"{label}.{tld}"
    if tlds.is_reserved(label):
        return "RESERVED", text
    doc = txn.get(DOMAINS, text)
    if doc is None:
        return "AVAILABLE", text
    return ("PENDING" if doc["State"] == "PENDING" else "UNAVAILABLE"), text


def suggestions(txn: Txn, name: str, count: int, only_available: bool) -> list[Doc]:
    """GetDomainSuggestions: the name's label under other TLDs, then with common affixes."""
    label, tld = tlds.split(name)
    words = [label] + [f"{p}{label}" for p in ("get", "my", "the", "try")] + [f"{label}{s}" for s in ("app", "hq", "online")]
    out: list[Doc] = []
    for word in words:
        for other in [tld] + sorted(t for t in tlds.prices() if t != tld):
            candidate = f"{word}.{other}"
            if candidate == f"{label}.{tld}" or len(word) > 63:
                continue
            avail, _ = availability(txn, candidate)
            if only_available and avail != "AVAILABLE":
                continue
            out.append({"DomainName": candidate, "Availability": avail})
            if len(out) >= count:
                return out
    return out


# --- operations ---------------------------------------------------------------------------
def new_operation(txn: Txn, account: str, name: str, kind: str, now: float, delay: float, **extra: Any) -> str:
    op_id = str(uuid.uuid4())
    due = now + delay
    txn.put(OPERATIONS, f"{account}/{op_id}", {"OperationId": op_id, "Status": "IN_PROGRESS", "Type": kind,
                                               "DomainName": name, "SubmittedDate": now, "LastUpdatedDate": now,
                                               "Due": due, **extra})
    txn.put(PENDING, f"{due:017.3f}/{account}/{op_id}", {})
    return op_id


def _in_progress(txn: Txn, account: str, name: str) -> bool:
    return any(d["DomainName"] == name and d["Status"] == "IN_PROGRESS" for _, d in txn.scan(OPERATIONS, f"{account}/"))


def get_operation(txn: Txn, account: str, op_id: str) -> Doc:
    doc = txn.get(OPERATIONS, f"{account}/{op_id}")
    if doc is None:
        raise invalid(f"Errors: [Operation with id {op_id} not found]")
    return {k: v for k, v in doc.items() if k not in ("Due", "Effect")}


def list_operations(txn: Txn, account: str, p: Doc) -> tuple[list[Doc], str | None]:
    since = p.get("SubmittedSince")
    since_ts = since.timestamp() if isinstance(since, dt.datetime) else None
    status, kinds = set(p.get("Status") or ()), set(p.get("Type") or ())
    items = [get_operation(txn, account, d["OperationId"]) for _, d in txn.scan(OPERATIONS, f"{account}/")
             if (since_ts is None or d["SubmittedDate"] >= since_ts) and (not status or d["Status"] in status)
             and (not kinds or d["Type"] in kinds)]
    descending = p.get("SortOrder") == "DESC"
    items.sort(key=lambda d: (d["SubmittedDate"], d["OperationId"]), reverse=descending)
    page, nxt = paging.page_items(items, lambda d: (d["SubmittedDate"], d["OperationId"]), listing=f"{OPERATIONS}/{account}",
                                  token=p.get("Marker"), limit=p.get("MaxItems"), default_limit=20, max_limit=100,
                                  descending=descending, filters={"s": since_ts, "st": sorted(status), "t": sorted(kinds), "d": descending},
                                  error=_marker_error)
    return page, nxt


def complete_due(txn: Txn, now: float, limit: int = 100) -> int:
    """Complete the operations that fell due by `now` (the worker's step); returns how many."""
    done = 0
    for key, _ in txn.scan(PENDING, limit=limit):
        due, account, op_id = key.split("/", 2)
        if float(due) > now:
            break
        txn.delete(PENDING, key)
        op = txn.get(OPERATIONS, f"{account}/{op_id}")
        if op is None or op["Status"] != "IN_PROGRESS":
            continue
        status, message = _apply(txn, account, op, now)
        op.update(Status=status, LastUpdatedDate=now)
        if message:
            op["Message"] = message
        txn.put(OPERATIONS, f"{account}/{op_id}", op)
        done += 1
    return done


def _apply(txn: Txn, account: str, op: Doc, now: float) -> tuple[str, str | None]:
    """What an operation does when it completes: (Status, Message)."""
    name = op["DomainName"]
    doc = txn.get(DOMAINS, name)
    kind = op["Type"]
    if kind in ("REGISTER_DOMAIN", "TRANSFER_IN_DOMAIN"):
        if doc is None or doc["Account"] != account:
            return "FAILED", "The domain is no longer reserved for this operation."
        doc["State"] = "ACTIVE"
        save(txn, doc, now, delegation=True)
    elif kind == "DELETE_DOMAIN":
        if doc is not None and doc["Account"] == account:
            txn.delete(DOMAINS, name)
            _publish(txn, name)
    elif kind == "INTERNAL_TRANSFER_OUT_DOMAIN":  # nobody accepted in time (transfers.py)
        if doc is not None and (doc.get("Transfer") or {}).get("OperationId") == op["OperationId"]:
            doc.pop("Transfer")
            txn.put(DOMAINS, name, doc)
        return "FAILED", "The transfer was not accepted in time."
    return "SUCCESSFUL", None


# --- registration ---------------------------------------------------------------------------
def _days(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d")


def register(txn: Txn, account: str, p: Doc, now: float, delay: float, max_domains: int) -> tuple[str, Doc]:
    """RegisterDomain: reserves the name, creates its hosted zone (as AWS does: same name,
    comment "HostedZone created by Route53 Registrar"), points the domain at the zone's name
    servers and starts the REGISTER_DOMAIN operation. Returns (operation id, billing record)."""
    label, tld = tlds.split(p["DomainName"])
    name = f"{label}.{tld}"
    price = tlds.prices()[tld]
    years = int(p["DurationInYears"])
    if years > price.max_years:
        raise invalid(f"Errors: [DurationInYears must be between 1 and {price.max_years} for .{tld}]")
    contacts.check(p, contacts.ROLES)
    consent = p.get("Consent")
    if consent is not None and (consent.get("Currency") != tlds.currency() or float(consent["MaxPrice"]) < price.register * years):
        raise invalid(f"Errors: [The price of {name} is {price.register * years:.2f} {tlds.currency()}, above the consent's MaxPrice]")
    if _in_progress(txn, account, name):
        raise AwsError.modeled("route53domains", "DuplicateRequest", f"The request is already in progress for the domain {name}.")
    avail, _ = availability(txn, name)
    if avail != "AVAILABLE":
        raise invalid(f"Errors: [Domain {name} is not available for registration ({avail})]")
    owned = sum(1 for _, d in txn.scan(DOMAINS) if d["Account"] == account)
    if owned >= max_domains:
        raise AwsError.modeled("route53domains", "DomainLimitExceeded",
                               f"The number of registered domains has reached the limit of {max_domains} for your account.")
    op_id = str(uuid.uuid4())
    zone_id = route53.create_zone(txn, account, name, f"RegisterDomain-{op_id}", "HostedZone created by Route53 Registrar", False, None)
    servers = route53.zone_name_servers(txn, account, zone_id)
    doc: Doc = {
        "Account": account, "DomainName": name, "State": "PENDING",
        "Nameservers": [{"Name": s.rstrip("."), "GlueIps": []} for s in servers],
        "AutoRenew": bool(p.get("AutoRenew", True)), "TransferLock": True,
        "CreationDate": now, "UpdatedDate": now, "ExpirationDate": now + years * YEAR,
        "DnssecKeys": [], "HostedZoneId": zone_id, "tags": {},
    }
    for role, flag in PRIVACY.items():
        if p.get(role) is not None:
            doc[role] = p[role]
            doc[flag] = bool(p.get(REQUEST_PRIVACY[role], True))
    txn.put(DOMAINS, name, doc)
    new_id = new_operation(txn, account, name, "REGISTER_DOMAIN", now, delay)
    record = bill(txn, account, name, "REGISTER_DOMAIN", new_id, price.register * years, now)
    return new_id, record


def bill(txn: Txn, account: str, name: str, operation: str, op_id: str, price: float, now: float) -> Doc:
    record = {"DomainName": name, "Operation": operation, "InvoiceId": secrets.token_hex(8).upper(),
              "BillDate": now, "Price": round(price, 2)}
    txn.put(BILLING, f"{account}/{now:017.3f}/{op_id}", record)
    return record


def view_billing(txn: Txn, account: str, p: Doc) -> tuple[list[Doc], str | None]:
    lo = p["Start"].timestamp() if p.get("Start") else 0.0
    hi = p["End"].timestamp() if p.get("End") else float("inf")
    rows, nxt = paging.page(txn, BILLING, f"{account}/", token=p.get("Marker"), limit=p.get("MaxItems"),
                            default_limit=20, max_limit=100, keep=lambda d: lo <= d["BillDate"] < hi,
                            filters={"lo": lo, "hi": None if hi == float("inf") else hi}, error=_marker_error)
    return [d for _, d in rows], nxt


# --- domains --------------------------------------------------------------------------------
def owned(txn: Txn, account: str, name: str) -> Doc:
    """The account's ACTIVE domain `name`; InvalidInput (as AWS) when it has none."""
    text = tlds.normalize(name)
    doc = txn.get(DOMAINS, text)
    if doc is None or doc["Account"] != account or doc["State"] in ("PENDING", "DELETING"):
        if text.rsplit(".", 1)[-1] not in tlds.prices():
            raise tlds.unsupported(text.rsplit(".", 1)[-1])
        raise invalid(f"Domain {text} not found in {account} account.")
    return doc


def detail(doc: Doc) -> Doc:
    out: Doc = {
        "DomainName": doc["DomainName"], "Nameservers": doc["Nameservers"], "AutoRenew": doc["AutoRenew"],
        "RegistrarName": "Amazon Registrar, Inc.", "WhoIsServer": "whois.registrar.amazon.com",
        "RegistrarUrl": "http://registrar.amazon.com", "AbuseContactEmail": "abuse@registrar.amazon.com",
        "AbuseContactPhone": "+1.2024422253", "RegistryDomainId": doc.get("RegistryDomainId", ""),
        "CreationDate": doc["CreationDate"], "UpdatedDate": doc["UpdatedDate"], "ExpirationDate": doc["ExpirationDate"],
        "Reseller": "Amazon", "DnsSec": "SIGNED" if doc.get("DnssecKeys") else "unsigned",
        "StatusList": statuses(doc), "DnssecKeys": doc.get("DnssecKeys", []),
    }
    for role, flag in PRIVACY.items():
        if role in doc:
            out[role] = doc[role]
            out[flag] = doc[flag]
    return out


def statuses(doc: Doc) -> list[str]:
    out = ["clientTransferProhibited"] if doc.get("TransferLock") else []
    if doc.get("Transfer"):
        out.append("pendingTransfer")
    return out or ["ok"]


def list_domains(txn: Txn, account: str, p: Doc) -> tuple[list[Doc], str | None]:
    items = [{"DomainName": d["DomainName"], "AutoRenew": d["AutoRenew"], "TransferLock": d["TransferLock"],
              "Expiry": d["ExpirationDate"]} for _, d in txn.scan(DOMAINS) if d["Account"] == account and d["State"] == "ACTIVE"]
    for f in p.get("FilterConditions") or ():
        items = [d for d in items if _matches(d, f)]
    sort = p.get("SortCondition")
    field = {"DomainName": "DomainName", "Expiry": "Expiry"}.get((sort or {}).get("Name", "DomainName"), "DomainName")
    descending = bool(sort and sort.get("SortOrder") == "DESC")
    items.sort(key=lambda d: (d[field], d["DomainName"]), reverse=descending)
    return paging.page_items(items, lambda d: (d[field], d["DomainName"]), listing=f"{DOMAINS}/{account}",
                             token=p.get("Marker"), limit=p.get("MaxItems"), default_limit=20, max_limit=100,
                             descending=descending, filters={"f": p.get("FilterConditions") and str(p["FilterConditions"]), "s": str(sort)},
                             error=_marker_error)


def _matches(d: Doc, f: Doc) -> bool:
    value = d["DomainName"] if f["Name"] == "DomainName" else d["Expiry"]
    wanted = f["Values"]
    op = f["Operator"]
    if f["Name"] == "DomainName":
        if op == "BEGINS_WITH":
            return any(str(value).startswith(w.lower()) for w in wanted)
        return False
    ts = float(value)
    bound = dt.datetime.fromisoformat(str(wanted[0]).replace("Z", "+00:00")).timestamp() if not str(wanted[0]).replace(".", "").isdigit() else float(wanted[0])
    return ts >= bound if op == "GE" else ts <= bound if op == "LE" else False


def save(txn: Txn, doc: Doc, now: float, delegation: bool = False) -> None:
    """Store a changed domain; `delegation`: its TLD zone changes too."""
    doc["UpdatedDate"] = now
    txn.put(DOMAINS, doc["DomainName"], doc)
    if delegation:
        _publish(txn, doc["DomainName"])


def update_nameservers(txn: Txn, account: str, p: Doc, now: float, delay: float) -> str:
    """UpdateDomainNameservers: 1-6 name servers; glue IPs required for (and only for) name
    servers inside the domain; the TLD zone's delegation follows at once."""
    doc = owned(txn, account, p["DomainName"])
    name = doc["DomainName"]
    servers = p["Nameservers"]
    if not servers or len(servers) > MAX_NAMESERVERS:
        raise invalid(f"Errors: [A domain must have between 1 and {MAX_NAMESERVERS} name servers]")
    out, seen = [], set()
    for s in servers:
        host = tlds.normalize(s["Name"])
        glue = list(s.get("GlueIps") or [])
        inside = host == name or host.endswith("." + name)
        if inside and not glue:
            raise invalid(f"Errors: [Glue IPs are required for name server {host}, a subdomain of {name}]")
        if glue and not inside:
            raise invalid(f"Errors: [Glue IPs are allowed only for name servers that are subdomains of {name}: {host}]")
        if len(glue) > 2:
            raise invalid(f"Errors: [Name server {host} may have at most one IPv4 and one IPv6 glue address]")
        for ip in glue:
            _check_ip(ip)
        if host in seen:
            raise invalid(f"Errors: [Duplicate name server {host}]")
        seen.add(host)
        out.append({"Name": host, "GlueIps": glue})
    if _in_progress(txn, account, name):
        raise AwsError.modeled("route53domains", "DuplicateRequest", f"The request is already in progress for the domain {name}.")
    doc["Nameservers"] = out
    save(txn, doc, now, delegation=True)
    return new_operation(txn, account, name, "UPDATE_NAMESERVER", now, delay)


def _check_ip(ip: str) -> None:
    import ipaddress

    try:
        ipaddress.ip_address(ip)
    except ValueError:
        raise invalid(f"Errors: [Glue IP {ip} is not a valid IP address]") from None


def set_auto_renew(txn: Txn, account: str, name: str, on: bool, now: float) -> None:
    doc = owned(txn, account, name)
    doc["AutoRenew"] = on
    save(txn, doc, now)


def set_transfer_lock(txn: Txn, account: str, name: str, on: bool, now: float, delay: float) -> str:
    doc = owned(txn, account, name)
    doc["TransferLock"] = on
    save(txn, doc, now)
    return new_operation(txn, account, doc["DomainName"], "DOMAIN_LOCK", now, delay)


def update_contact(txn: Txn, account: str, p: Doc, now: float, delay: float) -> str:
    doc = owned(txn, account, p["DomainName"])
    roles = tuple(r for r in contacts.ROLES if p.get(r) is not None)
    if not roles and p.get("Consent") is None:
        raise invalid("Errors: [At least one contact must be specified]")
    contacts.check(p, roles)
    for role in roles:
        doc[role] = p[role]
        doc.setdefault(PRIVACY[role], True)
    save(txn, doc, now)
    return new_operation(txn, account, doc["DomainName"], "UPDATE_DOMAIN_CONTACT", now, delay)


def update_privacy(txn: Txn, account: str, p: Doc, now: float, delay: float) -> str:
    doc = owned(txn, account, p["DomainName"])
    flags = {"AdminPrivacy": "AdminContact", "RegistrantPrivacy": "RegistrantContact", "TechPrivacy": "TechContact",
             "BillingPrivacy": "BillingContact"}
    if not any(p.get(f) is not None for f in flags):
        raise invalid("Errors: [At least one privacy setting must be specified]")
    for flag, role in flags.items():
        if p.get(flag) is not None and role in doc:
            doc[flag] = bool(p[flag])
    save(txn, doc, now)
    return new_operation(txn, account, doc["DomainName"], "CHANGE_PRIVACY_PROTECTION", now, delay)


def renew(txn: Txn, account: str, p: Doc, now: float, delay: float) -> tuple[str, Doc]:
    """RenewDomain: the expiry year the caller names must match; the registration may not
    exceed the TLD's maximum years from now."""
    doc = owned(txn, account, p["DomainName"])
    name = doc["DomainName"]
    price = tlds.prices()[tld_of(name)]
    years = int(p.get("DurationInYears") or 1)
    current = dt.datetime.fromtimestamp(doc["ExpirationDate"], dt.UTC).year
    if int(p["CurrentExpiryYear"]) != current:
        raise invalid(f"Errors: [CurrentExpiryYear {p['CurrentExpiryYear']} does not match the domain's expiration year {current}]")
    if doc["ExpirationDate"] + years * YEAR > now + price.max_years * YEAR + 86400:
        raise AwsError.modeled("route53domains", "TLDRulesViolation",
                               f"Errors: [.{tld_of(name)} domains cannot be registered for more than {price.max_years} years]")
    if _in_progress(txn, account, name):
        raise AwsError.modeled("route53domains", "DuplicateRequest", f"The request is already in progress for the domain {name}.")
    doc["ExpirationDate"] += years * YEAR
    save(txn, doc, now)
    op_id = new_operation(txn, account, name, "RENEW_DOMAIN", now, delay)
    return op_id, bill(txn, account, name, "RENEW_DOMAIN", op_id, price.renew * years, now)


def delete(txn: Txn, account: str, name: str, now: float, delay: float) -> str:
    """DeleteDomain: the registration ends when the operation completes (its delegation goes
    with it); the hosted zone stays, as on AWS."""
    doc = owned(txn, account, name)
    if _in_progress(txn, account, doc["DomainName"]):
        raise AwsError.modeled("route53domains", "DuplicateRequest", f"The request is already in progress for the domain {doc['DomainName']}.")
    doc["State"] = "DELETING"
    save(txn, doc, now, delegation=True)
    return new_operation(txn, account, doc["DomainName"], "DELETE_DOMAIN", now, delay)


# --- tags -------------------------------------------------------------------------------------
def list_tags(txn: Txn, account: str, name: str) -> list[Doc]:
    doc = owned(txn, account, name)
    return [{"Key": k, "Value": v} for k, v in sorted(doc.get("tags", {}).items())]


def update_tags(txn: Txn, account: str, name: str, pairs: list[Doc] | None, remove: list[str] | None, now: float) -> None:
    doc = owned(txn, account, name)
    current: dict[str, str] = dict(doc.get("tags", {}))
    for k in remove or ():
        current.pop(k, None)
    current.update({t["Key"]: t.get("Value", "") for t in pairs or ()})
    doc["tags"] = tags.check(current, TAG_RULES)
    save(txn, doc, now)


# --- the registry's view ------------------------------------------------------------------------
def delegations(txn: Txn, tld: str) -> list[Doc]:
    """The ACTIVE domains of a TLD (the registry's delegations): {"DomainName", "Nameservers",
    "DnssecKeys"}."""
    return [{"DomainName": d["DomainName"], "Nameservers": d["Nameservers"], "DnssecKeys": d.get("DnssecKeys", [])}
            for _, d in txn.scan(DOMAINS) if d["State"] == "ACTIVE" and tld_of(d["DomainName"]) == tld]


def whois_record(txn: Txn, name: str) -> Doc | None:
    doc = txn.get(DOMAINS, name)
    return doc if doc is not None and doc["State"] == "ACTIVE" else None


NowFn = Callable[[], float]
