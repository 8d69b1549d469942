"""IAM's error codes (botocore's iam model gives each its HTTP status)."""

from __future__ import annotations

from gureum.aws.errors import AwsError


class IamError(AwsError):
    """An IAM error raised with just its message: `NoSuchEntity("The user ...")`."""

    def __init__(self, message: str) -> None:
        super().__init__(None, message)


class NoSuchEntity(IamError):
    code, status = "NoSuchEntity", 404


class EntityAlreadyExists(IamError):
    code, status = "EntityAlreadyExists", 409


class DeleteConflict(IamError):
    code, status = "DeleteConflict", 409


class LimitExceeded(IamError):
    code, status = "LimitExceeded", 409


class MalformedPolicyDocument(IamError):
    code, status = "MalformedPolicyDocument", 400


class InvalidInput(IamError):
    code, status = "InvalidInput", 400


class UnmodifiableEntity(IamError):
    code, status = "UnmodifiableEntity", 400


class IamValidationError(IamError):
    code, status = "ValidationError", 400
