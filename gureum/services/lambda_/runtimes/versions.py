"""How a runtime's version is named to users: the `INIT_START` line as AWS writes it
("INIT_START Runtime Version: python:3.12.v38\\tRuntime Version ARN: arn:aws:lambda:<region>::runtime:<64 hex>")
and the reason a declared version does not run as declared.

The version label is "<language>:<declared line>.v<build>" when the toolchain is on the
runtime's declared line (the build is the last number of the version that runs), and
"<language>:<version that runs> (<declared> requested: nearest installed)" when another
version stands in. The ARN's id is a digest of (runtime, version that runs): stable for
one toolchain, new when it changes, as AWS's runtime version ARNs are.

`configured(region, config)` is a function configuration's `RuntimeVersionConfig` as the
API answers it: the ARN its INIT_START line names now (the runtime's toolchain answer, which
never installs; call it off the event loop, the first answer of a process may run a
`--version` query).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from gureum.aws import arn as arns
from gureum.services.lambda_.runtimes.base import Toolchain

_NAME = re.compile(r"([a-z]+)(.*)")


def language(runtime: str) -> tuple[str, str]:
    """("python", "3.12") for python3.12, ("nodejs", "22") for nodejs22.x, ("java", "8.al2"),
    ("provided", "al2023"), ("dotnet", "8"), ("ruby", "3.3")."""
    m = _NAME.fullmatch(runtime)
    if m is None:
        return runtime, ""
    declared = m.group(2).lstrip(".")
    return m.group(1), declared.removesuffix(".x")


def label(tc: Toolchain) -> str:
    """The "Runtime Version" of an INIT_START line."""
    lang, declared = language(tc.runtime)
    if tc.exact:
        numbers = re.findall(r"\d+", tc.version)
        build = numbers[-1] if len(numbers) > 1 else "1"
        name = f"{lang}:{declared}.v{build}" if declared else f"{lang}:v{build}"
        return name if tc.installed else f"{name} (not installed: the nearest installed version runs it)"
    if not tc.version:
        return f"{lang}:{declared} (not available here)"
    return f"{lang}:{tc.version} ({declared} requested: nearest installed)"


def version_arn(region: str, tc: Toolchain) -> str:
    digest = hashlib.sha256(f"{tc.runtime}\0{tc.version}\0{tc.exact}".encode()).hexdigest()
    return arns.lambda_runtime(region, digest)


def init_start(region: str, tc: Toolchain) -> str:
    return f"INIT_START Runtime Version: {label(tc)}\tRuntime Version ARN: {version_arn(region, tc)}"


def missing(tc: Toolchain) -> str:
    """Why the declared version does not run as declared ("" when it does)."""
    if tc.exact and tc.installed:
        return ""
    lang, declared = language(tc.runtime)
    if tc.exact:
        return f"{lang} {declared} is not installed ({tc.source})"
    return f"{lang} {declared} cannot be had on this host ({tc.source})"


def configured(region: str, config: dict[str, Any]) -> dict[str, Any]:
    """`config` with `RuntimeVersionConfig.RuntimeVersionArn` the ARN INIT_START names for
    its runtime on this host (unchanged for image functions and runtimes not catalogued)."""
    from gureum.services.lambda_.runtimes import RUNTIMES  # the catalogue imports this package's modules

    rt = RUNTIMES.get(config.get("Runtime") or "")
    if rt is None or "RuntimeVersionConfig" not in config:
        return config
    try:
        tc = rt.toolchain()
    except (OSError, RuntimeError):  # a family that cannot even look: the stored answer stays
        return config
    return {**config, "RuntimeVersionConfig": {"RuntimeVersionArn": version_arn(region, tc)}}
