"""Helpers for Lambda tests: zips from dicts, an execution role, a function factory."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

# Functions run in isolated sandboxes when gureum is root and can build its launcher.
from lambda_helpers import TRUST, zip_of


@pytest.fixture(scope="session")
def role_arn(gureum: Any) -> str:
    iam = gureum.client("iam")
    name = f"lambda-role-{uuid.uuid4().hex[:8]}"
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]


@pytest.fixture(scope="session")
def lam(gureum: Any) -> Any:
    return gureum.client("lambda")


@pytest.fixture
def make_function(lam: Any, role_arn: str) -> Iterator[Callable[..., str]]:
    created: list[str] = []

    def make(code: str | dict[str, str | bytes], *, runtime: str = "python3.12", handler: str = "app.handler", **kwargs: Any) -> str:
        name = kwargs.pop("FunctionName", None) or f"fn-{uuid.uuid4().hex[:10]}"
        files = {"app.py": code} if isinstance(code, str) else code
        modes = kwargs.pop("modes", None)
        lam.create_function(
            FunctionName=name, Runtime=runtime, Role=role_arn, Handler=handler, Code={"ZipFile": zip_of(files, modes)}, **kwargs
        )
        created.append(name)
        return name

    yield make
    for name in created:
        try:
            lam.delete_function(FunctionName=name)
        except Exception:
            pass


