"""AWS Budgets (`budgets`): cost and usage budgets over the usage ledger, with notifications."""
