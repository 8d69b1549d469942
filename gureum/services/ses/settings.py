"""SES's settings (`--set ses.<field>=VALUE` or GUREUM_SES_<FIELD>)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class SesSettings:
    PREFIX: ClassVar[str] = "ses"
    relay: str = ""
    """host:port of an SMTP server every sent message is delivered onward to (empty: sent mail is only kept)"""
    smtp_port: int = 25
    """the inbound SMTP server's port (receipt rules); when it cannot be bound, 10025 (else any free port; said in the banner); 0: no SMTP server"""
    sandbox: bool = True
    """every account is in the SES sandbox: mail goes only to verified addresses and domains, 200 a day"""
    max_24_hour_send: int = 200
    """messages (recipients) an account may send per 24 hours (GetSendQuota's Max24HourSend)"""
    max_send_rate: float = 1.0
    """GetSendQuota's MaxSendRate (reported; not enforced)"""
    verify_interval: float = 5.0
    """seconds between the sweeps that look up pending domain identities' TXT/CNAME records in gureum's DNS"""
