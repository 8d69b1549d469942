"""Durable control-plane state: see base.py for the interface."""

from gureum.store.base import Doc, Event, Store, Txn, open_store

__all__ = ["Doc", "Event", "Store", "Txn", "open_store"]
