"""Settings for `gureum up`: command-line flags, each with a GUREUM_* environment twin."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def default_data_dir() -> Path:
    """A per-user data directory ($XDG_DATA_HOME/gureum, ~/.local/share/gureum)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "gureum"


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 4566
    dns_port: int = 53
    dns_host: str | None = None  # defaults to host
    data_dir: Path = field(default_factory=default_data_dir)
    ephemeral: bool = False
    state_url: str | None = None  # default: sqlite under data_dir
    auth: str = "open"  # "open" accepts any credentials; "strict" verifies SigV4
    # Extra settings services read (e.g. "dns.allow_transfer"), from --set KEY=VALUE or
    # GUREUM_SET="k=v,k=v".
    settings: dict[str, str] = field(default_factory=dict)
    # "node" (`gureum up`: the AWS APIs and every component) or "agent" (`gureum agent`: only
    # what runs tasks on this machine, joined to a shared store; see cli.cmd_agent).
    role: str = "node"
    # Where the AWS APIs (and the registry) of this cloud are, when this process does not
    # serve them itself (an agent); None means "here".
    api_endpoint: str | None = None

    @property
    def state(self) -> str:
        return self.state_url or f"sqlite:///{self.data_dir / 'state.db'}"

    def setting(self, key: str, default: str | None = None) -> str | None:
        """The raw text of setting `key`: `--set key=...`, else GUREUM_<KEY>, else `default`.
        Services read their settings typed, through `app.settings(Cls)` (gureum/settings.py)."""
        from gureum.settings import env_name

        return self.settings.get(key, os.environ.get(env_name(key), default))

    @property
    def endpoint(self) -> str:
        from gureum.public import shown_host

        return f"http://{shown_host(self.host)}:{self.port}"
