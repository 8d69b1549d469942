"""Which store a state URL names: `open_store("sqlite:///path")`, `postgresql://...`,
`memory:`. Backends are imported only when named (psycopg is optional)."""

from __future__ import annotations

from gureum.store.base import Store


def open_store(url: str) -> Store:
    """Open the store named by `url`: sqlite:///path/to/file.db or postgresql://..."""
    if url.startswith("sqlite:"):
        from gureum.store.sqlite import SqliteStore

        rest = url[len("sqlite:") :]
        # sqlite:///abs/path -> /abs/path ; sqlite://rel/path and sqlite:rel -> rel/path
        path = rest[2:] if rest.startswith("//") else rest
        return SqliteStore(path)
    if url.startswith(("postgresql:", "postgres:")):
        from gureum.store.postgres import PostgresStore

        return PostgresStore(url)
    if url == "memory:":
        from gureum.store.memory import MemoryStore

        return MemoryStore()
    raise ValueError(f"unsupported state URL {url!r} (use sqlite:///PATH or postgresql://...)")
