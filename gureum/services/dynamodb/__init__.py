"""Amazon DynamoDB: tables, items, the expression language, Query/Scan on key ranges of the
store, batches, transactions and TTL (see manifest.py)."""
