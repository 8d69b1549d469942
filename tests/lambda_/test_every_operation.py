"""Every operation of botocore's Lambda model has a handler: none answers 501 (issue 25).
Capacity providers answer as AWS does where EC2 subnets do not exist (capacity_providers.py);
no other exception."""

from __future__ import annotations

import importlib

import botocore.session

from gureum.aws.dispatch import find_handler
from gureum.services.registry import API_MODULES


def test_every_lambda_operation_has_a_handler():
    model = botocore.session.get_session().get_service_model("lambda")
    for module in API_MODULES["lambda"]:  # what the edge imports on the first request
        importlib.import_module(module)
    missing = [op for op in model.operation_names if find_handler("lambda", op) is None]
    assert missing == []
