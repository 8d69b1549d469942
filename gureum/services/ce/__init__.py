"""Cost Explorer (`ce`): cost and usage of the usage ledger, grouped, filtered and forecast."""
