"""This node's stable identity: which node owns a claimed piece of work in a shared store."""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def node_identity(data_dir: Path) -> str:
    """The node's id, made once and kept in its data dir (at ecs/node-id, where the first
    user of it put it)."""
    f = Path(data_dir) / "ecs" / "node-id"
    f.parent.mkdir(parents=True, exist_ok=True)
    if f.exists():
        return f.read_text().strip()
    tmp = f.with_name(f"node-id.{uuid.uuid4().hex}")
    tmp.write_text(uuid.uuid4().hex)
    try:
        os.link(tmp, f)  # first writer wins; everyone reads the winner's id
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return f.read_text().strip()
