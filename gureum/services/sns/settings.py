"""SNS's settings (`--set sns.<field>=VALUE` or GUREUM_SNS_<FIELD>)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class SnsSettings:
    PREFIX: ClassVar[str] = "sns"
    sms_sandbox: bool = False
    """every account is in the SMS sandbox (GetSMSSandboxAccountStatus): SMS reach only verified sandbox numbers"""
