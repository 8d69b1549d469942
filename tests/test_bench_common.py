"""bench/common.py, the benchmarks' shared helpers, on values: the percentile and the other
figures they print, the gureum command line they start, polling with a deadline. (The
benchmarks themselves run against real servers; `--help` and short runs check them.)"""

from __future__ import annotations

import math
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

from bench import common  # noqa: E402


def test_pct_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 100 .. 1, unsorted
    assert common.pct(values, 0.5) == 50.0
    assert common.pct(values, 0.9) == 90.0
    assert common.pct(values, 0.99) == 99.0
    assert common.pct(values, 0.07) == 7.0  # 0.07 * 100 is 7.000000000000001 in floating point
    assert common.pct(values, 0.999) == 100.0
    assert common.pct(values, 0.0) == 1.0
    assert common.pct([3.0, 1.0, 2.0], 1.0) == 3.0


def test_pct_and_median_of_nothing_are_nan() -> None:
    assert math.isnan(common.pct([], 0.5))
    assert math.isnan(common.median([]))
    assert common.median([3.0, 1.0, 2.0, 10.0]) == 2.5


def test_ratio_says_nan_for_a_zero_reference() -> None:
    assert common.ratio(3.0, 2.0) == "1.50"
    assert common.ratio(3.0, 0.0) == "nan"


def test_timed_and_p50_rate_call_each_index_once() -> None:
    seen: list[int] = []
    p50, rate = common.p50_rate(seen.append, 5)
    assert seen == [0, 1, 2, 3, 4]
    assert p50 >= 0 and rate > 0
    calls: list[None] = []
    assert len(common.timed(lambda: calls.append(None), 4)) == 4 and len(calls) == 4


def test_run_threads_runs_every_index() -> None:
    seen: set[int] = set()
    assert common.run_threads(6, seen.add) >= 0
    assert seen == set(range(6))


def test_free_port_is_free_for_tcp_and_udp() -> None:
    port = common.free_port()
    with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        tcp.bind(("127.0.0.1", port))
        udp.bind(("127.0.0.1", port))


def test_wait_until_returns_what_came_true_and_times_out_otherwise() -> None:
    answers = iter([None, 0, "ready"])
    assert common.wait_until(lambda: next(answers), "the answer", timeout=30, interval=0) == "ready"
    with pytest.raises(RuntimeError, match="waiting for nothing"):
        common.wait_until(lambda: False, "nothing", timeout=0, interval=0)


def test_gureum_command_line(tmp_path: Path) -> None:
    g = common.Gureum(tmp_path / "data", tree=tmp_path, args=["--log-level", "warning"],
                      settings=["ecs.enabled=0", "ses.smtp_port=0"], dns_port=5353)
    cmd = g.command()
    assert cmd[:4] == [sys.executable, "-m", "gureum", "up"]
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--port") + 1] == str(g.port) and cmd[cmd.index("--dns-port") + 1] == "5353"
    assert cmd[cmd.index("--data-dir") + 1] == str(tmp_path / "data")
    assert cmd[-6:] == ["--log-level", "warning", "--set", "ecs.enabled=0", "--set", "ses.smtp_port=0"]
    assert g.env is not None and g.env["PYTHONPATH"].split(":")[0] == str(tmp_path)
    assert g.endpoint == f"http://127.0.0.1:{g.port}" and g.cwd == tmp_path


def test_zip_package_holds_the_files_and_the_trust_policy_names_lambda() -> None:
    import io
    import json
    import zipfile

    with zipfile.ZipFile(io.BytesIO(common.zip_package({"app.py": "x = 1\n", "data.bin": b"\x00\x01"}))) as zf:
        assert zf.read("app.py") == b"x = 1\n" and zf.read("data.bin") == b"\x00\x01"
    statement = json.loads(common.LAMBDA_TRUST)["Statement"][0]
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"} and statement["Action"] == "sts:AssumeRole"
