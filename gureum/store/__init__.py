"""Durable control-plane state: see base.py for the interface."""

from gureum.store.base import Doc, Event, Store, Txn
from gureum.store.open import open_store

__all__ = ["Doc", "Event", "Store", "Txn", "open_store"]
