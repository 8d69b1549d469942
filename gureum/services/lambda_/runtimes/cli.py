"""`gureum runtimes`: every runtime of the catalogue, its state on AWS's calendar and what
runs it on this host; `--install [NAME ...]` installs what is missing (all when no name is
given; `make runtimes` runs it; it exits 1 when something that can be had here was not
installed, never for a runtime no source here serves). `gureum runtimes java-core|java-events` prints the jars to
compile Java functions against (java_sdk.py).

One line per runtime: identifier, state (supported / deprecated since … / create blocked
since … / update blocked since …), the version that runs it here and whether it is the
declared one (exact) or a stand-in (nearest), installed or not ("building" while a gureum
installs the declared version in the background: runtimes/background.py), and where it comes from.
The date is today's (UTC) unless GUREUM_LAMBDA_RUNTIME_DATE pins it, as for `gureum up`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from datetime import date
from typing import Any

from gureum.services.lambda_.runtimes import RUNTIMES, Runtime, Toolchain, background, lifecycle
from gureum.services.lambda_.runtimes.base import RuntimeUnavailable
from gureum.services.lambda_.settings import LambdaSettings
from gureum.settings import SettingError, env_name, read

JAR_COMMANDS = ("java-core", "java-events")


def _today() -> date:
    settings = read(LambdaSettings, lambda key: os.environ.get(env_name(key)))
    return lifecycle.today(settings.pinned_date)


def _row(rt: Runtime, today: date, install: bool) -> tuple[dict[str, Any], bool]:
    """The runtime's row, and whether `--install` failed for it: something that can be had
    here was not installed (an error, or a line built here left on the nearest). A runtime no
    source here serves (dotnet10: nothing runs it, nothing to fetch) is a "none" row, not a
    failure, so `make runtimes` passes on every machine."""
    row: dict[str, Any] = {"runtime": rt.name, "family": rt.family, "state": rt.lifecycle.state(today)}
    before: Toolchain | None = None
    wants_build = False
    try:
        if install:
            before = rt.toolchain()
            wants_build = rt.background()
        if install:
            with background.installing(rt.name):
                tc: Toolchain = rt.install()
        else:
            tc = rt.toolchain()
    except Exception as exc:  # one runtime's failure is that row's answer, not the listing's end
        row.update(version="", exact=False, installed=False, source=f"error: {exc}", building=False)
        nothing_to_have = isinstance(exc, RuntimeUnavailable) and before is not None and not before.exact and not before.version
        return row, install and not nothing_to_have
    row.update({k: v for k, v in asdict(tc).items() if k != "runtime"})
    row["building"] = background.building(rt.name)
    return row, install and (not tc.installed or (wants_build and not tc.exact))


def _line(row: dict[str, Any]) -> str:
    runs = row["version"] or "-"
    fit = "exact" if row["exact"] else ("nearest" if row["version"] else "none")
    installed = "installed" if row["installed"] else "not installed"
    if row["building"]:  # the declared version is being installed in the background
        installed = "building"
    return f"{row['runtime']:<16} {row['state']:<32} {runs:<10} {fit:<8} {installed:<14} {row['source']}"


def main(argv: list[str]) -> int:
    if argv and argv[0] in JAR_COMMANDS:
        from gureum.services.lambda_.runtimes import java_sdk

        return java_sdk.main(argv)
    p = argparse.ArgumentParser(prog="gureum runtimes", description="Lambda runtimes: their state and what runs them here.",
                                epilog="gureum runtimes java-core | java-events: jars to compile Java functions against")
    p.add_argument("--install", action="store_true", help="install what the named runtimes (default: all) lack")
    p.add_argument("--json", action="store_true", help="one JSON document per runtime")
    p.add_argument("names", nargs="*", metavar="NAME", help="runtime identifiers (python3.12, nodejs22.x...)")
    args = p.parse_args(argv)
    unknown = [n for n in args.names if n not in RUNTIMES]
    if unknown:
        print(f"gureum runtimes: unknown runtime {', '.join(unknown)} (known: {' '.join(RUNTIMES)}; "
              f"or {' | '.join(JAR_COMMANDS)})", file=sys.stderr)
        return 2
    try:
        today = _today()
    except SettingError as exc:
        print(f"gureum runtimes: {exc}", file=sys.stderr)
        return 2
    chosen = [RUNTIMES[n] for n in args.names] if args.names else list(RUNTIMES.values())
    if args.install and not args.names:  # all: those a function can still be created or kept on
        chosen = [rt for rt in chosen if not rt.lifecycle.update_blocked(today)]
    failed = 0
    if not args.json:
        print(f"{'RUNTIME':<16} {'STATE (' + today.isoformat() + ')':<32} {'RUNS ON':<10} {'FIT':<8} {'INSTALLED':<14} SOURCE")
    for rt in chosen:
        row, failure = _row(rt, today, args.install)
        failed += failure
        print(json.dumps(row) if args.json else _line(row), flush=True)
    return 1 if failed else 0
