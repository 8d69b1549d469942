"""STS's reset (POST /_gureum/reset, see gureum/reset.py): the temporary credentials it
issued (but a root's) are dropped, with the events the access key cache follows. The rows
live in IAM's package (iam/sessions.py), so the work is iam/reset.py's `reset_sessions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gureum.app import App


async def reset(app: App) -> None:
    from gureum.services.iam.reset import reset_sts

    await reset_sts(app)
