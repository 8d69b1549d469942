"""The runtime catalogue against botocore's Runtime enum and AWS's calendar, and the
INIT_START label (values only: no gureum process)."""

from __future__ import annotations

from datetime import date

import botocore.session

from gureum.services.lambda_.functions import deprecated_message
from gureum.services.lambda_.runtimes import RUNTIMES, Toolchain
from gureum.services.lambda_.runtimes.lifecycle import recommended
from gureum.services.lambda_.runtimes.versions import init_start, label, language

# In botocore's model but listed by AWS neither as supported nor as deprecated.
NOT_LISTED = {"python3.15", "nodejs26.x", "ruby4.0", "java8.al2023", "java11.al2023", "java17.al2023", "custom"}


def test_the_catalogue_is_botocores_enum_less_what_aws_does_not_list() -> None:
    enum = set(botocore.session.get_session().get_service_model("lambda").shape_for("Runtime").enum)
    assert set(RUNTIMES) <= enum
    assert enum - set(RUNTIMES) <= NOT_LISTED


def test_states_follow_the_date() -> None:
    py39 = RUNTIMES["python3.9"].lifecycle
    assert py39.state(date(2025, 12, 14)) == "supported"
    assert py39.state(date(2025, 12, 15)) == "deprecated since 2025-12-15"
    assert py39.state(date(2026, 6, 1)) == "create blocked since 2026-06-01"
    assert py39.state(date(2026, 12, 3)) == "update blocked since 2026-07-01"
    assert RUNTIMES["python3.14"].lifecycle.state(date(2026, 12, 3)) == "supported"
    assert {r.family for r in RUNTIMES.values()} == {"python", "nodejs", "java", "dotnet", "ruby", "provided"}


def test_the_message_recommends_the_familys_newest_runtime() -> None:
    today = date(2026, 12, 3)
    assert recommended("python", today) == "python3.14" and recommended("nodejs", today) == "nodejs24.x"
    assert deprecated_message("java8", "java", today) == (
        "The runtime parameter of java8 is no longer supported for creating or updating AWS Lambda functions. "
        "We recommend you use the new runtime (java25) while creating or updating functions.")


def test_init_start_names_the_version_that_runs() -> None:
    assert language("nodejs22.x") == ("nodejs", "22") and language("java8.al2") == ("java", "8.al2")
    assert language("provided.al2023") == ("provided", "al2023")
    exact = Toolchain("python3.12", "3.12.1", "/x/python3.12", True, True, "pyenv")
    assert label(exact) == "python:3.12.v1"
    stand_in = Toolchain("python3.14", "3.11.7", "/x/python3.11", False, True, "gureum's own")
    assert label(stand_in) == "python:3.11.7 (3.14 requested: nearest installed)"
    line = init_start("eu-west-1", exact)
    head, arn = line.split("\t")
    assert head == "INIT_START Runtime Version: python:3.12.v1"
    assert arn.startswith("Runtime Version ARN: arn:aws:lambda:eu-west-1::runtime:") and len(arn.rsplit(":", 1)[1]) == 64
    assert init_start("eu-west-1", exact) == line != init_start("eu-west-1", stand_in)  # stable per (runtime, version)
