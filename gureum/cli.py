"""The `gureum` command: up, agent, down, status, and the per-service tools (dns, logs, costs)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from gureum import __version__

# Subcommands whose logic lives with the service that owns it: name -> "module:function"
# taking the remaining argv.
DELEGATED = {
    "dns": ("gureum.services.route53.zonefile:main", "import/export BIND zone files"),
    "logs": ("gureum.services.logs.cli:main", "show a Lambda function's logs"),
    "costs": ("gureum.billing.cli:main", "what AWS would have billed"),
    "runtimes": ("gureum.services.lambda_.runtimes.cli:main", "Lambda runtimes: state, what runs them here, --install; java-core/java-events jars"),
    "aws": ("gureum.awscli:main", "run the installed AWS CLI against gureum (adds --endpoint-url)"),
    "alexa": ("gureum.services.lexv2.alexa:main", "drive an Alexa skill's function: alexa ask --function F --model M.json \"utterance\""),
    "top": ("gureum.top:main", "live invocations/s, DNS qps, running tasks and queue depths (--once: one frame)"),
}


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get("GUREUM_" + name, default)


def _env_flag(name: str) -> bool:
    """A GUREUM_<NAME> switch, read by the one boolean rule (gureum/settings.py)."""
    from gureum.settings import SettingError, parse_bool

    text = _env(name, "") or ""
    try:
        return parse_bool("GUREUM_" + name, text) if text.strip() else False
    except SettingError as exc:
        sys.exit(f"gureum: {exc}")


def settings_help() -> str:
    """Every `--set KEY=VALUE` setting with its default and meaning, from the typed settings
    classes (gureum/node_settings.py and each package's manifest)."""
    from gureum.node_settings import NODE_SETTINGS
    from gureum.services import registry
    from gureum.settings import entries

    lines = ["settings (--set KEY=VALUE, or the environment variable GUREUM_<KEY> with . as _;",
             "booleans: 1/true/yes/on or 0/false/no/off):",
             "  <component>.enabled=true",
             "      run the component (" + ", ".join(registry.COMPONENTS) + ")"]
    for cls in (*NODE_SETTINGS, *registry.settings_classes()):
        for e in entries(cls):
            default = "" if e.default is None else ",".join(map(str, e.default)) if isinstance(e.default, tuple) else str(e.default).lower() if isinstance(e.default, bool) else str(e.default)
            lines.append(f"  {e.key}={default}")
            if e.doc:
                lines.append(f"      {e.doc}")
    return "\n".join(lines)


# The epilog of `gureum up --help` lists every setting, which means importing every package's
# settings classes (~60 ms): it is written only when help is printed, not on every start.
_SETTINGS_EPILOG = "<every setting>"


class _SettingsHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Writes settings_help() where the parser's epilog is _SETTINGS_EPILOG."""

    def add_text(self, text: str | None) -> None:
        super().add_text(settings_help() if text == _SETTINGS_EPILOG else text)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gureum", description="A self-hosted cloud that speaks the AWS APIs.")
    p.add_argument("--version", action="version", version=f"gureum {__version__}")
    sub = p.add_subparsers(dest="command")
    up = sub.add_parser("up", help="run a gureum node in the foreground", epilog=_SETTINGS_EPILOG,
                        formatter_class=_SettingsHelpFormatter)
    up.add_argument("--host", default=_env("HOST", "127.0.0.1"), help="listen address (GUREUM_HOST)")
    up.add_argument("--port", type=int, default=int(_env("PORT", "4566") or 4566), help="AWS API port (GUREUM_PORT)")
    up.add_argument("--dns-port", type=int, default=int(_env("DNS_PORT", "53") or 53), help="DNS port (GUREUM_DNS_PORT)")
    up.add_argument("--data-dir", default=_env("DATA_DIR"), help="state directory (GUREUM_DATA_DIR)")
    up.add_argument(
        "--ephemeral",
        action="store_true",
        default=_env_flag("EPHEMERAL"),
        help="use a temporary data directory, deleted on exit (GUREUM_EPHEMERAL)",
    )
    up.add_argument("--state", default=_env("STATE"), help="sqlite:///PATH (default) or postgresql://... (GUREUM_STATE)")
    up.add_argument("--auth", choices=("open", "strict"), default=_env("AUTH", "open"), help="credential checking (GUREUM_AUTH)")
    up.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a service setting (repeatable)")
    up.add_argument("--log-level", default=_env("LOG_LEVEL", "info"))
    ag = sub.add_parser("agent", help="run tasks on this machine for a cloud whose state is in PostgreSQL")
    ag.add_argument("--state", default=_env("STATE"), help="the cloud's shared store, postgresql://... (GUREUM_STATE)")
    ag.add_argument(
        "--endpoint",
        default=_env("ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL") or "http://localhost:4566",
        help="the gureum node serving the AWS APIs and the registry (GUREUM_ENDPOINT)",
    )
    ag.add_argument("--cluster", default=None, help="the ECS cluster this machine joins as a container instance (default: default)")
    ag.add_argument("--data-dir", default=_env("AGENT_DATA_DIR"), help="the agent's own directory: images, task files (GUREUM_AGENT_DATA_DIR)")
    ag.add_argument("--host", default=_env("AGENT_HOST", "127.0.0.1"), help="address of the agent's health listener and DNS")
    ag.add_argument("--port", type=int, default=int(_env("AGENT_PORT", "0") or 0), help="port of its health listener (0: any)")
    ag.add_argument("--dns-port", type=int, default=int(_env("AGENT_DNS_PORT", "0") or 0), help="port of its DNS server (0: any)")
    ag.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a service setting (repeatable)")
    ag.add_argument("--log-level", default=_env("LOG_LEVEL", "info"))
    dn = sub.add_parser("down", help="stop the gureum node running on a data directory, cleanly (it hands its work over)")
    dn.add_argument("--data-dir", default=_env("DATA_DIR"), help="the node's state directory (GUREUM_DATA_DIR)")
    dn.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for it to stop")
    st = sub.add_parser("status", help="show a running node's services and every node of its cloud")
    st.add_argument("--endpoint", default=_env("ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL") or "http://localhost:4566")
    st.add_argument("--json", action="store_true")
    for name, (_, help_text) in DELEGATED.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        module, _, fn = DELEGATED[argv[0]][0].partition(":")
        entry = getattr(importlib.import_module(module), fn)  # in-tree modules, always there
        return int(entry(argv[1:]) or 0)
    args = build_parser().parse_args(argv)
    if args.command == "up":
        return cmd_up(args)
    if args.command == "agent":
        return cmd_agent(args)
    if args.command == "status":
        return cmd_status(args)
    if args.command == "down":
        return cmd_down(args)
    build_parser().print_help()
    return 2


def _settings(args: argparse.Namespace) -> dict[str, str] | None:
    """GUREUM_SET and the --set flags (None, with a message, when one is malformed)."""
    settings: dict[str, str] = {}
    for item in (_env("SET", "") or "").split(","):
        if "=" in item:
            k, _, v = item.partition("=")
            settings[k.strip()] = v.strip()
    for item in args.set:
        k, sep, v = item.partition("=")
        if not sep:
            print(f"gureum {args.command}: --set expects KEY=VALUE, got {item!r}", file=sys.stderr)
            return None
        settings[k] = v
    return settings


def _logging(level: str) -> None:
    import logging

    logging.basicConfig(
        level=getattr(logging, str(level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _serve(app: Any, command: str, banner: Any) -> int:
    import asyncio

    from gureum.app import AlreadyRunning
    from gureum.settings import SettingError

    try:
        asyncio.run(app.serve(on_ready=banner))
    except AlreadyRunning as exc:
        print(f"gureum {command}: {exc}", file=sys.stderr)
        return 1
    except SettingError as exc:
        print(f"gureum {command}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"gureum {command}: cannot start: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from gureum.app import App, make_ephemeral_dir, remove_dir
    from gureum.config import Config, default_data_dir

    _logging(args.log_level)
    settings = _settings(args)
    if settings is None:
        return 2
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
    try:
        return _serve(App(config), "up", print_banner)
    finally:
        if args.ephemeral:
            remove_dir(data_dir)


def cmd_agent(args: argparse.Namespace) -> int:
    """`gureum agent`: join this machine to a cloud whose state is in PostgreSQL. It registers
    itself as an ECS container instance (this machine's CPU and memory) and runs the tasks
    placed on it and the Fargate tasks it claims; it serves no AWS API."""
    from gureum.app import App
    from gureum.config import Config, default_data_dir

    _logging(args.log_level)
    settings = _settings(args)
    if settings is None:
        return 2
    if not args.state or not args.state.startswith(("postgresql:", "postgres:")):
        print("gureum agent: --state must name the cloud's shared store (postgresql://...)", file=sys.stderr)
        return 2
    if args.cluster:
        settings["ecs.cluster"] = args.cluster
    data_dir = Path(args.data_dir).expanduser() if args.data_dir else default_data_dir().with_name("gureum-agent")
    config = Config(
        host=args.host,
        port=args.port,
        dns_port=args.dns_port,
        data_dir=data_dir.resolve(),
        state_url=args.state,
        settings=settings,
        role="agent",
        api_endpoint=args.endpoint.rstrip("/"),
    )
    return _serve(App(config), "agent", print_agent_banner)


def _without_password(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    u = urlsplit(url)
    if u.password is None:
        return url
    return urlunsplit(u._replace(netloc=u.netloc.replace(f":{u.password}@", ":***@")))


def print_agent_banner(app: Any) -> None:
    from gureum.public import shown_host

    host, port = app.http_address
    host = shown_host(host)
    lines = [
        f"gureum {__version__} agent is up",
        f"  cloud      {app.config.api_endpoint}",
        f"  health     http://{host}:{port}/_gureum/health",
        f"  data       {app.data_dir}",
        f"  state      {_without_password(app.config.state)}",
    ]
    lines += [f"  note       {n}" for n in app.notes]
    print("\n".join(lines), flush=True)


def print_banner(app: object) -> None:
    from gureum.internal import endpoints

    eps = endpoints(app)  # type: ignore[arg-type]
    lines = [
        f"gureum {__version__} (구름) is up",
        f"  AWS APIs   {eps['aws']}   (export AWS_ENDPOINT_URL={eps['aws']})",
        f"  registry   {eps['registry']}",
        f"  DNS        {eps.get('dns', 'starting…')}",
        f"  data       {app.data_dir}{'  (ephemeral)' if app.config.ephemeral else ''}",  # type: ignore[attr-defined]
        f"  state      {_without_password(app.config.state)}",  # type: ignore[attr-defined]
        f"  health     {eps['aws']}/_gureum/health",
    ]
    lines += [f"  note       {n}" for n in app.notes]  # type: ignore[attr-defined]
    print("\n".join(lines), flush=True)


def cmd_down(args: argparse.Namespace) -> int:
    """`gureum down`: SIGTERM to the node holding the data directory's lock (its pid is in
    the lock file), then wait until it has let the lock go: by then it has marked itself left
    in the roster and handed its work over (gureum/roster.py)."""
    import fcntl
    import signal
    import time

    from gureum.config import default_data_dir

    data_dir = Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
    lock = data_dir / "gureum.lock"

    def running() -> bool:
        try:
            fd = os.open(lock, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    if not running():
        print(f"gureum down: no gureum runs on {data_dir}", file=sys.stderr)
        return 1
    try:
        pid = int(lock.read_text().strip())
        os.kill(pid, signal.SIGTERM)
    except (ValueError, OSError) as exc:
        print(f"gureum down: cannot signal the node on {data_dir}: {exc}", file=sys.stderr)
        return 1
    deadline = time.monotonic() + args.timeout
    while running():
        if time.monotonic() > deadline:
            print(f"gureum down: pid {pid} still runs after {args.timeout:.0f} s", file=sys.stderr)
            return 1
        time.sleep(0.05)
    print(f"gureum down: pid {pid} stopped")
    return 0


def _get_json(url: str) -> tuple[int, Any]:
    """GET `url`: (status, JSON body); an HTTP error's body is read too (503 while components
    start says which). Raises OSError when nothing answers, ValueError on a body not JSON."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def cmd_status(args: argparse.Namespace) -> int:
    base = args.endpoint.rstrip("/")
    try:
        code, doc = _get_json(base + "/_gureum/health")
    except ValueError:
        print(f"gureum status: {args.endpoint} answered something that is not gureum's health", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"gureum status: no gureum answers at {args.endpoint} ({exc})", file=sys.stderr)
        return 1
    try:
        code, roster = _get_json(base + "/_gureum/status")
    except (OSError, ValueError):
        code, roster = 0, None
    if code != 200 or not isinstance(roster, dict):
        roster = None  # an older node, or strict mode without the operator's signature
    if args.json:
        print(json.dumps({**doc, **({"roster": roster} if roster else {})}, indent=2))
        return 0
    if "version" in doc:
        print(f"gureum {doc['version']}, up {doc['uptime']:.0f} s, data in {doc.get('dataDir', '?')}")
    print("ready" if doc.get("ready") else "starting: not every component serves yet")
    for name, addr in doc.get("endpoints", {}).items():
        print(f"  {name:<9} {addr}")
    print()
    print(f"{'SERVICE':<18} {'STATE':<10} REASON")
    for name, st in sorted(doc["services"].items()):
        print(f"{name:<18} {st['state']:<10} {st.get('reason', '')}")
    if doc.get("components"):
        print()
        print(f"{'COMPONENT':<18} {'STATE':<10} REASON")
        for name, st in sorted(doc["components"].items()):
            print(f"{name:<18} {st['state']:<10} {st.get('reason', '')}")
    if roster:
        print()
        print(format_roster(roster))
    return 0


def format_roster(roster: dict[str, Any]) -> str:
    """The NODES table of `gureum status` (GET /_gureum/status's document)."""
    lines = [f"{'NODE':<14} {'STATE':<8} {'BEAT':>7} {'HOST':<16} {'API':<24} {'DNS':<20} ROLES / RUNS"]
    for n in roster.get("nodes", []):
        me = "*" if n["node"] == roster.get("node") else " "
        runs = "; ".join(f"{svc}: " + ", ".join(f"{k} {v}" for k, v in counts.items()) for svc, counts in sorted((n.get("runs") or {}).items()))
        what = ",".join(n.get("roles") or []) + (f" | {runs}" if runs else "")
        lines.append(f"{me}{n['node'][:12]:<13} {n['state']:<8} {n['heartbeatAge']:>6.1f}s {str(n.get('host', ''))[:16]:<16} "
                     f"{str(n.get('api') or '')[:24]:<24} {str(n.get('dns') or '-')[:20]:<20} {what}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
