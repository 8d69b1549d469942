"""SES's gureum: a private one per module, relaying to a local aiosmtpd server (the
"MailHog-style inbox" every sent message reaches), its inbound SMTP server on a free port,
and a fast domain verification sweep."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from harness import SUITE_RUNTIME_DATE, GureumProcess, free_port

from ses.ses_helpers import Inbox, SesGureum


@pytest.fixture(scope="module")
def ses(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SesGureum]:
    inbox = Inbox()
    relay = Controller(inbox, hostname="127.0.0.1", port=free_port())
    relay.start()
    smtp_port = free_port()
    data: Path = tmp_path_factory.mktemp("ses") / "data"
    g = GureumProcess(data, env=SUITE_RUNTIME_DATE, extra_args=[
        "--set", f"ses.relay=127.0.0.1:{relay.port}", "--set", f"ses.smtp_port={smtp_port}",
        "--set", "ses.verify_interval=0.2"])
    g.start()
    try:
        yield SesGureum(g, inbox, smtp_port)
    finally:
        g.stop()
        relay.stop()
