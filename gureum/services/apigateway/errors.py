"""API Gateway's errors in AWS's words (the `apigateway` model's codes and statuses)."""

from __future__ import annotations

from gureum.aws.errors import AwsError


def not_found(message: str) -> AwsError:
    return AwsError.modeled("apigateway", "NotFoundException", message)


def bad_request(message: str) -> AwsError:
    return AwsError.modeled("apigateway", "BadRequestException", message)


def conflict(message: str) -> AwsError:
    return AwsError.modeled("apigateway", "ConflictException", message)


def limit_exceeded(message: str) -> AwsError:
    return AwsError.modeled("apigateway", "LimitExceededException", message)
