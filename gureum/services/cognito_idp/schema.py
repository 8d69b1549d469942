"""A pool's attribute schema: AWS's standard attributes, `custom:` ones from CreateUserPool's
Schema (or AddCustomAttributes), and the checks user attributes get against it (unknown
names, immutable ones, lengths, required ones, read/write rights of an app client)."""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError

STRINGS = ("name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "profile",
           "picture", "website", "email", "gender", "birthdate", "zoneinfo", "locale", "phone_number", "address")
BOOLEANS = ("email_verified", "phone_number_verified")
MAX_CUSTOM = 50


def _std(name: str, kind: str, required: bool = False, mutable: bool = True) -> dict[str, Any]:
    doc: dict[str, Any] = {"Name": name, "AttributeDataType": kind, "DeveloperOnlyAttribute": False,
                           "Mutable": mutable, "Required": required}
    if kind == "String":
        doc["StringAttributeConstraints"] = {"MinLength": "1" if name == "sub" else "0", "MaxLength": "2048"}
    elif kind == "Number":
        doc["NumberAttributeConstraints"] = {"MinValue": "0"}
    return doc


def standard() -> list[dict[str, Any]]:
    """AWS's standard attributes in DescribeUserPool's order."""
    out = [_std("sub", "String", True, False)]
    out += [_std(n, "String") for n in STRINGS[:11]]
    out += [_std("email_verified", "Boolean")]
    out += [_std(n, "String") for n in ("gender", "birthdate", "zoneinfo", "locale", "phone_number")]
    out += [_std("phone_number_verified", "Boolean"), _std("address", "String"), _std("updated_at", "Number")]
    return out


def invalid(message: str) -> AwsError:
    return AwsError.modeled("cognito-idp", "InvalidParameterException", message)


def build(requested: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The pool's full schema from CreateUserPool's `Schema`: standard attributes (a request
    may make one required or immutable) followed by the custom ones, named "custom:<name>"."""
    attrs = {a["Name"]: a for a in standard()}
    customs: list[dict[str, Any]] = []
    for item in requested or []:
        name = item["Name"]
        if name in attrs:
            if name == "sub":
                continue
            if "Required" in item:
                attrs[name]["Required"] = bool(item["Required"])
            if "Mutable" in item:
                attrs[name]["Mutable"] = bool(item["Mutable"])
            continue
        customs.append(custom(item))
    check_customs(customs, [])
    return list(attrs.values()) + customs


def custom(item: dict[str, Any]) -> dict[str, Any]:
    """One custom attribute as DescribeUserPool shows it."""
    name = item["Name"]
    if name.startswith("custom:"):
        name = name[len("custom:"):]
    if not name or len(name) > 20:
        raise invalid("Custom attribute name length must be between 1 and 20 characters.")
    if item.get("Required"):
        raise invalid("Required custom attributes are not supported currently.")
    kind = item.get("AttributeDataType") or "String"
    doc: dict[str, Any] = {"Name": "custom:" + name, "AttributeDataType": kind,
                           "DeveloperOnlyAttribute": bool(item.get("DeveloperOnlyAttribute", False)),
                           "Mutable": bool(item.get("Mutable", True)), "Required": False}
    if kind == "String":
        c = item.get("StringAttributeConstraints") or {}
        doc["StringAttributeConstraints"] = {"MinLength": str(c.get("MinLength", "0")), "MaxLength": str(c.get("MaxLength", "2048"))}
    elif kind == "Number":
        c = item.get("NumberAttributeConstraints") or {}
        doc["NumberAttributeConstraints"] = {k: str(v) for k, v in c.items()}
    return doc


def check_customs(new: list[dict[str, Any]], existing: list[dict[str, Any]]) -> None:
    names = [a["Name"] for a in existing]
    for a in new:
        if a["Name"] in names:
            raise invalid(f"Existing attribute already has name {a['Name']}.")
        names.append(a["Name"])
    if sum(1 for n in names if n.startswith("custom:")) > MAX_CUSTOM:
        raise invalid(f"Too many custom attributes (at most {MAX_CUSTOM}).")


def attribute_map(pairs: list[dict[str, Any]] | None) -> dict[str, str]:
    return {p["Name"]: str(p.get("Value", "")) for p in pairs or []}


def check_values(schema: list[dict[str, Any]], values: dict[str, str], *, creating: bool, admin: bool) -> None:
    """Refuse unknown attributes, changes to immutable ones (after creation), values outside
    a string attribute's lengths or not a number; `sub` is never written by a caller."""
    by_name = {a["Name"]: a for a in schema}
    for name, value in values.items():
        a = by_name.get(name)
        if a is None or name == "sub":
            if name == "sub":
                raise invalid("Cannot modify the non-mutable attribute sub")
            raise invalid(f"Attributes did not conform to the schema: {name}: Attribute does not exist in the schema.")
        if not creating and not a.get("Mutable", True):
            raise invalid(f"Invalid user attributes: {name}: Attribute cannot be updated. (changing an immutable attribute)")
        if a.get("DeveloperOnlyAttribute") and not admin:
            raise invalid(f"Invalid user attributes: {name}: Attribute is developer-only.")
        kind = a.get("AttributeDataType")
        if kind == "String":
            c = a.get("StringAttributeConstraints") or {}
            lo, hi = int(c.get("MinLength", 0) or 0), int(c.get("MaxLength", 2048) or 2048)
            if not lo <= len(value) <= hi:
                raise invalid(f"Invalid user attributes: {name}: String must be no longer than {hi} characters"
                              if len(value) > hi else f"Invalid user attributes: {name}: String must be at least {lo} characters")
        elif kind == "Number":
            try:
                float(value)
            except ValueError:
                raise invalid(f"Invalid user attributes: {name}: Number is expected") from None
        elif kind == "Boolean" and value.lower() not in ("true", "false"):
            raise invalid(f"Invalid user attributes: {name}: Boolean is expected")
    if values.get("email") and "@" not in values["email"]:
        raise invalid("Invalid email address format.")
    if "phone_number" in values and values["phone_number"] and not (values["phone_number"].startswith("+") and values["phone_number"][1:].isdigit()):
        raise invalid("Invalid phone number format.")


def check_required(schema: list[dict[str, Any]], values: dict[str, str]) -> None:
    missing = [a["Name"] for a in schema if a.get("Required") and a["Name"] != "sub" and not values.get(a["Name"])]
    if missing:
        raise invalid("Attributes did not conform to the schema: " + ", ".join(f"{n}: The attribute {n} is required" for n in missing))
