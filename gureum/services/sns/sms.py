"""SNS text messages (SMS): account SMS attributes, Publish to a phone number, the SMS sandbox's
destination numbers with their one-time passwords, and opt-outs. gureum reaches no carrier:
every message is recorded (outbox.py, GET /_gureum/sns/messages) with the delivery status AWS
would log for it: SUCCESS, or FAILURE with the provider's response when the number is opted
out, or when the account is in the SMS sandbox (the `sns.sms_sandbox` setting) and the number
is not a verified sandbox number. As in AWS, Publish itself succeeds either way.

Tables (per account and region, as AWS keeps them):
- `sns_sms_attributes`, key `<account>/<region>`: {attribute: value} (SetSMSAttributes).
- `sns_sms_sandbox`, key `<account>/<region>/<phone number>`: {"Status": "Pending" |
  "Verified", "otp", "created", "attempted" (time of the last verification attempt or None),
  "sent": [times an OTP was sent]}: CreateSMSSandboxPhoneNumber again sends a new OTP, at most
  MAX_OTP_SENDS times in 24 hours (AWS), else Throttled.
  At most MAX_SANDBOX_NUMBERS numbers; one may be deleted only when no verification was tried,
  or DELETE_AFTER seconds after the last attempt (AWS: 24 hours).
- `sns_sms_opt_outs`, key `<account>/<region>/<phone number>`: {"opted_out": bool,
  "since", "opted_in" (time of the last OptInPhoneNumber or None)}. A number opts out by
  replying one of AWS's opt-out keywords (STOP, ...) to a message (the handset's reply is
  POSTed to /_gureum/sns/sms-replies, inspect_http.py); OptInPhoneNumber opts it back in, at
  most once every 30 days per number (AWS), else InvalidParameter.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.sns import outbox
from gureum.store.base import Txn

ATTRIBUTES = "sns_sms_attributes"
SANDBOX = "sns_sms_sandbox"
OPT_OUTS = "sns_sms_opt_outs"
SMS_ATTRIBUTES = ("MonthlySpendLimit", "DeliveryStatusIAMRole", "DeliveryStatusSuccessSamplingRate", "DefaultSenderID",
                  "DefaultSMSType", "UsageReportS3Bucket")
MAX_SANDBOX_NUMBERS = 10
MAX_OTP_SENDS = 5  # one-time passwords sent to one number per OTP_WINDOW (AWS)
OTP_WINDOW = 24 * 3600
DELETE_AFTER = 24 * 3600
OPT_IN_EVERY = 30 * 24 * 3600
OPT_OUT_KEYWORDS = ("ARRET", "CANCEL", "END", "OPT-OUT", "OPTOUT", "QUIT", "REMOVE", "STOP", "TD", "UNSUBSCRIBE")
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_SENDER_ID = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9-]{1,11}")
OTP_MESSAGE = "Your Amazon SNS verification code is: {otp}"  # the recorded OTP message


def _invalid(reason: str) -> AwsError:
    return AwsError.modeled("sns", "InvalidParameter", f"Invalid parameter: {reason}")


def check_number(number: str, param: str = "PhoneNumber") -> str:
    """An E.164 number ("+" and up to 15 digits)."""
    if not _E164.fullmatch(number):
        raise _invalid(f"{param} Reason: {number} is not valid")
    return number


# -- account attributes ------------------------------------------------------------------------

def set_attributes(txn: Txn, account: str, region: str, attrs: dict[str, str]) -> None:
    for k, v in attrs.items():
        if k not in SMS_ATTRIBUTES:
            raise _invalid(f"{k} Reason: unknown attribute")
        if k == "DefaultSMSType" and v not in ("Promotional", "Transactional"):
            raise _invalid(f"DefaultSMSType Reason: {v} is not one of Promotional, Transactional")
        if k == "MonthlySpendLimit" and not (v.isascii() and v.isdigit()):
            raise _invalid("MonthlySpendLimit Reason: must be a whole number of US dollars")
        if k == "DeliveryStatusSuccessSamplingRate" and not (v.isascii() and v.isdigit() and 0 <= int(v) <= 100):
            raise _invalid("DeliveryStatusSuccessSamplingRate Reason: must be a whole number from 0 to 100")
        if k == "DefaultSenderID" and v and not _SENDER_ID.fullmatch(v):
            raise _invalid("DefaultSenderID Reason: 1-11 letters, numbers and hyphens, at least one letter")
    key = f"{account}/{region}"
    txn.put(ATTRIBUTES, key, {**(txn.get(ATTRIBUTES, key) or {}), **attrs})


def get_attributes(txn: Txn, account: str, region: str, names: list[str] | None) -> dict[str, str]:
    have = dict(txn.get(ATTRIBUTES, f"{account}/{region}") or {})
    return {k: v for k, v in have.items() if not names or k in names}


# -- opt-outs ----------------------------------------------------------------------------------

def is_opted_out(txn: Txn, account: str, region: str, number: str) -> bool:
    return bool((txn.get(OPT_OUTS, f"{account}/{region}/{number}") or {}).get("opted_out"))


def reply(txn: Txn, account: str, region: str, number: str, text: str, now: float) -> bool:
    """A handset's reply; an opt-out keyword opts the number out. Returns whether it did."""
    if text.strip().upper() not in OPT_OUT_KEYWORDS:
        return False
    key = f"{account}/{region}/{number}"
    txn.put(OPT_OUTS, key, {**(txn.get(OPT_OUTS, key) or {}), "opted_out": True, "since": now})
    return True


def opt_in(txn: Txn, account: str, region: str, number: str, now: float) -> None:
    key = f"{account}/{region}/{number}"
    doc = txn.get(OPT_OUTS, key)
    if doc is None or not doc.get("opted_out"):
        return
    last = doc.get("opted_in")
    if last is not None and now - float(last) < OPT_IN_EVERY:
        raise _invalid("phoneNumber Reason: a phone number can be opted in only once every 30 days")
    txn.put(OPT_OUTS, key, {**doc, "opted_out": False, "opted_in": now})


def opted_out_prefix(account: str, region: str) -> str:
    return f"{account}/{region}/"


# -- sending -----------------------------------------------------------------------------------

def send(txn: Txn, account: str, region: str, number: str, message: str, attrs: dict[str, Any],
         in_sandbox: bool, purpose: str = "Publish", message_id: str | None = None) -> str:
    """Publish to `number`: recorded with its delivery status; returns the message id."""
    defaults = get_attributes(txn, account, region, None)

    def attr(name: str) -> str | None:
        value = (attrs.get(name) or {}).get("StringValue")
        return str(value) if value is not None else None

    sms_type = attr("AWS.SNS.SMS.SMSType") or defaults.get("DefaultSMSType") or "Promotional"
    if sms_type not in ("Promotional", "Transactional"):
        raise AwsError.modeled("sns", "ParameterValueInvalid",
                               "The message attribute 'AWS.SNS.SMS.SMSType' has an invalid value.")
    status, response = "SUCCESS", "Message has been accepted by phone carrier"
    verified = (txn.get(SANDBOX, f"{account}/{region}/{number}") or {}).get("Status") == "Verified"
    if is_opted_out(txn, account, region, number):
        status, response = "FAILURE", "Phone is currently opted out"
    elif in_sandbox and purpose == "Publish" and not verified:
        status, response = "FAILURE", "Destination phone number is not verified in the SMS sandbox"
    doc: dict[str, Any] = {"Kind": "sms", "PhoneNumber": number, "Message": message, "SMSType": sms_type,
                           "Purpose": purpose, "Status": status, "ProviderResponse": response}
    if message_id:
        doc["MessageId"] = message_id
    sender = attr("AWS.SNS.SMS.SenderID") or defaults.get("DefaultSenderID")
    if sender:
        doc["SenderID"] = sender
    origination = attr("AWS.MM.SMS.OriginationNumber")
    if origination:
        doc["OriginationNumber"] = origination
    return outbox.record(txn, account, region, doc)


# -- sandbox destination numbers ---------------------------------------------------------------

def create_sandbox_number(txn: Txn, account: str, region: str, number: str, language: str, now: float) -> None:
    """Add a destination number (Pending) and send it a one-time password."""
    check_number(number)
    if is_opted_out(txn, account, region, number):
        raise AwsError.modeled("sns", "OptedOut", "Phone number is opted out.")
    key = f"{account}/{region}/{number}"
    old = txn.get(SANDBOX, key)
    if old is not None and old["Status"] == "Verified":
        raise AwsError.modeled("sns", "UserError", "Phone number is already verified.")
    if old is None and txn.count(SANDBOX, f"{account}/{region}/") >= MAX_SANDBOX_NUMBERS:
        raise AwsError.modeled("sns", "UserError",
                               f"You have reached the limit of {MAX_SANDBOX_NUMBERS} sandbox destination phone numbers.")
    sent = [t for t in (old or {}).get("sent", []) if now - float(t) < OTP_WINDOW]
    if len(sent) >= MAX_OTP_SENDS:
        raise AwsError.modeled("sns", "Throttled", f"The one-time password can be sent to a number at most "
                               f"{MAX_OTP_SENDS} times every 24 hours.")
    otp = f"{secrets.randbelow(10**6):06d}"
    txn.put(SANDBOX, key, {"Status": "Pending", "otp": otp, "created": now, "attempted": (old or {}).get("attempted"),
                           "language": language, "sent": [*sent, now]})
    send(txn, account, region, number, OTP_MESSAGE.format(otp=otp), {}, False, purpose="SandboxVerification")


def verify_sandbox_number(txn: Txn, account: str, region: str, number: str, otp: str, now: float) -> None:
    key = f"{account}/{region}/{number}"
    doc = txn.get(SANDBOX, key)
    if doc is None:
        raise AwsError.modeled("sns", "ResourceNotFound", "Phone number does not exist in the sandbox.")
    if doc["Status"] == "Verified":
        return
    if not secrets.compare_digest(str(doc["otp"]), otp):  # the caller records the attempt (note_attempt)
        raise AwsError.modeled("sns", "VerificationException", "Invalid one-time password.", Status="Pending")
    txn.put(SANDBOX, key, {**doc, "attempted": now, "Status": "Verified"})


def note_attempt(txn: Txn, account: str, region: str, number: str, now: float) -> None:
    """A failed verification attempt: the 24-hour deletion rule counts from it."""
    key = f"{account}/{region}/{number}"
    doc = txn.get(SANDBOX, key)
    if doc is not None:
        txn.put(SANDBOX, key, {**doc, "attempted": now})


def delete_sandbox_number(txn: Txn, account: str, region: str, number: str, now: float) -> None:
    key = f"{account}/{region}/{number}"
    doc = txn.get(SANDBOX, key)
    if doc is None:
        raise AwsError.modeled("sns", "ResourceNotFound", "Phone number does not exist in the sandbox.")
    attempted = doc.get("attempted")
    if attempted is not None and now - float(attempted) < DELETE_AFTER:
        raise AwsError.modeled("sns", "UserError", "A destination phone number can be deleted only 24 hours "
                               "after its verification or its last verification attempt.")
    txn.delete(SANDBOX, key)


def sandbox_prefix(account: str, region: str) -> str:
    return f"{account}/{region}/"
