"""provided.al2 / provided.al2023: the function's own `bootstrap` (Go, C, Rust, shell...)
speaks the Runtime API itself; nothing of gureum's runs inside the sandbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.services.lambda_.runtimes.base import Launch

if TYPE_CHECKING:
    from gureum.services.lambda_.runtimes import Runtime


def launch(rt: Runtime, handler: str, *, isolated: bool, task_root: str, runtime_dir: str) -> Launch:
    return Launch([f"{task_root}/bootstrap"], {}, [])
