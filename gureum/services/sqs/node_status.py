"""SQS's part in the node roster (gureum/roster.py): the long polls this node holds open now.
Nothing to hand over when it leaves: a receive claims its messages and answers in one step,
and a stopping node ends its long polls empty (engine.py: within `SHARED_RECHECK`, a second,
on a shared store) while its listener still answers, so it holds no message it has not handed
to a client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.services.sqs.slots import ENGINE

if TYPE_CHECKING:
    from gureum.app import App


async def status(app: App) -> dict[str, int]:
    engine = app.parts.get(ENGINE)
    if engine is None:
        return {}
    return {"longPolls": sum(len(q.waiters) for q in list(engine.queues.values()))}
