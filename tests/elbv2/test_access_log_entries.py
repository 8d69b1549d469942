"""Access log entries and file names on values (access_logs.py's pure functions): AWS's field
order and quoting, -1 times where no target answered, the key layout by the delivery's end."""

from __future__ import annotations

import shlex

from gureum.services.elbv2.access_logs import Served, Trail, entry, object_key

LB = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/50dc6c495c0c9188"
TG = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/73e2d6bc24d8a067"
FORWARD = {"Priority": "default", "Actions": [{"Type": "forward"}]}


def _served(status: int, from_target: bool) -> Served:
    return Served("HTTPS", LB, ("192.0.2.7", 2817), "POST", "https://www.example.com:443/api?a=b", None, status,
                  from_target, TG, 34, 366, None)


def test_an_answer_from_a_target_has_its_three_times() -> None:
    trail = Trail(received=1530570168.364, started=10.0, rule=FORWARD, target=("10.0.0.1", 80),
                  trace="Root=1-58337262-36d228ad5d99923122bbe354", sent=10.001, answered=10.5)
    f = shlex.split(entry(_served(200, True), trail, 10.502, 1530570180.186641))
    assert f[:13] == ["https", "2018-07-02T22:23:00.186641Z", "app/web/50dc6c495c0c9188", "192.0.2.7:2817", "10.0.0.1:80",
                      "0.001", "0.499", "0.002", "200", "200", "34", "366", "POST https://www.example.com:443/api?a=b HTTP/1.1"]
    assert f[13:22] == ["-", "-", "-", TG, "Root=1-58337262-36d228ad5d99923122bbe354", "-", "-", "0", "2018-07-02T22:22:48.364000Z"]
    assert f[22:29] == ["forward", "-", "-", "10.0.0.1:80", "200", "-", "-"]
    assert len(f) == 30 and f[29].startswith("TID_")


def test_a_target_that_failed_leaves_minus_one_times_and_no_target_status() -> None:
    trail = Trail(received=1.0, started=10.0, rule=FORWARD, target=("10.0.0.1", 80), trace="Root=1-0-0", sent=10.001,
                  answered=10.2)
    f = shlex.split(entry(_served(502, False), trail, 10.3, 2.0))
    assert (f[4], f[5], f[6], f[7], f[8], f[9]) == ("10.0.0.1:80", "-1", "-1", "-1", "502", "-")
    assert (f[25], f[26]) == ("10.0.0.1:80", "-")


def test_the_file_name_is_awss_layout_at_the_deliverys_end() -> None:
    key = object_key("my-app", "123456789012", "us-east-2", "web", "50dc6c495c0c9188", 1392507600.0 - 30, "192.0.2.1", "2soosksgsasnl")
    assert key == ("my-app/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2014/02/15/123456789012_elasticloadbalancing_"
                   "us-east-2_app.web.50dc6c495c0c9188_20140215T2339Z_192.0.2.1_2soosksgsasnl.log.gz")
    assert object_key("", "123456789012", "us-east-2", "web", "x", 0.0, "192.0.2.1", "r").startswith("AWSLogs/123456789012/")
