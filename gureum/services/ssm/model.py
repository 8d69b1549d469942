"""SSM parameters: the store layout and AWS's rules for writing and reading them.

Tables:
- ssm_parameters: "{account}/{region}/{name}" -> the parameter: {"Name", "Type", "DataType",
  "Tier", "Description", "AllowedPattern", "KeyId", "Policies", "Version",
  "LastModifiedDate", "LastModifiedUser", "ARN", "tags": {k: v}, "labels": {label: version}}.
- ssm_parameter_versions: "{account}/{region}/{name}#{version:06d}" -> one version as
  PutParameter wrote it: {"Value" (sealed with gureum/sealing.py for SecureString, context
  the ARN), "Type", "DataType", "Tier", "Description", "AllowedPattern", "KeyId",
  "Policies", "LastModifiedDate", "LastModifiedUser"}.

Invariants: versions only grow (1, 2, ...), at most 100 kept (the oldest dropped, refused if
it carries a label); a label names one version of its parameter (labelling moves it), a
version carries at most 10; a name is unique per account and region. A parameter whose
Expiration policy has passed is gone: reads skip it and the next write to its name starts
again at version 1. Writes publish "ssm.parameter" {"key": ...}.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from gureum import sealing
from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.aws.errors import AwsError, NotImplementedOperation
from gureum.services.ssm import names, public
from gureum.store import Txn

PARAMETERS = "ssm_parameters"
VERSIONS = "ssm_parameter_versions"
TOPIC = "ssm.parameter"
MAX_VERSIONS = 100
MAX_LABELS = 10
DEFAULT_KEY = "alias/aws/ssm"
TAG_RULES = tags.Rules(too_many=lambda m: AwsError.modeled("ssm", "TooManyTagsError", m))

Doc = dict[str, Any]


def key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def vkey(account: str, region: str, name: str, version: int) -> str:
    return f"{key(account, region, name)}#{version:06d}"


def _not_found(name: str = "") -> AwsError:
    return AwsError.modeled("ssm", "ParameterNotFound", f"Parameter {name} not found." if name else "")


def _expires(policies: list[Doc]) -> float | None:
    for p in policies:
        if p.get("PolicyType") == "Expiration":
            ts = json.loads(p["PolicyText"]).get("Attributes", {}).get("Timestamp")
            return datetime.fromisoformat(str(ts).replace("Z", "+00:00")).timestamp()
    return None


def _live(doc: Doc | None, now: float) -> Doc | None:
    if doc is None:
        return None
    exp = doc.get("expires")
    return None if exp is not None and exp <= now else doc


def _policies(text: str | None) -> list[Doc]:
    """AWS's parameter policies (Expiration, ExpirationNotification, NoChangeNotification)."""
    if not text:
        return []
    try:
        items = json.loads(text)
    except ValueError:
        raise AwsError.modeled("ssm", "InvalidPolicyTypeException", "The policy is not valid JSON.") from None
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        raise AwsError.modeled("ssm", "InvalidPolicyTypeException", "The policy is not valid JSON.")
    if len(items) > 10:
        raise AwsError.modeled("ssm", "PoliciesLimitExceededException", "You specified more than the maximum number of allowed policies for the parameter. The maximum is 10.")
    out: list[Doc] = []
    seen: set[str] = set()
    for p in items:
        kind = p.get("Type") if isinstance(p, dict) else None
        if kind not in ("Expiration", "ExpirationNotification", "NoChangeNotification"):
            raise AwsError.modeled("ssm", "InvalidPolicyTypeException", f"The policy type {kind} is not supported.")
        if kind in seen:
            raise AwsError.modeled("ssm", "IncompatiblePolicyException", f"There is a conflict in the policies specified for this parameter: {kind} is specified more than once.")
        seen.add(kind)
        attrs = p.get("Attributes")
        if not isinstance(attrs, dict):
            raise AwsError.modeled("ssm", "InvalidPolicyAttributeException", f"A policy attribute or its value is invalid: {kind} needs Attributes.")
        if kind == "Expiration":
            try:
                datetime.fromisoformat(str(attrs.get("Timestamp")).replace("Z", "+00:00"))
            except ValueError:
                raise AwsError.modeled("ssm", "InvalidPolicyAttributeException", "A policy attribute or its value is invalid: Timestamp.") from None
        else:
            unit = attrs.get("Unit")
            if unit not in ("Days", "Hours") or not str(attrs.get("Before" if kind == "ExpirationNotification" else "After", "")).isdigit():
                raise AwsError.modeled("ssm", "InvalidPolicyAttributeException", f"A policy attribute or its value is invalid: {kind}.")
        out.append({"PolicyText": json.dumps(p, separators=(",", ":")), "PolicyType": kind, "PolicyStatus": "Pending"})
    return out


def put(txn: Txn, account: str, region: str, p: Doc, user: str, now: float) -> tuple[int, str]:
    """PutParameter; returns (version, tier)."""
    name: str = p["Name"]
    names.check_name(name, writing=True)
    k = key(account, region, name)
    old = _live(txn.get(PARAMETERS, k), now)
    if old is None and txn.get(PARAMETERS, k) is not None:  # expired: gone
        _drop(txn, account, region, name)
    if old is not None and not p.get("Overwrite"):
        raise AwsError.modeled("ssm", "ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
    if old is not None and p.get("Tags"):
        raise names.invalid("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
    kind = p.get("Type") or (old or {}).get("Type")
    if kind is None:
        raise names.invalid("A parameter type is required when you create a parameter.")
    data_type = p.get("DataType") or (old or {}).get("DataType") or "text"
    if data_type not in ("text", "aws:ec2:image", "aws:ssm:integration"):
        raise names.invalid(f"The following data type is not supported: {data_type} (Data type names are all lowercase.)")
    key_id = p.get("KeyId")
    if key_id is not None and kind != "SecureString":
        raise names.invalid("KeyId is required for SecureString type parameter only.")
    if kind == "SecureString":
        key_id = key_id or (old or {}).get("KeyId") or DEFAULT_KEY
        if key_id not in (DEFAULT_KEY, "alias/aws/ssm"):
            raise AwsError.modeled("ssm", "InvalidKeyId", f"Invalid keyId {key_id}")
    policies = _policies(p.get("Policies")) if "Policies" in p else list((old or {}).get("Policies") or [])
    value: str = p["Value"]
    requested = p.get("Tier")
    old_tier = (old or {}).get("Tier", "Standard")
    if requested == "Intelligent-Tiering" or (requested is None and old is not None):
        tier = "Advanced" if old_tier == "Advanced" or len(value) > names.STANDARD_MAX or policies else "Standard"
    else:
        tier = requested or "Standard"
    if old_tier == "Advanced" and tier == "Standard":
        raise names.invalid("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.")
    if policies and tier != "Advanced":
        raise names.invalid("Parameter policies are supported only for advanced-parameter tier. To create a parameter policy, upgrade the parameter to use the advanced-parameter tier.")
    pattern = p.get("AllowedPattern", (old or {}).get("AllowedPattern"))
    names.check_value(value, tier, kind, data_type, pattern)
    version = int((old or {}).get("Version", 0)) + 1
    arn = arns.ssm_parameter(region, account, name)
    labels: dict[str, int] = dict((old or {}).get("labels") or {})
    if version > MAX_VERSIONS:
        oldest = version - MAX_VERSIONS
        if any(v == oldest for v in labels.values()):
            raise AwsError.modeled("ssm", "ParameterMaxVersionLimitExceeded",
                                   f"You attempted to create a new version of {name} by calling the PutParameter API with the overwrite flag. Version {oldest}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.")
        txn.delete(VERSIONS, vkey(account, region, name, oldest))
    description = p.get("Description", (old or {}).get("Description"))
    stored = sealing.seal(txn, value.encode(), arn) if kind == "SecureString" else value
    facts: Doc = {"Type": kind, "DataType": data_type, "Tier": tier, "Description": description,
                  "AllowedPattern": pattern, "KeyId": key_id if kind == "SecureString" else None,
                  "Policies": policies, "LastModifiedDate": now, "LastModifiedUser": user}
    txn.put(VERSIONS, vkey(account, region, name, version), {**facts, "Value": stored})
    tag_set = (old or {}).get("tags") or tags.check(tags.from_pairs(p.get("Tags")), TAG_RULES)
    txn.put(PARAMETERS, k, {**facts, "Name": name, "Version": version, "ARN": arn, "tags": tag_set, "labels": labels,
                            "expires": _expires(policies)})
    txn.publish(TOPIC, {"key": k})
    return version, tier


def _drop(txn: Txn, account: str, region: str, name: str) -> None:
    k = key(account, region, name)
    txn.delete(PARAMETERS, k)
    txn.delete_prefix(VERSIONS, k + "#")
    txn.publish(TOPIC, {"key": k})


def _find(txn: Txn, account: str, region: str, name: str, now: float) -> Doc | None:
    doc = _live(txn.get(PARAMETERS, key(account, region, name)), now)
    if doc is None and not name.startswith("/"):  # an ARN's "parameter/x" may name "/x"
        doc = _live(txn.get(PARAMETERS, key(account, region, "/" + name)), now)
    return doc


def delete(txn: Txn, account: str, region: str, ref: str, now: float) -> None:
    name = names.plain_name(ref)
    if public.is_public(name) or name.lstrip("/").lower().startswith(("aws", "ssm")):
        names.check_name(name, writing=True)  # AccessDeniedException, as AWS answers
    doc = _find(txn, account, region, name, now)
    if doc is None:
        raise _not_found(ref)
    _drop(txn, account, region, doc["Name"])


def delete_many(txn: Txn, account: str, region: str, refs: list[str], now: float) -> tuple[list[str], list[str]]:
    deleted: list[str] = []
    missing: list[str] = []
    for ref in dict.fromkeys(refs):
        try:
            delete(txn, account, region, ref, now)
            deleted.append(ref)
        except AwsError:
            missing.append(ref)
    return deleted, missing


def _shown_value(txn: Txn, doc: Doc, ver: Doc, decrypt: bool) -> str:
    if ver["Type"] != "SecureString":
        return str(ver["Value"])
    if decrypt:
        return sealing.unseal(txn, ver["Value"], doc["ARN"]).decode()
    return sealing.ciphertext(ver["Value"])


def _version_of(txn: Txn, account: str, region: str, doc: Doc, sel: names.Selector) -> tuple[int, Doc]:
    if sel.label is not None:
        version = (doc.get("labels") or {}).get(sel.label)
        if version is None:
            raise AwsError.modeled("ssm", "ParameterVersionNotFound", f"Systems Manager could not find version {sel.label} of {sel.name}. Verify the version and try again.")
    else:
        version = sel.version if sel.version is not None else int(doc["Version"])
    ver = txn.get(VERSIONS, vkey(account, region, doc["Name"], version))
    if ver is None:
        raise AwsError.modeled("ssm", "ParameterVersionNotFound", f"Systems Manager could not find version {version} of {sel.name}. Verify the version and try again.")
    return version, ver


def get(txn: Txn, account: str, region: str, ref: str, decrypt: bool, now: float) -> Doc:
    """GetParameter's Parameter (`ref`: a name or ARN, with an optional :version or :label)."""
    sel = names.parse_selector(ref)
    if public.is_public(sel.name):
        found = public.value(sel.name, region)
        if found is None or sel.text:
            raise _not_found()
        kind, value = found
        return {"Name": sel.name, "Type": kind, "Value": value, "Version": 1, "DataType": "text",
                "LastModifiedDate": datetime.fromtimestamp(0).astimezone(),
                "ARN": arns.build("ssm", region, "", "parameter" + sel.name)}
    doc = _find(txn, account, region, sel.name, now)
    if doc is None:
        raise _not_found()
    version, ver = _version_of(txn, account, region, doc, sel)
    out: Doc = {"Name": doc["Name"], "Type": ver["Type"], "Value": _shown_value(txn, doc, ver, decrypt),
                "Version": version, "LastModifiedDate": datetime.fromtimestamp(ver["LastModifiedDate"]).astimezone(),
                "ARN": doc["ARN"], "DataType": ver.get("DataType") or "text"}
    if sel.text:
        out["Selector"] = sel.text
    return out


def get_many(txn: Txn, account: str, region: str, refs: list[str], decrypt: bool, now: float) -> tuple[list[Doc], list[str]]:
    found: list[Doc] = []
    invalid: list[str] = []
    for ref in dict.fromkeys(refs):
        try:
            found.append(get(txn, account, region, ref, decrypt, now))
        except AwsError as e:
            if e.code not in ("ParameterNotFound", "ParameterVersionNotFound", "ValidationException"):
                raise
            invalid.append(ref)
    return found, invalid


# --- filters ------------------------------------------------------------------------------

_BY_PATH_KEYS = ("Type", "KeyId", "Label")
_DESCRIBE_KEYS = ("Name", "Type", "KeyId", "Path", "Tier", "DataType", "Label")


def _filter_error(code: str, message: str) -> AwsError:
    return AwsError.modeled("ssm", code, message)


def _matcher(filters: list[Doc], allowed: tuple[str, ...]) -> Callable[[Doc], bool]:
    """A predicate for ParameterFilters ({Key, Option, Values})."""
    tests: list[Callable[[Doc], bool]] = []
    for f in filters:
        fkey: str = f["Key"]
        option = f.get("Option") or ("OneLevel" if fkey == "Path" else "Equals")
        values = [str(v) for v in f.get("Values") or []]
        if fkey.startswith("tag:") and allowed is _BY_PATH_KEYS:
            raise _filter_error("InvalidFilterKey", f"The following filter key is not valid: {fkey}. Valid filter keys include: [{', '.join(allowed)}].")
        if not fkey.startswith("tag:") and fkey not in allowed:
            raise _filter_error("InvalidFilterKey", f"The following filter key is not valid: {fkey}. Valid filter keys include: [{', '.join(allowed)}].")
        valid_options = ("Recursive", "OneLevel") if fkey == "Path" else ("Equals", "BeginsWith", "Contains") if fkey == "Name" else ("Equals", "BeginsWith") if fkey.startswith("tag:") else ("Equals",)
        if option not in valid_options:
            raise _filter_error("InvalidFilterOption", f"The following filter option is not valid: {option}. Valid options include: [{', '.join(valid_options)}].")
        if not values and not fkey.startswith("tag:"):
            raise _filter_error("InvalidFilterValue", f"The following filter values are missing : null for filter key {fkey}.")
        if fkey == "Type" and not set(values) <= {"String", "StringList", "SecureString"}:
            raise _filter_error("InvalidFilterValue", f"The following filter value is not valid: {values}. Valid values include: [String, StringList, SecureString].")
        if fkey == "Tier" and not set(values) <= {"Standard", "Advanced", "Intelligent-Tiering"}:
            raise _filter_error("InvalidFilterValue", f"The following filter value is not valid: {values}. Valid values include: [Standard, Advanced, Intelligent-Tiering].")
        if fkey == "Path" and not all(v.startswith("/") for v in values):
            raise _filter_error("InvalidFilterValue", "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\".")
        tests.append(_one_test(fkey, option, values))
    return lambda doc: all(t(doc) for t in tests)


def _one_test(fkey: str, option: str, values: list[str]) -> Callable[[Doc], bool]:
    def match(actual: str) -> bool:
        if option == "BeginsWith":
            return any(actual.startswith(v) for v in values)
        if option == "Contains":
            return any(v in actual for v in values)
        return actual in values

    if fkey.startswith("tag:"):
        tkey = fkey[4:]
        return lambda d: tkey in (d.get("tags") or {}) and (not values or match(d["tags"][tkey]))
    if fkey == "Label":
        return lambda d: any(lbl in values for lbl in (d.get("labels") or {}))
    if fkey == "Path":
        def in_path(d: Doc) -> bool:
            for v in values:
                base = v.rstrip("/") + "/"
                name = str(d["Name"])
                if name.startswith(base) and (option == "Recursive" or "/" not in name[len(base):]):
                    return True
            return False
        return in_path
    if fkey == "Name":
        if option == "Equals":
            return lambda d: d["Name"] in values or d["Name"].lstrip("/") in [v.lstrip("/") for v in values]
        return lambda d: match(str(d["Name"])) or match(str(d["Name"]).lstrip("/"))
    field = {"Type": "Type", "KeyId": "KeyId", "Tier": "Tier", "DataType": "DataType"}[fkey]
    return lambda d: match(str(d.get(field) or ""))


def _bad_token() -> AwsError:
    return AwsError.modeled("ssm", "InvalidNextToken", "The specified token isn't valid.")


def by_path(txn: Txn, account: str, region: str, p: Doc, now: float) -> tuple[list[Doc], str | None]:
    path: str = p["Path"]
    if not path.startswith("/"):
        raise names.invalid("The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\".")
    if path.count("/") > names.DEPTH_MAX + 1:
        raise AwsError.modeled("ssm", "HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of 15 levels.")
    base = path.rstrip("/") + "/"
    recursive = bool(p.get("Recursive"))
    keep = _matcher(p.get("ParameterFilters") or [], _BY_PATH_KEYS)
    decrypt = bool(p.get("WithDecryption"))
    if public.is_public(base):
        listed = [n for n in public.names() if n.startswith(base) and (recursive or "/" not in n[len(base):])]
        shown, token = paging.page_items(listed, lambda n: n, listing=f"ssm.public/{base}", token=p.get("NextToken"),
                                         limit=p.get("MaxResults"), default_limit=10, max_limit=10,
                                         filters={"r": recursive}, error=_bad_token)
        return [get(txn, account, region, n, decrypt, now) for n in shown], token

    def wanted(d: Doc) -> bool:
        rest = str(d["Name"])[len(base):]
        return _live(d, now) is not None and (recursive or "/" not in rest) and keep(d)

    rows, token = paging.page(txn, PARAMETERS, key(account, region, base), token=p.get("NextToken"),
                              limit=p.get("MaxResults"), default_limit=10, max_limit=10, keep=wanted,
                              filters={"r": recursive, "f": p.get("ParameterFilters"), "d": decrypt}, error=_bad_token)
    return [get(txn, account, region, d["Name"], decrypt, now) for _, d in rows], token


def _meta(doc: Doc) -> Doc:
    out: Doc = {"Name": doc["Name"], "ARN": doc["ARN"], "Type": doc["Type"], "Version": doc["Version"],
                "LastModifiedDate": datetime.fromtimestamp(doc["LastModifiedDate"]).astimezone(),
                "LastModifiedUser": doc["LastModifiedUser"], "Tier": doc["Tier"], "DataType": doc.get("DataType") or "text",
                "Policies": doc.get("Policies") or []}
    for f in ("Description", "AllowedPattern", "KeyId"):
        if doc.get(f) is not None:
            out[f] = doc[f]
    return out


def describe(txn: Txn, account: str, region: str, p: Doc, now: float) -> tuple[list[Doc], str | None]:
    filters = list(p.get("ParameterFilters") or [])
    for f in p.get("Filters") or []:  # the older Filters: Name/Type/KeyId, values Equals (Name: BeginsWith)
        if f["Key"] not in ("Name", "Type", "KeyId"):
            raise _filter_error("InvalidFilterKey", f"The following filter key is not valid: {f['Key']}. Valid filter keys include: [Name, Type, KeyId].")
        if filters:
            raise names.invalid("You can use either Filters or ParameterFilters in a single request.")
        filters.append({"Key": f["Key"], "Option": "BeginsWith" if f["Key"] == "Name" else "Equals", "Values": f["Values"]})
    keep = _matcher(filters, _DESCRIBE_KEYS)
    rows, token = paging.page(txn, PARAMETERS, key(account, region, ""), token=p.get("NextToken"), limit=p.get("MaxResults"),
                              default_limit=10, max_limit=50, keep=lambda d: _live(d, now) is not None and keep(d),
                              filters={"f": filters}, error=_bad_token)
    return [_meta(d) for _, d in rows], token


def history(txn: Txn, account: str, region: str, p: Doc, now: float) -> tuple[list[Doc], str | None]:
    doc = _find(txn, account, region, names.plain_name(p["Name"]), now)
    if doc is None:
        raise _not_found()
    decrypt = bool(p.get("WithDecryption"))
    labels_of: dict[int, list[str]] = {}
    for lbl, v in sorted((doc.get("labels") or {}).items()):
        labels_of.setdefault(int(v), []).append(lbl)
    rows, token = paging.page(txn, VERSIONS, key(account, region, doc["Name"]) + "#", token=p.get("NextToken"),
                              limit=p.get("MaxResults"), default_limit=50, max_limit=50, error=_bad_token)
    out: list[Doc] = []
    for k, ver in rows:
        version = int(k.rsplit("#", 1)[1])
        item = _meta({**ver, "Name": doc["Name"], "ARN": doc["ARN"], "Version": version})
        item.pop("ARN")
        item["Value"] = _shown_value(txn, doc, ver, decrypt)
        item["Labels"] = labels_of.get(version, [])
        out.append(item)
    return out, token


def label(txn: Txn, account: str, region: str, ref: str, version: int | None, wanted: list[str], now: float) -> tuple[list[str], int]:
    """LabelParameterVersion: (InvalidLabels, the version labelled)."""
    doc = _find(txn, account, region, names.plain_name(ref), now)
    if doc is None:
        raise _not_found()
    v = int(doc["Version"]) if version is None else version
    if txn.get(VERSIONS, vkey(account, region, doc["Name"], v)) is None:
        raise AwsError.modeled("ssm", "ParameterVersionNotFound", f"Systems Manager could not find version {v} of {ref}. Verify the version and try again.")
    bad = [lb for lb in wanted if not names.label_ok(lb)]
    labels: dict[str, int] = dict(doc.get("labels") or {})
    good = [lb for lb in dict.fromkeys(wanted) if names.label_ok(lb)]
    after = {**labels, **{lb: v for lb in good}}
    if sum(1 for x in after.values() if x == v) > MAX_LABELS:
        raise AwsError.modeled("ssm", "ParameterVersionLabelLimitExceeded", "An error occurred (ParameterVersionLabelLimitExceeded) when calling the LabelParameterVersion API operation: A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.")
    if not bad:
        doc["labels"] = after
        txn.put(PARAMETERS, key(account, region, doc["Name"]), doc)
        txn.publish(TOPIC, {"key": key(account, region, doc["Name"])})
    return bad, v


def unlabel(txn: Txn, account: str, region: str, ref: str, version: int, gone: list[str], now: float) -> tuple[list[str], list[str]]:
    """UnlabelParameterVersion: (RemovedLabels, InvalidLabels)."""
    doc = _find(txn, account, region, names.plain_name(ref), now)
    if doc is None:
        raise _not_found()
    if txn.get(VERSIONS, vkey(account, region, doc["Name"], version)) is None:
        raise AwsError.modeled("ssm", "ParameterVersionNotFound", f"Systems Manager could not find version {version} of {ref}. Verify the version and try again.")
    labels: dict[str, int] = dict(doc.get("labels") or {})
    removed = [lb for lb in dict.fromkeys(gone) if labels.get(lb) == version]
    invalid = [lb for lb in dict.fromkeys(gone) if lb not in removed]
    for lb in removed:
        del labels[lb]
    doc["labels"] = labels
    txn.put(PARAMETERS, key(account, region, doc["Name"]), doc)
    txn.publish(TOPIC, {"key": key(account, region, doc["Name"])})
    return removed, invalid


class _TagPlace:
    def __init__(self, k: str, doc: Doc) -> None:
        self.k, self.doc = k, doc

    def read(self, txn: Txn) -> dict[str, str]:
        return dict(self.doc.get("tags") or {})

    def write(self, txn: Txn, tag_set: dict[str, str]) -> None:
        self.doc["tags"] = tag_set
        txn.put(PARAMETERS, self.k, self.doc)
        txn.publish(TOPIC, {"key": self.k})


def tag_place(txn: Txn, account: str, region: str, kind: str, ref: str, now: float) -> _TagPlace:
    if kind != "Parameter":
        raise NotImplementedOperation(f"Tags on SSM resources of type {kind} are not implemented by gureum.")
    doc = _find(txn, account, region, names.plain_name(ref), now)
    if doc is None:
        raise AwsError.modeled("ssm", "InvalidResourceId", "The resource ID is not valid. Verify that you entered the correct ID and try again.")
    return _TagPlace(key(account, region, doc["Name"]), doc)


def value_of(txn: Txn, account: str, region: str, ref: str, now: float) -> str:
    """The (decrypted) value `ref` selects, for other services (port.py)."""
    return str(get(txn, account, region, ref, True, now)["Value"])
