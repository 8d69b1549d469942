"""ECR's reset (POST /_gureum/reset, see gureum/reset.py): every repository, image, tag,
blob link, reference count, referrer, upload session, repository creation template, pull
through cache rule, pull-time update exclusion, replication backfill and per-registry or per-repository
setting (`ecr.meta` "registry|..." and "preview|...") is dropped in one transaction, with an
"ecr.repository" deleted event per repository. The layer and manifest bytes stay in the
registry's blob store, linked by no repository: the collector (gc.py) deletes them after its
grace period; abandoned upload files expire as usual (engine.expire_uploads).

Kept: the collector's own rows (`ecr.pins`: writes in progress; `ecr.gc`: its marks and
tombstones) and the registry password secret (`ecr.meta` "secret"), so tokens handed out
before the reset still log in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.ecr import backfill, model, pull_through, pull_time, templates

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store.base import Txn

TABLES: tuple[str, ...] = (
    model.REPOS, model.MANIFESTS, model.TAGS, model.LINKS, model.REFCOUNT, model.REFERRERS,
    model.BLOBIDX, model.UPLOADS, templates.TEMPLATES, pull_through.RULES, pull_time.EXCLUSIONS, backfill.BACKFILLS,
)
META_PREFIXES: tuple[str, ...] = ("registry|", "preview|")


def reset_txn(txn: Txn) -> int:
    for key, _doc in txn.scan(model.REPOS):
        scope, _, name = key.rpartition("|")
        txn.publish("ecr.repository", {"scope": scope + "|", "name": name, "event": "deleted"})
    dropped = sum(txn.delete_prefix(model.META, prefix) for prefix in META_PREFIXES)
    return dropped + drop_tables(txn, TABLES)


async def reset(app: App) -> None:
    await app.store.run(reset_txn)
