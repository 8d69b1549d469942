"""IAM's check of a permissions (identity) policy document, stage by stage in the order IAM
applies them, each stage answering with IAM's one fixed `MalformedPolicyDocument` message
(the first failing stage wins):

1. grammar: JSON object; top-level elements only Version, Id, Statement; Version one of
   2012-10-17/2008-10-17; Id a string; Statement an object or a non-empty list of objects;
   statement elements only Sid, Effect, Action/NotAction (not both), Resource/NotResource
   (not both), Principal/NotPrincipal, Condition; Effect allow/deny in any case; actions and
   resources strings or lists of strings; Condition an object of known operators (optionally
   ForAnyValue:/ForAllValues: and ...IfExists) each mapping keys to strings, numbers, booleans
   or lists of them -> "Syntax errors in policy."
2. version, managed policies only: exactly 2012-10-17 (an absent Version is 2008-10-17) ->
   "Policy document must be version 2012-10-17 or greater."
3. the legacy parser: Effect spelt Allow/Deny; Date* condition values ISO 8601 or epoch
   seconds; resources with ':'-fields the old parser reads -> "The policy failed legacy parsing"
   (while a resource's format error, found in the same pass, is kept for stage 6).
4. Sids unique -> "Statement IDs (SID) in a single policy must be unique."
5. every statement has actions -> "Policy statement must contain actions."; none names a
   principal -> "Policy document should not specify a principal."; every statement has
   resources -> "Policy statement must contain resources."
6. the resource format error of stage 3, naming the resource ("Resource x must be in ARN
   format or \"*\".", 'Partition "p" is not valid for resource "arn:p:..."', region
   information in an IAM or S3 ARN, an IAM resource path of no known kind).
7. action prefixes: a vendor, one colon, a vendor of letters, digits, '-' and '.'.

Pure functions on the document text; the document itself is stored as written (documents.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from gureum.aws.errors import AwsError

SYNTAX = "Syntax errors in policy."
VERSION_2012 = "Policy document must be version 2012-10-17 or greater."
LEGACY = "The policy failed legacy parsing"
DUPLICATE_SID = "Statement IDs (SID) in a single policy must be unique."
NO_ACTIONS = "Policy statement must contain actions."
NO_RESOURCES = "Policy statement must contain resources."
NO_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ONE_COLON = "Actions/Condition can contain only one colon."
PRINCIPAL = "Policy document should not specify a principal."

VERSIONS = ("2012-10-17", "2008-10-17")
TOP_ELEMENTS = frozenset({"Version", "Id", "Statement"})
STATEMENT_ELEMENTS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"}
)
CONDITION_OPERATORS = frozenset({
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan",
    "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals",
    "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
    "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals",
    "ArnNotLike", "Null",
})
PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"})
IAM_RESOURCE_KINDS = (
    "user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/", "server-certificate/",
    "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/",
)
_VENDOR_CHARS = re.compile(r"[a-zA-Z0-9.-]*")
# ISO 8601 as the legacy parser reads it: a date, optionally a time (hour of one or two digits),
# fractions to nanoseconds, and Z or a two-digit offset.
_ISO_DATE = re.compile(
    r"-?(?P<y>\d{1,9})(?:-(?P<mo>\d{1,2})(?:-(?P<d>\d{1,2}))?)?"
    r"(?:t(?P<h>\d{1,2})?(?::(?P<mi>\d{1,2})(?::(?P<s>\d{1,2})(?:\.\d{1,9})?(?:z|[+-]\d{2}(?::\d{2})?)?)?)?)?"
)


def _malformed(message: str) -> AwsError:
    return AwsError.modeled("iam", "MalformedPolicyDocument", message)


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _strings_or_list(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, bool, int, float))


def _operator(name: str) -> str:
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    return name.removesuffix("IfExists")


def _statement_syntax(st: dict[str, Any]) -> bool:
    if not set(st) <= STATEMENT_ELEMENTS:
        return False
    if ("Action" in st and "NotAction" in st) or ("Resource" in st and "NotResource" in st):
        return False
    effect = st.get("Effect")
    if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
        return False
    if "Sid" in st and not isinstance(st["Sid"], str):
        return False
    for key in ("Action", "NotAction", "Resource", "NotResource"):
        if key in st and not _strings_or_list(st[key]):
            return False
    if "Condition" in st:
        cond = st["Condition"]
        if not isinstance(cond, dict):
            return False
        for op, block in cond.items():
            if not isinstance(block, dict):
                return False
            for v in block.values():
                if not (_scalar(v) or (isinstance(v, list) and all(_scalar(x) for x in v))):
                    return False
            if block and _operator(op) not in CONDITION_OPERATORS:
                return False
    return True


def statements(document: str, *, invalid_json: str = SYNTAX) -> list[dict[str, Any]]:
    """Stage 1: the document's statements (a lone statement as a list of one), or SYNTAX
    (`invalid_json` for text that is not JSON: trust policies say so in other words)."""
    try:
        doc = json.loads(document)
    except ValueError:
        raise _malformed(invalid_json) from None
    except RecursionError:  # JSON nested deeper than the parser goes: no policy's grammar
        raise _malformed(SYNTAX) from None
    if not isinstance(doc, dict) or not set(doc) <= TOP_ELEMENTS:
        raise _malformed(SYNTAX)
    if "Version" in doc and doc["Version"] not in VERSIONS:
        raise _malformed(SYNTAX)
    if "Id" in doc and not isinstance(doc["Id"], str):
        raise _malformed(SYNTAX)
    found = doc.get("Statement")
    if isinstance(found, dict):
        found = [found]
    if not isinstance(found, list) or not found or not all(isinstance(s, dict) for s in found):
        raise _malformed(SYNTAX)
    if not all(_statement_syntax(s) for s in found):
        raise _malformed(SYNTAX)
    return found


def _legacy_date(value: str) -> bool:
    text = value.lower()
    if "t" in text or "-" in text:
        m = _ISO_DATE.fullmatch(text)
        if m is None:
            return False
        ranges = (("mo", 1, 12), ("d", 1, 31), ("h", 0, 23), ("mi", 0, 59), ("s", 0, 59))
        return all(m.group(g) is None or lo <= int(m.group(g)) <= hi for g, lo, hi in ranges)
    try:
        seconds = int(value.strip())
    except ValueError:
        return False
    return 0 <= seconds < 2**63


def _legacy_resource_ok(value: Any) -> bool:
    """Whether the legacy parser reads the Resource/NotResource value."""
    if isinstance(value, str):
        if value == "*":
            return True
        if value.count(":") < 5 and "::" in value:
            return False
        parts = value.split(":")
        return len(parts) > 2 and parts[2] != ""
    for r in value:
        if r in ("", "*"):
            continue
        if (r.count(":") < 5 and "::" in r) or len(r) < 3:
            return False
    return True


def _field(parts: list[str], i: int) -> str:
    return parts[i] if len(parts) > i else "*"


def resource_format_error(resource: str) -> str | None:
    """IAM's message for a resource that is not an ARN it accepts, or None."""
    if resource == "*":
        return None
    if ":" not in resource:
        return f'Resource {resource} must be in ARN format or "*".'
    _, rest = resource.split(":", 1)
    partition, sep, rest = rest.partition(":")
    if partition != "*" and partition not in PARTITIONS:
        rem = rest.split(":")
        first = "*" if rem == [""] else rem[0]
        tail = ":".join(rem[3:]) if len(rem) > 3 else "*"
        # IAM's message shows the resource as its parser read it (six fields, '*' for missing
        # ones): text of an error, not an ARN gureum uses
        return (f'Partition "{partition}" is not valid for resource '
                f'"arn:{partition}:{first}:{_field(rem, 1)}:{_field(rem, 2)}:{tail}".')
    if not sep:
        return "Resource vendor must be fully qualified and cannot contain regexes."
    service, _, after_service = rest.partition(":")
    region, _, after_region = after_service.partition(":")
    _account, _, resource_id = after_region.partition(":")
    if service in ("iam", "s3") and region:
        if service == "iam":
            return f"IAM resource {resource} cannot contain region information."
        if not resource_id.startswith("accesspoint/"):
            return f"Resource {resource} can not contain region information."
    if service == "iam" and resource_id != "*" and not resource_id.startswith(IAM_RESOURCE_KINDS):
        return 'IAM resource path must either be "*" or start with ' + ", ".join(IAM_RESOURCE_KINDS) + "."
    return None


def _legacy(sts: list[dict[str, Any]]) -> str | None:
    """Stage 3: raises LEGACY; returns the last resource format error found (as IAM keeps it)."""
    for st in sts:
        if st["Effect"] not in ("Allow", "Deny"):
            raise _malformed(LEGACY)
        for op, block in st.get("Condition", {}).items():
            if _operator(op).startswith("Date"):
                for v in block.values():
                    values = _items(v)
                    if not all(isinstance(x, str) and _legacy_date(x) for x in values):
                        raise _malformed(LEGACY)
    error: str | None = None
    for key in ("Resource", "NotResource"):
        for st in sts:
            if key not in st:
                continue
            value = st[key]
            ordered = [value] if isinstance(value, str) else sorted((r for r in value if r), reverse=True)
            for r in ordered:
                error = resource_format_error(r) or error
            if error is None and not _legacy_resource_ok(value):
                raise _malformed(LEGACY)
    return error


def _present(st: dict[str, Any], key: str) -> bool:
    for k in (key, "Not" + key):
        if k in st:
            return not (isinstance(st[k], list) and not st[k])
    return False


def _actions(sts: list[dict[str, Any]]) -> Iterator[str]:
    for key in ("Action", "NotAction"):
        for st in sts:
            if key in st:
                yield from _items(st[key])


def action_error(action: str) -> str | None:
    """IAM's message for an action without a well-formed vendor prefix, or None."""
    parts = action.split(":")
    if len(parts) == 1 and action != "*":
        return NO_VENDOR
    if len(parts) > 2:
        return ONE_COLON
    if parts[0] != "*" and not _VENDOR_CHARS.fullmatch(parts[0]):
        return f"Vendor {parts[0]} is not valid"
    return None


def check_identity(document: str, *, managed: bool) -> None:
    """A managed policy (or one of its versions) when `managed`, else an inline policy of a
    user, group or role: raises IAM's MalformedPolicyDocument for the first failing stage."""
    sts = statements(document)
    if managed and json.loads(document).get("Version") != "2012-10-17":
        raise _malformed(VERSION_2012)
    resource_error = _legacy(sts)
    sids: set[str] = set()
    for st in sts:
        sid = st.get("Sid")
        if sid is not None:
            if sid in sids:
                raise _malformed(DUPLICATE_SID)
            sids.add(sid)
    if not all(_present(st, "Action") for st in sts):
        raise _malformed(NO_ACTIONS)
    if any("Principal" in st or "NotPrincipal" in st for st in sts):
        raise _malformed(PRINCIPAL)
    if not all(_present(st, "Resource") for st in sts):
        raise _malformed(NO_RESOURCES)
    if resource_error is not None:
        raise _malformed(resource_error)
    for action in _actions(sts):
        message = action_error(action)
        if message is not None:
            raise _malformed(message)
