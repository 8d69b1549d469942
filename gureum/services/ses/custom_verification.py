"""Custom verification email templates (SES v1 and v2 share them, as in AWS): the mail that
verifies an email address identity in the account's own words, and where its link sends the
reader afterwards.

Table ses_custom_verification: "{account}/{region}/{name}" -> {"TemplateName",
"FromEmailAddress", "TemplateSubject", "TemplateContent", "SuccessRedirectionURL",
"FailureRedirectionURL", "Tags" (v2's [{Key, Value}])}.

Rules (AWS's): 50 templates per account and Region; content up to 10 MB; the From address must
be a verified address (or at a verified domain) of the account when the template is written and
when it is sent; sending needs production access (the sandbox refuses it). A send starts (or
restarts) verifying the address as VerifyEmailIdentity does and mails the template's content
with the verification link added at the end of its body (before </body> when it has one); the
link (outbound.VERIFY_PATH, naming the template) redirects to SuccessRedirectionURL once the
address is confirmed, to FailureRedirectionURL when the link is not valid (inspect_http.py).

Errors are each API's own: v1 CustomVerificationEmailTemplateAlreadyExists / DoesNotExist,
FromEmailAddressNotVerified, CustomVerificationEmailInvalidContent, LimitExceeded,
ProductionAccessNotGranted; v2 AlreadyExistsException, NotFoundException,
BadRequestException, LimitExceededException, MessageRejected."""

from __future__ import annotations

import html
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.ses import identities
from gureum.store import Txn

TABLE = "ses_custom_verification"
MAX_TEMPLATES = 50
MAX_CONTENT = 10 * 1024 * 1024
FIELDS = ("TemplateName", "FromEmailAddress", "TemplateSubject", "TemplateContent", "SuccessRedirectionURL",
          "FailureRedirectionURL")


def _key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def _error(service: str, v1: str, v2: str, message: str) -> AwsError:
    return AwsError.modeled(service, v1 if service == "ses" else v2, message)


def missing(service: str, name: str) -> AwsError:
    return _error(service, "CustomVerificationEmailTemplateDoesNotExistException", "NotFoundException",
                  f"Custom verification email template {name} does not exist.")


def unverified_from(service: str, address: str, *, sending: bool = False) -> AwsError:
    message = f"From email address {address} is not verified."
    if service == "ses":
        return AwsError.modeled(service, "FromEmailAddressNotVerifiedException", message)
    return AwsError.modeled(service, "MessageRejected" if sending else "BadRequestException", message)


def _check(txn: Txn, account: str, region: str, doc: dict[str, Any], service: str) -> None:
    if len(str(doc.get("TemplateContent") or "").encode()) > MAX_CONTENT:
        raise _error(service, "CustomVerificationEmailInvalidContentException", "BadRequestException",
                     "The template content exceeds the maximum size of 10 MB.")
    sender = str(doc["FromEmailAddress"])
    if not identities.verified(txn, account, region, sender):
        raise unverified_from(service, sender)


def get(txn: Txn, account: str, region: str, name: str, service: str) -> dict[str, Any]:
    doc = txn.get(TABLE, _key(account, region, name))
    if doc is None:
        raise missing(service, name)
    return doc


def create(txn: Txn, account: str, region: str, p: dict[str, Any], service: str) -> None:
    doc = {k: p[k] for k in FIELDS if k in p}
    doc["Tags"] = list(p.get("Tags") or [])
    _check(txn, account, region, doc, service)
    if txn.count(TABLE, f"{account}/{region}/") >= MAX_TEMPLATES:
        raise _error(service, "LimitExceededException", "LimitExceededException",
                     f"Maximum number of custom verification email templates ({MAX_TEMPLATES}) exceeded.")
    if not txn.insert(TABLE, _key(account, region, doc["TemplateName"]), doc):
        raise _error(service, "CustomVerificationEmailTemplateAlreadyExistsException", "AlreadyExistsException",
                     f"Custom verification email template {doc['TemplateName']} already exists.")


def update(txn: Txn, account: str, region: str, p: dict[str, Any], service: str) -> None:
    doc = get(txn, account, region, p["TemplateName"], service)
    new = {**doc, **{k: p[k] for k in FIELDS if p.get(k) is not None}}
    _check(txn, account, region, new, service)
    txn.put(TABLE, _key(account, region, doc["TemplateName"]), new)


def delete(txn: Txn, account: str, region: str, name: str, service: str) -> None:
    """v1 answers success for a template that does not exist (it models no error); v2 NotFound."""
    if not txn.delete(TABLE, _key(account, region, name)) and service != "ses":
        raise missing(service, name)


def listing(txn: Txn, account: str, region: str) -> list[dict[str, Any]]:
    return [doc for _, doc in txn.scan(TABLE, f"{account}/{region}/")]


def find(txn: Txn, account: str, region: str, name: str) -> dict[str, Any] | None:
    return txn.get(TABLE, _key(account, region, name))


def with_link(content: str, link: str) -> str:
    """The template's content with the verification link added at the end of its body."""
    shown = html.escape(link)
    anchor = f'<p><a href="{shown}">{shown}</a></p>'
    at = content.lower().rfind("</body>")
    return content[:at] + anchor + content[at:] if at >= 0 else content + anchor
