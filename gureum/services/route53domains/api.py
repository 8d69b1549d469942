"""Route 53 Domains handlers: read the parameters, run one model function, shape the answer.
Charges (registrations, renewals) go into the node's usage ledger as well as the registrar's
own billing records (ViewBilling), so `gureum costs` shows them."""

from __future__ import annotations

import time
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.route53domains import dnssec, model, tlds, transfers
from gureum.services.route53domains.settings import DomainsSettings
from gureum.store import Txn

Doc = dict[str, Any]
SERVICE = "route53domains"


def _settings(ctx: RequestContext) -> DomainsSettings:
    if ctx.region != "us-east-1":
        raise AwsError.modeled(SERVICE, "InvalidInput", f"Errors: [Route 53 Domains is available in us-east-1 only, not in {ctx.region}]")
    return ctx.app.settings(DomainsSettings)


def _marker(nxt: str | None) -> Doc:
    return {"NextPageMarker": nxt} if nxt else {}


def _charge(ctx: RequestContext, record: Doc, operation_name: str) -> None:
    name = record["DomainName"]
    kind = {"REGISTER_DOMAIN": "Registration", "RENEW_DOMAIN": "Renewal", "TRANSFER_IN_DOMAIN": "Transfer"}[record["Operation"]]
    ctx.app.ledger.record(ctx.account_id, SERVICE, {
        "service": SERVICE, "region": "global", "resource": name, "operation": operation_name,
        "unit": f"{model.tld_of(name)}-{kind}", "amount": record["Price"], "currency": tlds.currency()})


@operation(SERVICE, "CheckDomainAvailability")
async def check_domain_availability(ctx: RequestContext, params: Doc) -> Doc:
    _settings(ctx)
    avail, name = await ctx.app.store.read(lambda t: model.availability(t, params["DomainName"]))
    out: Doc = {"Availability": avail}
    if avail == "AVAILABLE":
        out["Price"] = {"Price": tlds.prices()[model.tld_of(name)].register, "Currency": tlds.currency(), "PriceType": "STANDARD"}
    return out


@operation(SERVICE, "CheckDomainTransferability")
async def check_domain_transferability(ctx: RequestContext, params: Doc) -> Doc:
    _settings(ctx)

    def run(t: Txn) -> str:
        label, tld = tlds.split(params["DomainName"])
        doc = t.get(model.DOMAINS, f"{label}.{tld}")
        if doc is None or doc["State"] == "PENDING":
            return "UNTRANSFERABLE"
        return "DOMAIN_IN_OWN_ACCOUNT" if doc["Account"] == ctx.account_id else "DOMAIN_IN_ANOTHER_ACCOUNT"

    return {"Transferability": {"Transferable": await ctx.app.store.read(run)}}


@operation(SERVICE, "GetDomainSuggestions")
async def get_domain_suggestions(ctx: RequestContext, params: Doc) -> Doc:
    _settings(ctx)
    count = int(params["SuggestionCount"])
    if not 1 <= count <= 50:
        raise tlds.invalid("Errors: [SuggestionCount must be between 1 and 50]")
    found = await ctx.app.store.read(lambda t: model.suggestions(t, params["DomainName"], count, bool(params["OnlyAvailable"])))
    return {"SuggestionsList": found}


def _price(value: float) -> Doc:
    return {"Price": value, "Currency": tlds.currency()}


@operation(SERVICE, "ListPrices")
async def list_prices(ctx: RequestContext, params: Doc) -> Doc:
    from gureum.aws import paging

    _settings(ctx)
    table = tlds.prices()
    wanted = params.get("Tld")
    if wanted is not None:
        wanted = wanted.lower().lstrip(".")
        if wanted not in table:
            raise tlds.unsupported(wanted)
    items: list[Doc] = [{"Name": p.tld, "RegistrationPrice": _price(p.register), "TransferPrice": _price(p.transfer),
              "RenewalPrice": _price(p.renew), "ChangeOwnershipPrice": _price(p.change_ownership),
              "RestorationPrice": _price(p.restore)}
             for p in sorted(table.values(), key=lambda p: p.tld) if wanted is None or p.tld == wanted]
    page, nxt = paging.page_items(items, lambda d: str(d["Name"]), listing="route53domains.prices", token=params.get("Marker"),
                                  limit=params.get("MaxItems"), default_limit=1000, max_limit=1000, filters={"tld": wanted},
                                  error=lambda: tlds.invalid("Errors: [The marker is invalid.]"))
    return {"Prices": page, **_marker(nxt)}


@operation(SERVICE, "RegisterDomain")
async def register_domain(ctx: RequestContext, params: Doc) -> Doc:
    s = _settings(ctx)
    op_id, record = await ctx.app.store.run(
        lambda t: model.register(t, ctx.account_id, params, time.time(), s.operation_seconds, s.max_domains))
    _charge(ctx, record, "RegisterDomain")
    return {"OperationId": op_id}


@operation(SERVICE, "RenewDomain")
async def renew_domain(ctx: RequestContext, params: Doc) -> Doc:
    s = _settings(ctx)
    op_id, record = await ctx.app.store.run(lambda t: model.renew(t, ctx.account_id, params, time.time(), s.operation_seconds))
    _charge(ctx, record, "RenewDomain")
    return {"OperationId": op_id}


@operation(SERVICE, "GetOperationDetail")
async def get_operation_detail(ctx: RequestContext, params: Doc) -> Doc:
    _settings(ctx)
    return await ctx.app.store.read(lambda t: model.get_operation(t, ctx.account_id, params["OperationId"]))


@operation(SERVICE, "ListOperations")
async def list_operations(ctx: RequestContext, params: Doc) -> Doc:
    _settings(ctx)
    items, nxt = await ctx.app.store.read(lambda t: model.list_operations(t, ctx.account_id, params))
    return {"Operations": items, **_marker(nxt)}


@operation(SERVICE, "ListDomains")
async def list_domains(ctx: RequestContext, params: Doc) -> Doc:
    _settings(ctx)
    items, nxt = await ctx.app.store.read(lambda t: model.list_domains(t, ctx.account_id, params))
    return {"Domains": items, **_marker(nxt)}


@operation(SERVICE, "GetDomainDetail")
async def get_domain_detail(ctx: RequestContext, params: Doc) -> Doc:
    _settings(ctx)
    return await ctx.app.store.read(lambda t: model.detail(model.owned(t, ctx.account_id, params["DomainName"])))


@operation(SERVICE, "UpdateDomainNameservers")
async def update_domain_nameservers(ctx: RequestContext, params: Doc) -> Doc:
    s = _settings(ctx)
    op_id = await ctx.app.store.run(lambda t: model.update_nameservers(t, ctx.account_id, params, time.time(), s.operation_seconds))
    return {"OperationId": op_id}


@operation(SERVICE, "UpdateDomainContact")
async def update_domain_contact(ctx: RequestContext, params: Doc) -> Doc:
    s = _settings(ctx)
    op_id = await ctx.app.store.run(lambda t: model.update_contact(t, ctx.account_id, params, time.time(), s.operation_seconds))
    return {"OperationId": op_id}


@operation(SERVICE, "UpdateDomainContactPrivacy")
async def update_domain_contact_privacy(ctx: RequestContext, params: Doc) -> Doc:
    s = _settings(ctx)
    op_id = await ctx.app.store.run(lambda t: model.update_privacy(t, ctx.account_id, params, time.time(), s.operation_seconds))
    return {"OperationId": op_id}


@operation(SERVICE, "EnableDomainAutoRenew")
async def enable_domain_auto_renew(ctx: RequestContext, params: Doc) -> Doc:
    _settings(ctx)
    await ctx.app.store.run(lambda t: model.set_auto_renew(t, ctx.account_id, params["DomainName"], True, time.time()))
    return {}


@operation(SERVICE, "DisableDomainAutoRenew")
async def disable_domain_auto_renew(ctx: RequestContext, params: Doc) -> Doc:
    _settings(ctx)
    await ctx.app.store.run(lambda t: model.set_auto_renew(t, ctx.account_id, params["DomainName"], False, time.time()))
    return {}


@operation(SERVICE, "EnableDomainTransferLock")
async def enable_domain_transfer_lock(ctx: RequestContext, params: Doc) -> Doc:
    s = _settings(ctx)
    op_id = await ctx.app.store.run(
        lambda t: model.set_transfer_lock(t, ctx.account_id, params["DomainName"], True, time.time(), s.operation_seconds))
    return {"OperationId": op_id}


@operation(SERVICE, "DisableDomainTransferLock")
async def disable_domain_transfer_lock(ctx: RequestContext, params: Doc) -> Doc:
    s = _settings(ctx)
    op_id = await ctx.app.store.run(
        lambda t: model.set_transfer_lock(t, ctx.account_id, params["DomainName"], False, time.time(), s.operation_seconds))
    return {"OperationId": op_id}


@operation(SERVICE, "ViewBilling")
async def view_billing(ctx: RequestContext, params: Doc) -> Doc:
    _settings(ctx)
    items, nxt = await ctx.app.store.read(lambda t: model.view_billing(t, ctx.account_id, params))
    return {"BillingRecords": items, **_marker(nxt)}


@operation(SERVICE, "ListTagsForDomain")
async def list_tags_for_domain(ctx: RequestContext, params: Doc) -> Doc:
    _settings(ctx)
    return {"TagList": await ctx.app.store.read(lambda t: model.list_tags(t, ctx.account_id, params["DomainName"]))}


@operation(SERVICE, "UpdateTagsForDomain")
async def update_tags_for_domain(ctx: RequestContext, params: Doc) -> Doc:
    _settings(ctx)
    await ctx.app.store.run(
        lambda t: model.update_tags(t, ctx.account_id, params["DomainName"], params.get("TagsToUpdate"), None, time.time()))
    return {}


@operation(SERVICE, "DeleteTagsForDomain")
async def delete_tags_for_domain(ctx: RequestContext, params: Doc) -> Doc:
    _settings(ctx)
    await ctx.app.store.run(
        lambda t: model.update_tags(t, ctx.account_id, params["DomainName"], None, params["TagsToDelete"], time.time()))
    return {}


@operation(SERVICE, "DeleteDomain")
async def delete_domain(ctx: RequestContext, params: Doc) -> Doc:
    s = _settings(ctx)
    op_id = await ctx.app.store.run(lambda t: model.delete(t, ctx.account_id, params["DomainName"], time.time(), s.operation_seconds))
    return {"OperationId": op_id}


@operation(SERVICE, "AssociateDelegationSignerToDomain")
async def associate_delegation_signer_to_domain(ctx: RequestContext, params: Doc) -> Doc:
    s = _settings(ctx)
    op_id = await ctx.app.store.run(lambda t: dnssec.associate(
        t, ctx.account_id, params["DomainName"], params["SigningAttributes"], time.time(), s.operation_seconds))
    return {"OperationId": op_id}


@operation(SERVICE, "DisassociateDelegationSignerFromDomain")
async def disassociate_delegation_signer_from_domain(ctx: RequestContext, params: Doc) -> Doc:
    s = _settings(ctx)
    op_id = await ctx.app.store.run(lambda t: dnssec.disassociate(
        t, ctx.account_id, params["DomainName"], params["Id"], time.time(), s.operation_seconds))
    return {"OperationId": op_id}


@operation(SERVICE, "TransferDomainToAnotherAwsAccount")
async def transfer_domain_to_another_aws_account(ctx: RequestContext, params: Doc) -> Doc:
    _settings(ctx)
    op_id, password = await ctx.app.store.run(
        lambda t: transfers.to_account(t, ctx.account_id, params["DomainName"], params["AccountId"], time.time()))
    return {"OperationId": op_id, "Password": password}


@operation(SERVICE, "AcceptDomainTransferFromAnotherAwsAccount")
async def accept_domain_transfer_from_another_aws_account(ctx: RequestContext, params: Doc) -> Doc:
    s = _settings(ctx)
    op_id = await ctx.app.store.run(lambda t: transfers.accept(
        t, ctx.account_id, params["DomainName"], params["Password"], time.time(), s.operation_seconds, s.max_domains))
    return {"OperationId": op_id}


@operation(SERVICE, "RejectDomainTransferFromAnotherAwsAccount")
async def reject_domain_transfer_from_another_aws_account(ctx: RequestContext, params: Doc) -> Doc:
    s = _settings(ctx)
    op_id = await ctx.app.store.run(lambda t: transfers.reject(t, ctx.account_id, params["DomainName"], time.time(), s.operation_seconds))
    return {"OperationId": op_id}


@operation(SERVICE, "CancelDomainTransferToAnotherAwsAccount")
async def cancel_domain_transfer_to_another_aws_account(ctx: RequestContext, params: Doc) -> Doc:
    _settings(ctx)
    return {"OperationId": await ctx.app.store.run(lambda t: transfers.cancel(t, ctx.account_id, params["DomainName"], time.time()))}


@operation(SERVICE, "RetrieveDomainAuthCode")
async def retrieve_domain_auth_code(ctx: RequestContext, params: Doc) -> Doc:
    _settings(ctx)
    return {"AuthCode": await ctx.app.store.run(lambda t: transfers.auth_code(t, ctx.account_id, params["DomainName"], time.time()))}


@operation(SERVICE, "TransferDomain")
async def transfer_domain(ctx: RequestContext, params: Doc) -> Doc:
    s = _settings(ctx)
    op_id, record = await ctx.app.store.run(
        lambda t: transfers.transfer_in(t, ctx.account_id, params, time.time(), s.operation_seconds, s.max_domains))
    _charge(ctx, record, "TransferDomain")
    return {"OperationId": op_id}
