"""An init that outlives its 10 s: AWS reports it (INIT_REPORT … Status: timeout) and retries
it within the first invocation, under the function's own timeout; the retried init's time
is part of that invocation's duration, and its REPORT line has no Init Duration."""

from __future__ import annotations

import textwrap

from lambda_helpers import invoke_json, log_lines

SLOW_INIT = textwrap.dedent(
    """
    import time
    time.sleep(10.5)  # past the 10 s AWS gives an init
    def handler(event, context):
        return {"remaining": context.get_remaining_time_in_millis()}
    """
)


def test_an_init_past_10_s_is_retried_within_the_invocations_timeout(gureum, lam, make_function):
    name = make_function(SLOW_INIT, Timeout=15)
    resp, out = invoke_json(lam, name)
    assert "FunctionError" not in resp, out
    # the retried init's 10.5 s came out of the 15 s timeout
    assert 0 < out["remaining"] < 5_000, out
    lines = log_lines(gureum, name, "REPORT RequestId")
    timeout_reports = [line for line in lines if line.startswith("INIT_REPORT")]
    assert len(timeout_reports) == 1, lines
    assert "\tPhase: init\tStatus: timeout" in timeout_reports[0], timeout_reports
    assert float(timeout_reports[0].split("Init Duration: ")[1].split(" ms")[0]) >= 10_000
    report = next(line for line in lines if line.startswith("REPORT"))
    assert "Init Duration" not in report, report
    duration_ms = float(report.split("Duration: ")[1].split(" ms")[0])
    assert duration_ms >= 10_500, report  # the retried init is part of the invocation
    # the environment it left is warm: the next invocation has its whole timeout
    resp, out = invoke_json(lam, name)
    assert out["remaining"] > 14_000, out


def test_a_retried_init_that_outlives_the_timeout_fails_the_invocation(gureum, lam, make_function):
    name = make_function(SLOW_INIT, Timeout=3)
    resp, out = invoke_json(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Sandbox.Timedout", out
    assert out["errorMessage"] == f"RequestId: {resp['ResponseMetadata']['RequestId']} Error: Task timed out after 3.00 seconds", out
    lines = log_lines(gureum, name, "Phase: invoke")
    reports = [line for line in lines if line.startswith("INIT_REPORT")]
    assert [r.split("\t", 1)[1] for r in reports] == ["Phase: init\tStatus: timeout", "Phase: invoke\tStatus: timeout"], reports
