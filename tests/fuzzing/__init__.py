"""The fuzzers, run briefly as part of the suite."""
