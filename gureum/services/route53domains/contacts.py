"""Contacts as Route 53 Domains validates them (RegisterDomain, TransferDomain,
UpdateDomainContact): which fields each contact needs, the phone number format
(+CC.NUMBER), the e-mail syntax, an organization for non-person contacts. Pure functions:
each returns the error messages AWS joins into one InvalidInput "Errors: [...]"."""

from __future__ import annotations

import re
from typing import Any

from gureum.aws.errors import AwsError

PHONE = re.compile(r"^\+\d{1,3}\.\d{4,26}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REQUIRED = ("FirstName", "LastName", "ContactType", "AddressLine1", "City", "CountryCode", "PhoneNumber", "Email")
ROLES = ("AdminContact", "RegistrantContact", "TechContact", "BillingContact")


def problems(role: str, contact: dict[str, Any]) -> list[str]:
    """What is wrong with one contact (`role` names it in the messages)."""
    out = [f"{role}.{f} is required" for f in REQUIRED if not str(contact.get(f) or "").strip()]
    phone = contact.get("PhoneNumber")
    if phone and not PHONE.match(str(phone)):
        out.append(f"{role}.PhoneNumber must be in the format +[country dialing code].[number including any area code]")
    fax = contact.get("Fax")
    if fax and not PHONE.match(str(fax)):
        out.append(f"{role}.Fax must be in the format +[country dialing code].[number including any area code]")
    email = contact.get("Email")
    if email and not EMAIL.match(str(email)):
        out.append(f"{role}.Email is not a valid email address")
    kind = contact.get("ContactType")
    if kind and kind != "PERSON" and not str(contact.get("OrganizationName") or "").strip():
        out.append(f"{role}.OrganizationName is required for contact type {kind}")
    if contact.get("CountryCode") == "US" and contact.get("ZipCode") is None:
        out.append(f"{role}.ZipCode is required for country code US")
    return out


def check(params: dict[str, Any], roles: tuple[str, ...]) -> None:
    """InvalidInput listing every problem of the contacts in `params` named by `roles`
    (those present)."""
    found: list[str] = []
    for role in roles:
        contact = params.get(role)
        if contact is not None:
            found.extend(problems(role, contact))
    if found:
        raise AwsError.modeled("route53domains", "InvalidInput", "Errors: [" + ", ".join(found) + "]")
