"""nodejsNN.x: gureum's own Node.js client (runtime_clients/node) on the host's Node."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from gureum.sandbox.process import Mount
from gureum.services.lambda_.runtimes.base import (
    CLIENTS_DIR,
    OPT_DIR,
    RUNTIME_DIR,
    Launch,
    own_system,
    tool_output,
)

if TYPE_CHECKING:
    from gureum.services.lambda_.runtimes import Runtime

_VERSIONS: dict[tuple[str, ...], str] = {}


def _node() -> str:
    return shutil.which("node") or shutil.which("nodejs") or "/usr/bin/node"


def _system(node: str) -> list[Mount]:
    """Isolated: node and its libraries, nothing else of the host's /usr."""
    return own_system("node", [node])


def prepare(rt: Runtime) -> None:
    _system(_node())


def launch(rt: Runtime, handler: str, *, isolated: bool, task_root: str, runtime_dir: str) -> Launch:
    node = _node()
    client = f"{runtime_dir}/node/index.mjs"
    version = tool_output([node, "--version"], _VERSIONS).lstrip("v")
    note = f"gureum: {rt.name} runs on the host's Node.js {version}" if version else ""
    mounts = [Mount("bind", RUNTIME_DIR, str(CLIENTS_DIR))]
    if isolated and not node.startswith(("/usr/", "/bin/")):
        prefix = os.path.dirname(os.path.dirname(os.path.realpath(node)))
        mounts.append(Mount("bind", prefix, prefix))
    env = {"NODE_PATH": f"{OPT_DIR}/nodejs/node_modules:{OPT_DIR}/nodejs/node20/node_modules"}
    return Launch([node, client], env, mounts, note, _system(node) if isolated else None)
