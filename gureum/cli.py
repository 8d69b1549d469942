"""The `gureum` command: up, status, and the per-service tools (dns, logs, costs)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

from gureum import __version__

# Subcommands whose logic lives with the service that owns it: name -> "module:function"
# taking the remaining argv.
DELEGATED = {
    "dns": ("gureum.services.route53.zonefile:main", "import/export BIND zone files"),
    "logs": ("gureum.services.logs.cli:main", "show a Lambda function's logs"),
    "costs": ("gureum.billing.cli:main", "what AWS would have billed"),
}


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get("GUREUM_" + name, default)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gureum", description="A self-hosted cloud that speaks the AWS APIs.")
    p.add_argument("--version", action="version", version=f"gureum {__version__}")
    sub = p.add_subparsers(dest="command")
    up = sub.add_parser("up", help="run a gureum node in the foreground")
    up.add_argument("--host", default=_env("HOST", "127.0.0.1"), help="listen address (GUREUM_HOST)")
    up.add_argument("--port", type=int, default=int(_env("PORT", "4566") or 4566), help="AWS API port (GUREUM_PORT)")
    up.add_argument("--dns-port", type=int, default=int(_env("DNS_PORT", "53") or 53), help="DNS port (GUREUM_DNS_PORT)")
    up.add_argument("--data-dir", default=_env("DATA_DIR"), help="state directory (GUREUM_DATA_DIR)")
    up.add_argument(
        "--ephemeral",
        action="store_true",
        default=(_env("EPHEMERAL", "") or "").lower() in ("1", "true", "yes"),
        help="use a temporary data directory, deleted on exit (GUREUM_EPHEMERAL)",
    )
    up.add_argument("--state", default=_env("STATE"), help="sqlite:///PATH (default) or postgresql://... (GUREUM_STATE)")
    up.add_argument("--auth", choices=("open", "strict"), default=_env("AUTH", "open"), help="credential checking (GUREUM_AUTH)")
    up.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a service setting (repeatable)")
    up.add_argument("--log-level", default=_env("LOG_LEVEL", "info"))
    st = sub.add_parser("status", help="show a running node's services")
    st.add_argument("--endpoint", default=_env("ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL") or "http://localhost:4566")
    st.add_argument("--json", action="store_true")
    for name, (_, help_text) in DELEGATED.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        module, _, fn = DELEGATED[argv[0]][0].partition(":")
        try:
            entry = getattr(importlib.import_module(module), fn)
        except ImportError:
            print(f"gureum {argv[0]}: not available in this build", file=sys.stderr)
            return 2
        return int(entry(argv[1:]) or 0)
    args = build_parser().parse_args(argv)
    if args.command == "up":
        return cmd_up(args)
    if args.command == "status":
        return cmd_status(args)
    build_parser().print_help()
    return 2


def cmd_up(args: argparse.Namespace) -> int:
    import asyncio
    import logging

    from gureum.app import AlreadyRunning, App, make_ephemeral_dir, remove_dir
    from gureum.config import Config, default_data_dir

    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings: dict[str, str] = {}
    for item in (_env("SET", "") or "").split(","):
        if "=" in item:
            k, _, v = item.partition("=")
            settings[k.strip()] = v.strip()
    for item in args.set:
        k, sep, v = item.partition("=")
        if not sep:
            print(f"gureum up: --set expects KEY=VALUE, got {item!r}", file=sys.stderr)
            return 2
        settings[k] = v
    if args.ephemeral:
        data_dir = make_ephemeral_dir()
    else:
        data_dir = Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
    config = Config(
        host=args.host,
        port=args.port,
        dns_port=args.dns_port,
        data_dir=data_dir.resolve(),
        ephemeral=args.ephemeral,
        state_url=args.state,
        auth=args.auth,
        settings=settings,
    )
    app = App(config)
    try:
        asyncio.run(app.serve(on_ready=print_banner))
    except AlreadyRunning as exc:
        print(f"gureum up: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"gureum up: cannot start: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        if args.ephemeral:
            remove_dir(data_dir)
    return 0


def print_banner(app: object) -> None:
    from gureum.internal import endpoints

    eps = endpoints(app)  # type: ignore[arg-type]
    lines = [
        f"gureum {__version__} (구름) is up",
        f"  AWS APIs   {eps['aws']}   (export AWS_ENDPOINT_URL={eps['aws']})",
        f"  registry   {eps['registry']}",
        f"  DNS        {eps.get('dns', 'starting…')}",
        f"  data       {app.data_dir}{'  (ephemeral)' if app.config.ephemeral else ''}",  # type: ignore[attr-defined]
        f"  state      {app.config.state.split('?')[0]}",  # type: ignore[attr-defined]
        f"  health     {eps['aws']}/_gureum/health",
    ]
    lines += [f"  note       {n}" for n in app.notes]  # type: ignore[attr-defined]
    print("\n".join(lines), flush=True)


def cmd_status(args: argparse.Namespace) -> int:
    import urllib.request

    url = args.endpoint.rstrip("/") + "/_gureum/health"
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            doc = json.load(resp)
    except OSError as exc:
        print(f"gureum status: no gureum answers at {args.endpoint} ({exc})", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    print(f"gureum {doc['version']}, up {doc['uptime']:.0f} s, data in {doc.get('dataDir', '?')}")
    for name, addr in doc.get("endpoints", {}).items():
        print(f"  {name:<9} {addr}")
    print()
    print(f"{'SERVICE':<18} {'STATE':<10} REASON")
    for name, st in sorted(doc["services"].items()):
        print(f"{name:<18} {st['state']:<10} {st.get('reason', '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
