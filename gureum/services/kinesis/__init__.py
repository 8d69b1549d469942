"""Kinesis Data Streams: streams, shards by hash-key range, records with sequence numbers,
iterators, resharding, consumers and SubscribeToShard, kept in gureum's store."""
