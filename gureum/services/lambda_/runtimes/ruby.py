"""ruby3.2 / ruby3.3: gureum's own Ruby client (runtime_clients/ruby) on the host's Ruby."""

from __future__ import annotations

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


_DIRS_QUERY = "print RbConfig::CONFIG.values_at('rubylibprefix', 'rubyarchprefix').join(' ')"


def _system(ruby: str) -> list[Mount]:
    """Isolated: ruby, its libraries and library directories (and Debian's rubygems
    integration), nothing else of the host's /usr."""
    dirs = tool_output([ruby, "-e", _DIRS_QUERY], _VERSIONS).split()
    return own_system("ruby", [ruby], (*dirs, "/usr/share/rubygems-integration"))


def prepare(rt: Runtime) -> None:
    ruby = shutil.which("ruby")
    if ruby:
        tool_output([ruby, "-e", "print RUBY_VERSION, ' ', RbConfig::CONFIG['ruby_version']"], _VERSIONS)
        _system(ruby)


def launch(rt: Runtime, handler: str, *, isolated: bool, task_root: str, runtime_dir: str) -> Launch:
    ruby = shutil.which("ruby") or "/usr/bin/ruby"
    out = tool_output([ruby, "-e", "print RUBY_VERSION, ' ', RbConfig::CONFIG['ruby_version']"], _VERSIONS).split()
    version, abi = (out + ["", ""])[:2] if len(out) == 2 else ("", "")
    want = rt.name.removeprefix("ruby")
    note = ""
    if not version:
        note = f"gureum: {rt.name} needs Ruby on the host (apt-get install ruby)"
    elif not version.startswith(want + "."):
        note = f"gureum: {rt.name} runs on the host's Ruby {version} ({ruby})"
    gem_dirs = [f"{task_root}/vendor/bundle/ruby/{v}" for v in dict.fromkeys((f"{want}.0", abi)) if v]
    gem_dirs += [f"{OPT_DIR}/ruby/gems/{v}" for v in dict.fromkeys((f"{want}.0", abi)) if v]
    env = {
        "GEM_PATH": ":".join(gem_dirs),
        "GEM_HOME": gem_dirs[0],
        "RUBYLIB": f"{task_root}:{runtime_dir}/ruby/lib:{OPT_DIR}/ruby/lib",
    }
    mounts = [Mount("bind", RUNTIME_DIR, str(CLIENTS_DIR))]
    system = _system(ruby) if isolated and version else None
    return Launch([ruby, f"{runtime_dir}/ruby/bootstrap.rb"], env, mounts, note, system)
