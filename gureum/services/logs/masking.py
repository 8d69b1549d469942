"""CloudWatch Logs data protection: the policies and the masking they apply (sans-IO rules
plus a few store functions).

Table logs.data_protection "<acct>/<region>/<group>" -> {"policyDocument", "lastUpdatedTime"};
the group doc's "dataProtectionStatus" is "ACTIVATED" while a policy is set. An account-level
policy (PutAccountPolicy, policyType DATA_PROTECTION_POLICY, policies.py) applies to every group
as well; the two are cumulative, as AWS documents.

As AWS does, sensitive data is found when an event is ingested (events stored before a policy
was set stay unmasked): ingest.py asks `detect` and `spans` for the ranges of each message to
mask, and writes one audit findings report (`finding`: auditTimestamp, resourceArn,
dataIdentifiers with count and detections) per event with sensitive data to each log group the
Audit statement names (FindingsDestination.CloudWatchLogs.LogGroup, stream named after the
audited group; S3 and Firehose findings destinations are kept but not written); the event row
keeps the ranges ("k": [[start, end], ...]) beside the original message. GetLogEvents,
FilterLogEvents and GetLogRecord show those ranges replaced by asterisks unless the caller asks
`unmask`, which takes logs:Unmask as well (`authorize_unmask`).

Data identifiers gureum detects (MANAGED): EmailAddress, IpAddress (IPv4 and IPv6),
AwsSecretKey (40 base64 characters standing alone), CreditCardNumber (13-19 digits passing the
Luhn check), and custom data identifiers (Configuration.CustomDataIdentifier, a Name and a
Regex). AWS's other managed identifiers are accepted and kept in the policy but find nothing
here.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.logs import model
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.aws.dispatch import RequestContext

POLICIES = "logs.data_protection"
Finder = Callable[[str], list[tuple[int, int]]]


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("logs", "InvalidParameterException", message)


def _regex(rx: str) -> Finder:
    compiled = re.compile(rx)
    return lambda text: [m.span() for m in compiled.finditer(text)]


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _cards(text: str) -> list[tuple[int, int]]:
    out = []
    for m in re.finditer(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])", text):
        if _luhn(re.sub(r"\D", "", m.group())):
            out.append(m.span())
    return out


def _ips(text: str) -> list[tuple[int, int]]:
    out = []
    for m in re.finditer(r"(?<![\w.:])(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?![\w.:])", text):
        try:
            ipaddress.ip_address(m.group())
        except ValueError:
            continue
        out.append(m.span())
    return out


MANAGED: dict[str, Finder] = {
    "EmailAddress": _regex(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    "IpAddress": _ips,
    "AwsSecretKey": _regex(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])"),
    "CreditCardNumber": _cards,
}


def check(document: str) -> dict[str, Any]:
    """The policy document, parsed, or AWS's InvalidParameterException: two statements, one
    Audit and one Deidentify (MaskConfig), naming the same data identifiers."""
    try:
        doc = json.loads(document)
    except ValueError:
        raise _invalid("Invalid data protection policy: the document is not valid JSON.") from None
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    if not isinstance(statements, list) or len(statements) != 2:
        raise _invalid("Invalid data protection policy: it must have exactly two statements, an Audit and a Deidentify one.")
    ops: dict[str, list[str]] = {}
    for st in statements:
        ids = st.get("DataIdentifier") if isinstance(st, dict) else None
        op = st.get("Operation") if isinstance(st, dict) else None
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids) or not isinstance(op, dict) or len(op) != 1:
            raise _invalid("Invalid data protection policy: each statement needs a DataIdentifier list and one Operation.")
        ops[next(iter(op))] = sorted(ids)
    if set(ops) != {"Audit", "Deidentify"}:
        raise _invalid("Invalid data protection policy: it must have one Audit and one Deidentify statement.")
    if ops["Audit"] != ops["Deidentify"]:
        raise _invalid("Invalid data protection policy: the DataIdentifier arrays of both statements must be the same.")
    custom = {c.get("Name"): c.get("Regex") for c in ((doc.get("Configuration") or {}).get("CustomDataIdentifier") or [])
              if isinstance(c, dict)}
    for ident in ops["Deidentify"]:
        a = arns.try_parse(ident)
        if a is None and ident not in custom:
            raise _invalid(f"Invalid data protection policy: unknown data identifier {ident!r}.")
        if a is not None and (a.service != "dataprotection" or not a.resource.startswith("data-identifier/")):
            raise _invalid(f"Invalid data protection policy: {ident!r} is not a data identifier ARN.")
    for name, rx in custom.items():
        try:
            re.compile(str(rx))
        except re.error:
            raise _invalid(f"Invalid data protection policy: the Regex of custom data identifier {name!r} is not valid.") from None
    return dict(doc)


Named = tuple[str, Finder]  # a data identifier's name (EmailAddress, a custom one's Name) and its finder


def finders(doc: dict[str, Any]) -> list[Named]:
    """What the policy's Deidentify statement masks, as named finders."""
    custom = {c["Name"]: c["Regex"] for c in ((doc.get("Configuration") or {}).get("CustomDataIdentifier") or [])}
    out: list[Named] = []
    for st in doc.get("Statement") or []:
        if "Deidentify" not in (st.get("Operation") or {}):
            continue
        for ident in st.get("DataIdentifier") or []:
            a = arns.try_parse(ident)
            if a is not None:
                name = a.resource.split("/", 1)[1]
                found = MANAGED.get(name)
                if found is not None:
                    out.append((name, found))
            elif ident in custom:
                out.append((ident, _regex(custom[ident])))
    return out


def findings_groups(doc: dict[str, Any]) -> list[str]:
    """The log groups the policy's Audit statement sends findings to
    (FindingsDestination.CloudWatchLogs.LogGroup)."""
    out = []
    for st in doc.get("Statement") or []:
        audit = (st.get("Operation") or {}).get("Audit")
        group = (((audit or {}).get("FindingsDestination") or {}).get("CloudWatchLogs") or {}).get("LogGroup")
        if isinstance(group, str) and group:
            out.append(group)
    return out


def detect(found: list[Named], message: str) -> dict[str, list[tuple[int, int]]]:
    """Each identifier's [start, end) ranges in `message` (identifiers that found nothing left out)."""
    out: dict[str, list[tuple[int, int]]] = {}
    for name, f in found:
        hits = [r for r in f(message) if r[1] > r[0]]
        if hits:
            out.setdefault(name, []).extend(hits)
    return out


def spans(detected: dict[str, list[tuple[int, int]]]) -> list[list[int]]:
    """The merged [start, end) ranges to mask."""
    ranges = sorted(r for hits in detected.values() for r in hits)
    merged: list[list[int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def finding(resource_arn: str, detected: dict[str, list[tuple[int, int]]], now_ms: int) -> str:
    """One event's audit findings report, as AWS writes it to a findings destination."""
    stamp = dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps({"auditTimestamp": stamp, "resourceArn": resource_arn, "dataIdentifiers": [
        {"name": name, "count": len(hits), "detections": [{"start": a, "end": b} for a, b in sorted(hits)]}
        for name, hits in sorted(detected.items())]})


def masked(message: str, ranges: list[list[int]] | None) -> str:
    """`message` with `ranges` replaced by asterisks."""
    if not ranges:
        return message
    out, pos = [], 0
    for start, end in ranges:
        out.append(message[pos:start])
        out.append("*" * (end - start))
        pos = end
    out.append(message[pos:])
    return "".join(out)


async def authorize_unmask(ctx: RequestContext, group: str) -> None:
    """`unmask` needs logs:Unmask on the group besides the operation's own action (AWS's
    rule): the policy gate decides it as it decides the operation (AccessDeniedException)."""
    from gureum.policy.gate import check

    await check(ctx, "logs:Unmask", [model.group_arn(ctx.account_id, ctx.region, group) + ":*"],
                strict=ctx.app.config.auth == "strict")


@dataclass(frozen=True)
class Protection:
    """What applies to events ingested into one group: identifiers to mask and the log
    groups audit findings go to."""

    found: list[Named]
    findings_to: list[str]


def protection(txn: Txn, account: str, region: str, group: str) -> Protection:
    """The group's data protection now (its own policy and the account's, cumulative)."""
    from gureum.services.logs import policies

    docs = []
    row = txn.get(POLICIES, model.group_key(account, region, group))
    if row is not None:
        docs.append(json.loads(row["policyDocument"]))
    docs.extend(policies.account_data_protection(txn, account, region, group))
    return Protection([f for d in docs for f in finders(d)], sorted({g for d in docs for g in findings_groups(d)}))


def check_findings_groups(txn: Txn, account: str, region: str, document: str) -> None:
    """The Audit statement's findings log groups must exist (AWS's rule)."""
    for name in findings_groups(json.loads(document)):
        if txn.get(model.GROUPS, model.group_key(account, region, name)) is None:
            raise _invalid(f"The findings destination log group {name} does not exist.")


def put(txn: Txn, account: str, region: str, group: str, document: str, now: int) -> dict[str, Any]:
    check(document)
    g = model.get_group(txn, account, region, group)
    check_findings_groups(txn, account, region, document)
    gkey = model.group_key(account, region, group)
    txn.put(POLICIES, gkey, {"policyDocument": document, "lastUpdatedTime": now})
    g["dataProtectionStatus"] = "ACTIVATED"
    txn.put(model.GROUPS, gkey, g)
    return {"policyDocument": document, "lastUpdatedTime": now}


def get(txn: Txn, account: str, region: str, group: str) -> dict[str, Any]:
    model.get_group(txn, account, region, group)
    row = txn.get(POLICIES, model.group_key(account, region, group))
    return dict(row) if row is not None else {}


def delete(txn: Txn, account: str, region: str, group: str) -> None:
    g = model.get_group(txn, account, region, group)
    gkey = model.group_key(account, region, group)
    if not txn.delete(POLICIES, gkey):
        raise AwsError.modeled("logs", "ResourceNotFoundException", "No data protection policy found for this log group.")
    g.pop("dataProtectionStatus", None)
    txn.put(model.GROUPS, gkey, g)


def drop_group(txn: Txn, account: str, region: str, group: str) -> None:
    txn.delete(POLICIES, model.group_key(account, region, group))
