"""Cognito's per-node objects (gureum/slots.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.slots import Slot

if TYPE_CHECKING:
    from gureum.services.cognito_idp.tokens import KeyCache

KEYS: Slot[KeyCache] = Slot("cognito-idp-keys")
