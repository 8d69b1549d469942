"""Cross-account VPC associations: the zone owner authorizes another account's VPC
(Create/Delete/ListVPCAssociationAuthorizations), then the VPC's account associates it
(AssociateVPCWithHostedZone on a zone it does not own), as AWS does.

gureum has no VPCs of its own, so a VPC belongs to the account that names it: a request
from account B about VPC v and a zone of account A is "B's VPC v". The zone owner may
always associate its own VPCs (model.associate_vpc).

Tables:
  route53.vpcauths {zone account}/{zone id}/{vpc region}/{vpc id}  {"VPC": {...}}: an
                   authorization (at most MAX_AUTHORIZATIONS per zone)
  route53.vpclinks {vpc account}/{zone id}/{vpc region}/{vpc id}   {"ZoneAccount": ...}: an
                   association made by the VPC's account with another account's zone (what
                   ListHostedZonesByVPC shows it, and lets it disassociate); a link whose zone
                   is gone or no longer has the VPC is ignored.
Associating does not consume the authorization (AWS recommends deleting it afterwards);
deleting one never disassociates.
"""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.route53 import model, paging
from gureum.store import Txn

AUTHS = "route53.vpcauths"
LINKS = "route53.vpclinks"
MAX_AUTHORIZATIONS = 100


def _vpc_key(vpc: dict[str, Any]) -> str:
    return f"{vpc['VPCRegion']}/{vpc['VPCId']}"


def _check_vpc(vpc: dict[str, Any]) -> dict[str, str]:
    if not vpc.get("VPCId") or not vpc.get("VPCRegion"):
        raise AwsError.modeled("route53", "InvalidVPCId", "The VPC ID and region must both be specified.")
    return {"VPCRegion": vpc["VPCRegion"], "VPCId": vpc["VPCId"]}


def _private_zone(txn: Txn, account: str, zone_id: str) -> dict[str, Any]:
    zone = model.get_zone(txn, account, zone_id)
    if not zone["Config"].get("PrivateZone"):
        raise AwsError.modeled("route53", "InvalidInput", "The hosted zone is a public hosted zone: VPC associations apply only to private hosted zones.")
    return zone


def authorize(txn: Txn, account: str, zone_id: str, vpc: dict[str, Any]) -> dict[str, Any]:
    """CreateVPCAssociationAuthorization (by the zone's owner)."""
    zone = _private_zone(txn, account, zone_id)
    vpc = _check_vpc(vpc)
    zid = model.bare_id(zone["Id"])
    key = f"{account}/{zid}/{_vpc_key(vpc)}"
    if txn.get(AUTHS, key) is None and txn.count(AUTHS, f"{account}/{zid}/") >= MAX_AUTHORIZATIONS:
        raise AwsError.modeled("route53", "TooManyVPCAssociationAuthorizations",
                               f"You've created the maximum number of authorizations ({MAX_AUTHORIZATIONS}) for the hosted zone {zid}.")
    txn.put(AUTHS, key, {"VPC": vpc})
    return {"HostedZoneId": zid, "VPC": vpc}


def deauthorize(txn: Txn, account: str, zone_id: str, vpc: dict[str, Any]) -> None:
    """DeleteVPCAssociationAuthorization (an existing association stays)."""
    zone = model.get_zone(txn, account, zone_id)
    vpc = _check_vpc(vpc)
    key = f"{account}/{model.bare_id(zone['Id'])}/{_vpc_key(vpc)}"
    if txn.get(AUTHS, key) is None:
        raise AwsError.modeled("route53", "VPCAssociationAuthorizationNotFound",
                               f"The VPC {vpc['VPCId']} in {vpc['VPCRegion']} is not authorized to be associated with the hosted zone {model.bare_id(zone['Id'])}.")
    txn.delete(AUTHS, key)


def list_authorizations(txn: Txn, account: str, zone_id: str, params: dict[str, Any]) -> dict[str, Any]:
    zone = model.get_zone(txn, account, zone_id)
    zid = model.bare_id(zone["Id"])
    vpcs = [doc["VPC"] for _k, doc in txn.scan(AUTHS, f"{account}/{zid}/")]
    page, token, _ = paging.page(vpcs, _vpc_key, f"route53.vpcauths/{account}/{zid}", params, "MaxResults", 50, 50,
                                 "InvalidPaginationToken")
    out: dict[str, Any] = {"HostedZoneId": zid, "VPCs": page}
    if token:
        out["NextToken"] = token
    return out


def _owner_of(txn: Txn, zone_id: str) -> str | None:
    """The account that owns a hosted zone id (ids are unique across accounts)."""
    zid = model.bare_id(zone_id)
    for key, zone in txn.scan(model.ZONES):
        if key.endswith("/" + zid):
            return str(zone.get("Account") or key.split("/", 1)[0])
    return None


def associate(txn: Txn, account: str, zone_id: str, vpc: dict[str, Any], comment: str | None) -> dict[str, Any]:
    """AssociateVPCWithHostedZone: the caller's own zone, or another account's zone that
    authorized this VPC (else NotAuthorizedException, as AWS answers)."""
    zid = model.bare_id(zone_id)
    if txn.get(model.ZONES, model.zone_key(account, zid)) is not None:
        return model.associate_vpc(txn, account, zid, vpc, comment)
    owner = _owner_of(txn, zid)
    if owner is None:
        raise AwsError.modeled("route53", "NoSuchHostedZone", f"No hosted zone found with ID: {zid}")
    vpc = _check_vpc(vpc)
    if txn.get(AUTHS, f"{owner}/{zid}/{_vpc_key(vpc)}") is None:
        raise AwsError.modeled("route53", "NotAuthorizedException",
                               "The VPC that you're trying to associate with the hosted zone isn't authorized: the account that created the hosted zone must first submit a CreateVPCAssociationAuthorization request.")
    change = model.associate_vpc(txn, owner, zid, vpc, comment)
    txn.put(LINKS, f"{account}/{zid}/{_vpc_key(vpc)}", {"ZoneAccount": owner})
    return change


def disassociate(txn: Txn, account: str, zone_id: str, vpc: dict[str, Any], comment: str | None) -> dict[str, Any]:
    """DisassociateVPCFromHostedZone, by the zone's account or by the VPC's."""
    zid = model.bare_id(zone_id)
    if txn.get(model.ZONES, model.zone_key(account, zid)) is not None:
        return model.disassociate_vpc(txn, account, zid, vpc, comment)
    vpc = _check_vpc(vpc)
    key = f"{account}/{zid}/{_vpc_key(vpc)}"
    link = txn.get(LINKS, key)
    if link is None or txn.get(model.ZONES, model.zone_key(link["ZoneAccount"], zid)) is None:
        raise AwsError.modeled("route53", "NoSuchHostedZone", f"No hosted zone found with ID: {zid}")
    change = model.disassociate_vpc(txn, link["ZoneAccount"], zid, vpc, comment)
    txn.delete(LINKS, key)
    return change


def zones_for_vpc(txn: Txn, account: str, vpc: dict[str, str]) -> list[tuple[dict[str, Any], str]]:
    """(zone, owning account) of every zone associated with the VPC as `account` sees it:
    its own zones, then other accounts' zones it associated its VPC with."""
    def has(zone: dict[str, Any]) -> bool:
        return any(v.get("VPCId") == vpc["VPCId"] and v.get("VPCRegion") == vpc["VPCRegion"] for v in zone.get("VPCs", []))

    out = [(z, account) for z in model.list_zones(txn, account) if has(z)]
    for key, link in txn.scan(LINKS, f"{account}/"):
        _acct, zid, region, vpc_id = key.split("/", 3)
        if (region, vpc_id) != (vpc["VPCRegion"], vpc["VPCId"]):
            continue
        zone = txn.get(model.ZONES, model.zone_key(link["ZoneAccount"], zid))
        if zone is not None and has(zone):
            out.append((zone, link["ZoneAccount"]))
    return out
