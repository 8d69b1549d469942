"""Fuzzers run against one real gureum by `fuzz/run.py` (`make fuzz`).

Contract: every module `fuzz/<name>.py` (not starting with `_`, not `run`/`report`) that
defines `main(endpoint: str, dns_port: int, seconds: float) -> fuzz.report.Report` is a
fuzzer. It sends traffic to the gureum at `endpoint` (HTTP) and 127.0.0.1:`dns_port` (DNS,
UDP and TCP) for about `seconds`, and returns what it saw. It takes its randomness from
`fuzz.report.rng(name)` (seeded from FUZZ_SEED, which the runner sets and prints), so a
failure is reproducible with `FUZZ_SEED=<seed> make fuzz`.
"""
