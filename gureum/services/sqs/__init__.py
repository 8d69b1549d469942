"""Amazon SQS: standard and FIFO queues kept in memory per node, written through to the store."""
