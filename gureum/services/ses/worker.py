"""SES's background work on a node: the relay worker (relay.py) and the domain verification
sweep (verify.py, every `ses.verify_interval` seconds)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.services.ses import verify
from gureum.services.ses.relay import Relay
from gureum.services.ses.settings import SesSettings
from gureum.services.ses.slots import RELAY

if TYPE_CHECKING:
    from gureum.app import App


async def run(app: App) -> None:
    settings = app.settings(SesSettings)
    worker = Relay(app)
    app.parts.put(RELAY, worker)

    async def sweep() -> None:
        await verify.sweep(app)

    app.every(settings.verify_interval, sweep, name="ses-verify", first=min(1.0, settings.verify_interval))
    app.set_status("ses", "running")
    app.set_status("sesv2", "running")
    await worker.run()
