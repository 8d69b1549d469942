"""SNS SMS operations: account SMS attributes, sandbox destination numbers, opt-outs and
origination numbers (sms.py)."""

from __future__ import annotations

import time
from typing import Any

from gureum.aws import paging
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.sns import sms
from gureum.services.sns.settings import SnsSettings


def _bad_token() -> AwsError:
    return AwsError.modeled("sns", "InvalidParameter", "Invalid parameter: NextToken")


@operation("sns", "SetSMSAttributes")
async def set_sms_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: sms.set_attributes(t, ctx.account_id, ctx.region, params["attributes"]))
    return {}


@operation("sns", "GetSMSAttributes")
async def get_sms_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    found = await ctx.app.store.read(lambda t: sms.get_attributes(t, ctx.account_id, ctx.region, params.get("attributes")))
    return {"attributes": found}


@operation("sns", "GetSMSSandboxAccountStatus")
async def get_sms_sandbox_account_status(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"IsInSandbox": ctx.app.settings(SnsSettings).sms_sandbox}


@operation("sns", "CreateSMSSandboxPhoneNumber")
async def create_sms_sandbox_phone_number(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Any) -> None:
        sms.create_sandbox_number(t, ctx.account_id, ctx.region, params["PhoneNumber"], params.get("LanguageCode") or "en-US",
                                  time.time())

    await ctx.app.store.run(txn)
    return {}


@operation("sns", "VerifySMSSandboxPhoneNumber")
async def verify_sms_sandbox_phone_number(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Any) -> None:
        sms.verify_sandbox_number(t, ctx.account_id, ctx.region, params["PhoneNumber"], params["OneTimePassword"], time.time())

    try:
        await ctx.app.store.run(txn)
    except AwsError as err:
        if err.code != "VerificationException":
            raise
        # the failed attempt counts (24-hour rule): recorded, then the error
        await ctx.app.store.run(lambda t: sms.note_attempt(t, ctx.account_id, ctx.region, params["PhoneNumber"], time.time()))
        raise
    return {}


@operation("sns", "DeleteSMSSandboxPhoneNumber")
async def delete_sms_sandbox_phone_number(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: sms.delete_sandbox_number(t, ctx.account_id, ctx.region, params["PhoneNumber"], time.time()))
    return {}


@operation("sns", "ListSMSSandboxPhoneNumbers")
async def list_sms_sandbox_phone_numbers(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Any) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        return paging.page(t, sms.SANDBOX, sms.sandbox_prefix(ctx.account_id, ctx.region), token=params.get("NextToken"),
                           limit=params.get("MaxResults"), default_limit=100, max_limit=100, error=_bad_token)

    rows, token = await ctx.app.store.read(txn)
    items = [{"PhoneNumber": k.rsplit("/", 1)[1], "Status": d["Status"]} for k, d in rows]
    return {"PhoneNumbers": items, **({"NextToken": token} if token else {})}


@operation("sns", "CheckIfPhoneNumberIsOptedOut")
async def check_if_phone_number_is_opted_out(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    number = sms.check_number(params["phoneNumber"], "phoneNumber")
    return {"isOptedOut": await ctx.app.store.read(lambda t: sms.is_opted_out(t, ctx.account_id, ctx.region, number))}


@operation("sns", "ListPhoneNumbersOptedOut")
async def list_phone_numbers_opted_out(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Any) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        return paging.page(t, sms.OPT_OUTS, sms.opted_out_prefix(ctx.account_id, ctx.region), token=params.get("nextToken"),
                           limit=None, default_limit=100, keep=lambda d: bool(d.get("opted_out")), error=_bad_token)

    rows, token = await ctx.app.store.read(txn)
    return {"phoneNumbers": [k.rsplit("/", 1)[1] for k, _ in rows], **({"nextToken": token} if token else {})}


@operation("sns", "OptInPhoneNumber")
async def opt_in_phone_number(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    number = sms.check_number(params["phoneNumber"], "phoneNumber")
    await ctx.app.store.run(lambda t: sms.opt_in(t, ctx.account_id, ctx.region, number, time.time()))
    return {}


@operation("sns", "ListOriginationNumbers")
async def list_origination_numbers(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # gureum leases no toll-free, 10DLC or short-code numbers: an account has none, as an
    # AWS account that requested none (a token can only be one this listing never gave).
    if params.get("NextToken"):
        raise AwsError.modeled("sns", "InvalidParameter", "Invalid parameter: NextToken")
    return {"PhoneNumbers": []}
