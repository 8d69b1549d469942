"""`make fuzz`: start one gureum, run every fuzzer against it for its share of the budget,
report, and exit non-zero on any server error, hang or crash.

    python fuzz/run.py [--seconds N] [--seed S] [--only NAME ...] [--keep-log]

The budget (`--seconds`, else FUZZ_SECONDS, else 60) is shared equally by the fuzzers found
(see fuzz/__init__.py for the contract). The seed (`--seed`, else FUZZ_SEED, else random)
is printed first; FUZZ_SEED=<seed> reproduces a run. gureum runs from this checkout, with an
ephemeral data dir and free ports (tests/harness.py's GureumProcess). Besides each fuzzer's
findings the runner reports crashes (the process died, or stopped answering
/_gureum/health after a fuzzer) and tracebacks that appeared in gureum's log while fuzzing.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "tests"))

from harness import GureumProcess  # noqa: E402

from fuzz.report import Report  # noqa: E402

NOT_FUZZERS = {"run", "report"}
GRACE = 30.0  # a fuzzer running this long past its share is itself reported as a hang
# Short client deadlines, so a request left unfinished is closed within seconds: anything
# neither answered nor closed within a fuzzer's timeout is then a hang.
SERVER_ENV = {
    "GUREUM_HTTP_HEADER_TIMEOUT": "2",
    "GUREUM_HTTP_BODY_RATE_WINDOW": "2",
    "GUREUM_HTTP_KEEPALIVE_TIMEOUT": "3",  # a connection that never sends a byte is idle
    "GUREUM_DNS_TCP_MESSAGE_TIMEOUT": "2",
    "GUREUM_DNS_TCP_IDLE_TIMEOUT": "3",
}


def discover(only: list[str] | None = None) -> dict[str, Callable[..., Report]]:
    """name -> main of every fuzzer module in fuzz/ (sorted by name)."""
    found: dict[str, Callable[..., Report]] = {}
    for path in sorted((ROOT / "fuzz").glob("*.py")):
        name = path.stem
        if name.startswith("_") or name in NOT_FUZZERS or (only and name not in only):
            continue
        module = importlib.import_module(f"fuzz.{name}")
        main = getattr(module, "main", None)
        if callable(main):
            found[name] = main
    return found


def healthy(endpoint: str, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(endpoint + "/_gureum/health", timeout=2) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def log_tracebacks(text: str) -> list[str]:
    """The first line after each 'Traceback' header (the logged message precedes it) — one
    line per error gureum logged with an exception."""
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            head = lines[i - 1] if i else ""
            tail = next((ln for ln in lines[i + 1 :] if ln and not ln.startswith(" ")), "")
            out.append(f"{head.strip()} :: {tail.strip()}")
    return out


def run_one(main: Callable[..., Report], name: str, endpoint: str, dns_port: int, seconds: float) -> Report:
    """Run a fuzzer in a thread; one that does not return in time is reported as a hang."""
    result: list[Report] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(main(endpoint, dns_port, seconds))
        except BaseException as exc:  # the fuzzer's own bug: report it, do not die
            errors.append(exc)

    thread = threading.Thread(target=target, name=f"fuzz-{name}", daemon=True)
    thread.start()
    thread.join(seconds + GRACE)
    if thread.is_alive():
        report = Report(name)
        report.hang(f"the fuzzer did not finish within {seconds + GRACE:.0f} s (a request never answered?)")
        return report
    if errors:
        report = Report(name)
        report.notes.append(f"the fuzzer itself failed: {type(errors[0]).__name__}: {errors[0]}")
        report.server_error(f"fuzzer aborted: {type(errors[0]).__name__}: {errors[0]}")
        return report
    return result[0]


def run(seconds: float, seed: int, only: list[str] | None = None, extra_args: list[str] | None = None,
        out: Callable[[str], None] = print) -> int:
    """Start gureum, run the fuzzers, print the report; returns the number of findings."""
    os.environ["FUZZ_SEED"] = str(seed)
    out(f"fuzz: seed {seed} (reproduce with FUZZ_SEED={seed}), budget {seconds:g} s")
    fuzzers = discover(only)
    if not fuzzers:
        out("fuzz: no fuzzers found")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="gureum-fuzz-"))
    proc = GureumProcess(tmp / "data", extra_args=extra_args, env=SERVER_ENV)
    findings = 0
    try:
        proc.start(timeout=60)
        out(f"fuzz: gureum on {proc.endpoint}, DNS on 127.0.0.1:{proc.dns_port}")
        try:
            proc.wait_service("route53", timeout=30)
        except RuntimeError as exc:
            out(f"fuzz: route53 not running ({exc}); DNS fuzzers will report it")
        share = seconds / len(fuzzers)
        for name, main in fuzzers.items():
            before = proc.log_path.read_text(errors="replace") if proc.log_path.exists() else ""
            started = time.monotonic()
            report = run_one(main, name, proc.endpoint, proc.dns_port, share)
            took = time.monotonic() - started
            crashed = proc.proc is None or proc.proc.poll() is not None
            if not crashed and not healthy(proc.endpoint):
                report.hang("gureum stopped answering /_gureum/health after this fuzzer")
            after = proc.log_path.read_text(errors="replace") if proc.log_path.exists() else ""
            logged = log_tracebacks(after[len(before) :])
            for line in logged:
                report.server_error(f"logged: {line}")
            out(
                f"fuzz: {name}: {report.sent} sent in {took:.1f} s, "
                f"{report.server_error_count} server errors, {report.hang_count} hangs"
                + (", CRASHED" if crashed else "")
            )
            for note in report.notes:
                out(f"  note: {note}")
            for line in report.server_errors:
                out(f"  server error: {line}")
            for line in report.hangs:
                out(f"  hang: {line}")
            findings += report.server_error_count + report.hang_count
            if crashed:
                findings += 1
                out(f"fuzz: gureum died (exit {proc.proc.returncode if proc.proc else '?'}):\n{proc.log_tail()}")
                break
    finally:
        proc.stop()
        if findings:
            kept = tmp.parent / f"{tmp.name}.log"
            shutil.copy(proc.log_path, kept) if proc.log_path.exists() else None
            out(f"fuzz: gureum's log kept at {kept}")
        shutil.rmtree(tmp, ignore_errors=True)
    out(f"fuzz: {'FAILED' if findings else 'ok'}: {findings} findings (seed {seed})")
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS", "60")))
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--only", nargs="*", help="fuzzer names (module names in fuzz/)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int(os.environ.get("FUZZ_SEED") or random.SystemRandom().randrange(1 << 32))
    return 1 if run(args.seconds, seed, args.only) else 0


if __name__ == "__main__":
    sys.exit(main())
