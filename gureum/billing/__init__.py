"""Usage ledger (what each service consumed) and the price sheet that turns it into cost."""
