"""`gureum aws ...`: any installed AWS CLI (v1 or v2), pointed at gureum.

Like LocalStack's `awslocal`: adds `--endpoint-url` (unless the command line has one) because
not every CLI honours `AWS_ENDPOINT_URL` — Debian's awscli 2.9 predates it (2.13) and awscli v1
ignores it for SQS in us-east-1 — and supplies test credentials and a region when none are set.
The endpoint is `GUREUM_ENDPOINT`, else `AWS_ENDPOINT_URL`, else http://localhost:4566.
"""

from __future__ import annotations

import os
import shutil
import sys

DEFAULT_ENDPOINT = "http://localhost:4566"


def command(argv: list[str], environ: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The AWS CLI command line and environment that `gureum aws ARGV` runs."""
    endpoint = environ.get("GUREUM_ENDPOINT") or environ.get("AWS_ENDPOINT_URL") or DEFAULT_ENDPOINT
    env = dict(environ)
    env.setdefault("AWS_ENDPOINT_URL", endpoint)
    if not env.get("AWS_PROFILE") and not env.get("AWS_ACCESS_KEY_ID"):
        env["AWS_ACCESS_KEY_ID"] = "test"
        env["AWS_SECRET_ACCESS_KEY"] = "test"
    if not env.get("AWS_DEFAULT_REGION") and not env.get("AWS_REGION"):
        env["AWS_DEFAULT_REGION"] = "us-east-1"
    args = list(argv)
    if not any(a == "--endpoint-url" or a.startswith("--endpoint-url=") for a in args):
        args = ["--endpoint-url", endpoint, *args]
    exe = env.get("GUREUM_AWS_CLI") or shutil.which("aws", path=env.get("PATH"))
    if exe:
        return [exe, *args], env
    return [sys.executable, "-m", "awscli", *args], env  # awscli v1 installed as a module


def main(argv: list[str]) -> int:
    cmd, env = command(argv, dict(os.environ))
    if cmd[0] == sys.executable:
        try:
            import awscli  # noqa: F401
        except ImportError:
            print("gureum aws: no AWS CLI found (install awscli, or set GUREUM_AWS_CLI)", file=sys.stderr)
            return 2
    try:
        os.execvpe(cmd[0], cmd, env)
    except OSError as exc:
        print(f"gureum aws: cannot run {cmd[0]}: {exc}", file=sys.stderr)
        return 2
    return 0  # not reached
