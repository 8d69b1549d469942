"""SNS message data protection: a topic's data protection policy (PutDataProtectionPolicy,
GetDataProtectionPolicy), checked when stored and applied to what is published to the topic.

The policy is kept as given, in the topic's document (topics.py, `sns_topics`) under
"data_protection". Its shape (AWS's): {"Name", "Description"?, "Version": "2021-06-01",
"Statement": [{"Sid"?, "DataDirection": "Inbound" | "Outbound", "Principal": ["*" | ARN...],
"DataIdentifier": [identifier ARN or custom name...], "Operation": exactly one of
{"Audit": {"SampleRate", "FindingsDestination"?, "NoFindingsDestination"?}}, {"Deny": {}},
{"Deidentify": {"MaskConfig": {"MaskWithCharacter"?}} | {"RedactConfig": {}}}}],
"Configuration"?: {"CustomDataIdentifier": [{"Name", "Regex"}]}}.

Applied to Publish (inbound statements whose Principal is "*" or names the publisher):
- Deny: the Publish fails with AuthorizationError naming the identifiers found;
- Deidentify: each finding is masked with the mask character ("#" by default) or redacted
  (removed) before the message is delivered;
- Audit: in SampleRate percent of messages, a finding record (or a no-finding record) is
  written to the CloudWatch Logs group of the destination's CloudWatchLogs.LogGroup, stream
  "sns-data-protection" (gureum's Logs; S3 and Firehose destinations are not written).
Outbound statements (per subscription) are stored, not applied.

Detected here by pattern: the managed identifiers EmailAddress, IpAddress, CreditCardNumber
(Luhn-checked), AwsSecretKey and AwsAccessKey... (see DETECTORS), and custom identifiers'
regexes. Any other managed identifier is refused at PutDataProtectionPolicy, as gureum cannot
find it (AWS's list has over a hundred, found with machine learning).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError

IDENTIFIER_PREFIX = arns.build("dataprotection", "", "aws", "data-identifier/")  # AWS's managed identifiers
VERSION = "2021-06-01"
MAX_POLICY = 30_720


def _luhn(digits: str) -> bool:
    nums = [int(c) for c in digits if c.isdigit()]
    total = 0
    for i, n in enumerate(reversed(nums)):
        if i % 2:
            n *= 2
            n -= 9 if n > 9 else 0
        total += n
    return len(nums) >= 13 and total % 10 == 0


def _pattern(regex: str, check: Callable[[str], bool] | None = None) -> Callable[[str], list[tuple[int, int]]]:
    compiled = re.compile(regex)

    def find(text: str) -> list[tuple[int, int]]:
        return [m.span() for m in compiled.finditer(text) if check is None or check(m.group())]

    return find


DETECTORS: dict[str, Callable[[str], list[tuple[int, int]]]] = {
    "EmailAddress": _pattern(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    "IpAddress": _pattern(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"),
    "CreditCardNumber": _pattern(r"\b(?:\d[ -]?){12,18}\d\b", _luhn),
    "AwsSecretKey": _pattern(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"),
    "AwsAccessKey": _pattern(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
}


def _invalid(reason: str) -> AwsError:
    return AwsError.modeled("sns", "InvalidParameter", f"Invalid parameter: DataProtectionPolicy Reason: {reason}")


def _customs(doc: dict[str, Any]) -> dict[str, Callable[[str], list[tuple[int, int]]]]:
    out: dict[str, Callable[[str], list[tuple[int, int]]]] = {}
    conf = doc.get("Configuration") or {}
    found = conf.get("CustomDataIdentifier") if isinstance(conf, dict) else None
    if not isinstance(found, list) and found is not None or not isinstance(conf, dict):
        raise _invalid("Configuration.CustomDataIdentifier must be a list")
    for c in found or []:
        if not isinstance(c, dict) or not isinstance(c.get("Name"), str) or not isinstance(c.get("Regex"), str):
            raise _invalid("a CustomDataIdentifier needs a Name and a Regex")
        try:
            out[c["Name"]] = _pattern(c["Regex"])
        except re.error as exc:
            raise _invalid(f"CustomDataIdentifier {c['Name']}: bad Regex ({exc})") from None
    return out


def check(text: str) -> dict[str, Any]:
    """The policy document, or InvalidParameter saying what is wrong with it."""
    if len(text.encode()) > MAX_POLICY:
        raise _invalid(f"the policy is longer than {MAX_POLICY} bytes")
    try:
        doc = json.loads(text)
    except ValueError:
        raise _invalid("the policy is not valid JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("Name"), str) or not doc["Name"]:
        raise _invalid("the policy needs a Name")
    if doc.get("Version") != VERSION:
        raise _invalid(f"Version must be {VERSION}")
    statements = doc.get("Statement")
    if not isinstance(statements, list) or not statements:
        raise _invalid("the policy needs at least one Statement")
    customs = _customs(doc)
    for st in statements:
        if not isinstance(st, dict):
            raise _invalid("a Statement must be an object")
        if st.get("DataDirection") not in ("Inbound", "Outbound"):
            raise _invalid("DataDirection must be Inbound or Outbound")
        if not isinstance(st.get("Principal"), list) or not st["Principal"]:
            raise _invalid("Principal must be a non-empty list")
        ids = st.get("DataIdentifier")
        if not isinstance(ids, list) or not ids:
            raise _invalid("DataIdentifier must be a non-empty list")
        for ident in ids:
            name = ident.removeprefix(IDENTIFIER_PREFIX) if isinstance(ident, str) else ""
            if name not in DETECTORS and name not in customs:
                raise _invalid(f"unsupported data identifier {ident}")
        op = st.get("Operation")
        if not isinstance(op, dict) or len(op) != 1 or next(iter(op)) not in ("Audit", "Deny", "Deidentify"):
            raise _invalid("Operation must hold exactly one of Audit, Deny, Deidentify")
        body = op[next(iter(op))]
        if body is not None and not isinstance(body, dict):
            raise _invalid("an Operation's value must be an object")
        if "Audit" in op:
            rate = str((op["Audit"] or {}).get("SampleRate", ""))
            if not (rate.isdigit() and 0 <= int(rate) <= 99):
                raise _invalid("Audit SampleRate must be an integer from 0 to 99")
        if "Deidentify" in op:
            conf = op["Deidentify"] or {}
            if not isinstance(conf.get("MaskConfig") or {}, dict):
                raise _invalid("MaskConfig must be an object")
            mask = (conf.get("MaskConfig") or {}).get("MaskWithCharacter", "#") if "MaskConfig" in conf else None
            if "MaskConfig" not in conf and "RedactConfig" not in conf:
                raise _invalid("Deidentify needs a MaskConfig or a RedactConfig")
            if mask is not None and (not isinstance(mask, str) or len(mask) != 1):
                raise _invalid("MaskWithCharacter must be one character")
    return doc


@dataclass(frozen=True)
class Outcome:
    """What the inbound statements did to one message."""

    message: str
    audits: list[tuple[dict[str, Any], dict[str, list[tuple[int, int]]]]]  # (Audit operation, findings)


def _findings(doc: dict[str, Any], idents: list[str], text: str) -> dict[str, list[tuple[int, int]]]:
    customs = _customs(doc)
    out = {}
    for ident in idents:
        name = ident.removeprefix(IDENTIFIER_PREFIX)
        found = (DETECTORS.get(name) or customs.get(name) or (lambda _t: []))(text)
        if found:
            out[ident] = found
    return out


def _applies(st: dict[str, Any], principal: str) -> bool:
    return st.get("DataDirection") == "Inbound" and any(p == "*" or p == principal for p in st.get("Principal") or [])


def inbound(doc: dict[str, Any] | None, principal: str, message: str) -> Outcome:
    """Apply the inbound statements to a message published by `principal`: raises
    AuthorizationError for a Deny that finds something; returns the (de-identified) message
    and the audits to write."""
    if not doc:
        return Outcome(message, [])
    audits = []
    hide: dict[tuple[int, int], str] = {}  # span of the original message -> its mask character ("" redacts)
    for st in doc.get("Statement") or []:
        if not _applies(st, principal):
            continue
        op = st["Operation"]
        found = _findings(doc, st["DataIdentifier"], message)  # every statement reads the message as sent
        if "Deny" in op and found:
            names = ", ".join(sorted(i.removeprefix(IDENTIFIER_PREFIX) for i in found))
            raise AwsError.modeled("sns", "AuthorizationError",
                                   f"Publish denied by the topic's data protection policy: the message contains {names}")
        if "Deidentify" in op:
            conf = op["Deidentify"] or {}
            mask = (conf.get("MaskConfig") or {}).get("MaskWithCharacter", "#") if "MaskConfig" in conf else ""
            for spans in found.values():
                hide.update({span: mask for span in spans})
        if "Audit" in op:
            audits.append((op["Audit"] or {}, found))
    out, end = [], len(message)
    for (start, stop), mask in sorted(hide.items(), reverse=True):
        if stop > end:  # overlaps a span already hidden
            stop = end
        if start >= stop:
            continue
        out.append(message[stop:end])
        out.append(mask * (stop - start))
        end = start
    out.append(message[:end])
    return Outcome("".join(reversed(out)), audits)


def audit_lines(audits: list[tuple[dict[str, Any], dict[str, list[tuple[int, int]]]]], topic_arn: str,
                message_id: str, rng: random.Random | None = None) -> list[tuple[str, str]]:
    """The (log group, JSON line) finding records of the sampled audits."""
    rng = rng or random.SystemRandom()
    out = []
    for audit, found in audits:
        if rng.randrange(100) >= int(audit.get("SampleRate", 0)):
            continue
        dest = audit.get("FindingsDestination" if found else "NoFindingsDestination") or {}
        group = (dest.get("CloudWatchLogs") or {}).get("LogGroup")
        if not group:
            continue
        record = {"messageId": message_id, "topicArn": topic_arn, "dataDirection": "Inbound",
                  "auditFindings": [{"dataIdentifier": i, "sampleCount": len(s)} for i, s in found.items()],
                  "foundSensitiveData": bool(found)}
        out.append((group, json.dumps(record)))
    return out
