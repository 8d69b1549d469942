"""Route 53's errors, one class per AWS error code (status codes from the botocore model)."""

from __future__ import annotations

from gureum.aws.errors import AwsError


class NoSuchHostedZone(AwsError):
    code, status = "NoSuchHostedZone", 404

    def __init__(self, zone_id: str) -> None:
        super().__init__(message=f"No hosted zone found with ID: {zone_id}")


class NoSuchChange(AwsError):
    code, status = "NoSuchChange", 404

    def __init__(self, change_id: str) -> None:
        super().__init__(message=f"A change with the specified change ID does not exist: {change_id}")


class InvalidInput(AwsError):
    code, status = "InvalidInput", 400


class InvalidDomainName(AwsError):
    code, status = "InvalidDomainName", 400


class InvalidChangeBatch(AwsError):
    """The batch failed validation; AWS lists every problem in `messages`, and the message
    is that list in brackets ("[Tried to create … but it already exists]"), except for the
    CNAME rules, which AWS reports alone and bare."""

    code, status = "InvalidChangeBatch", 400

    def __init__(self, messages: list[str], bare: bool = False) -> None:
        text = messages[0] if bare else "[" + ", ".join(messages) + "]"
        super().__init__(message=text, messages=list(messages))


class HostedZoneAlreadyExists(AwsError):
    code, status = "HostedZoneAlreadyExists", 409


class HostedZoneNotEmpty(AwsError):
    code, status = "HostedZoneNotEmpty", 400
    message = "The specified hosted zone contains non-required resource record sets and so cannot be deleted."


class TooManyHostedZones(AwsError):
    code, status = "TooManyHostedZones", 400


class NoSuchDelegationSet(AwsError):
    code, status = "NoSuchDelegationSet", 400


class DelegationSetAlreadyCreated(AwsError):
    code, status = "DelegationSetAlreadyCreated", 400
    message = "A delegation set has already been created with the specified caller reference."


class DelegationSetInUse(AwsError):
    code, status = "DelegationSetInUse", 400


class DelegationSetNotReusable(AwsError):
    code, status = "DelegationSetNotReusable", 400


class ConflictingDomainExists(AwsError):
    code, status = "ConflictingDomainExists", 400


class InvalidVPCId(AwsError):
    code, status = "InvalidVPCId", 400


class PublicZoneVPCAssociation(AwsError):
    code, status = "PublicZoneVPCAssociation", 400
    message = "You're trying to associate a VPC with a public hosted zone. Amazon Route 53 doesn't support associating a VPC with a public hosted zone."


class VPCAssociationNotFound(AwsError):
    code, status = "VPCAssociationNotFound", 404


class LastVPCAssociation(AwsError):
    code, status = "LastVPCAssociation", 400
    message = (
        "The VPC that you're trying to disassociate from the private hosted zone is the last VPC that is "
        "associated with the hosted zone. Amazon Route 53 doesn't support disassociating the last VPC from a hosted zone."
    )


class HostedZoneNotPrivate(AwsError):
    code, status = "HostedZoneNotPrivate", 400


class NoSuchHealthCheck(AwsError):
    code, status = "NoSuchHealthCheck", 404


class LimitsExceeded(AwsError):
    code, status = "LimitsExceeded", 400


class InvalidPaginationToken(AwsError):
    code, status = "InvalidPaginationToken", 400


class NoSuchCidrCollection(AwsError):
    code, status = "NoSuchCidrCollectionException", 404
    message = "The CIDR collection you specified, doesn't exist."


class NoSuchCidrLocation(AwsError):
    code, status = "NoSuchCidrLocationException", 404
    message = "The CIDR collection location doesn't match any location in your account."


class CidrCollectionAlreadyExists(AwsError):
    code, status = "CidrCollectionAlreadyExistsException", 400


class CidrCollectionVersionMismatch(AwsError):
    code, status = "CidrCollectionVersionMismatchException", 409
    message = "The CIDR collection version you provided, doesn't match the one in the ListCidrCollections operation."


class CidrCollectionInUse(AwsError):
    code, status = "CidrCollectionInUseException", 400
    message = "This CIDR collection is in use, and isn't empty."


class CidrBlockInUse(AwsError):
    code, status = "CidrBlockInUseException", 400


class HealthCheckAlreadyExists(AwsError):
    code, status = "HealthCheckAlreadyExists", 409


class HealthCheckVersionMismatch(AwsError):
    code, status = "HealthCheckVersionMismatch", 409
    message = "The value of HealthCheckVersion in the request doesn't match the value of HealthCheckVersion in the health check."


class TooManyHealthChecks(AwsError):
    code, status = "TooManyHealthChecks", 400


class HealthCheckInUse(AwsError):
    code, status = "HealthCheckInUse", 400
