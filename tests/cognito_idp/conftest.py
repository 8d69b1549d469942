"""Fixtures of the Cognito tests: a boto3 client for the signed (admin) calls and an unsigned
one for the public calls, as the SDKs send InitiateAuth, SignUp... Every response either
client reads is walked against botocore's model (tests/aws/shape_check.py): a module whose
responses stray from the output or error shapes fails at teardown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from tests.aws.shape_check import ShapeRecorder


def _checked(client: Any) -> Iterator[Any]:
    rec = ShapeRecorder(client)
    yield client
    assert not rec.findings, "responses outside the model:\n" + rec.report()


@pytest.fixture(scope="module")
def idp(gureum):  # type: ignore[no-untyped-def]
    yield from _checked(gureum.client("cognito-idp"))


@pytest.fixture(scope="module")
def public_idp(gureum):  # type: ignore[no-untyped-def]
    yield from _checked(boto3.client("cognito-idp", endpoint_url=gureum.endpoint, region_name="us-east-1",
                                     config=Config(signature_version=UNSIGNED)))
