"""Attack tests: what a function must not reach or do (isolated sandboxes only).

Each test plays the attacker from inside a function: another environment's Runtime API,
the host's loopback listeners and the outside, privileges (no_new_privs, seccomp, user
namespaces, keyrings), the host's files, and running while no invocation is in progress.
The only off-machine destination used is TEST-NET-3 (203.0.113.0/24), as a connect target
that must fail, and only from a namespace without a default route, so no packet leaves.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from harness import GureumProcess
from lambda_helpers import ISOLATED, TRUST, invoke_json, zip_of
from waiting import wait_for

pytestmark = pytest.mark.skipif(not ISOLATED, reason="needs root for namespaces and cgroups")

ACCOUNT_B = "222233334444"

VICTIM = textwrap.dedent(
    """
    import os
    def handler(event, context):
        return {"by": "victim", "api": os.environ["AWS_LAMBDA_RUNTIME_API"], "event": event}
    """
)

THIEF = textwrap.dedent(
    """
    import json, socket, time
    def handler(event, context):
        host, port = event["api"].split(":")
        try:
            s = socket.create_connection((host, int(port)), timeout=2)
        except OSError as exc:
            return {"stolen": None, "error": repr(exc)}
        s.settimeout(event["wait"])
        s.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
        data = b""
        try:
            while b"\\r\\n\\r\\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, _, body = data.partition(b"\\r\\n\\r\\n")
            rid = ""
            for line in head.split(b"\\r\\n"):
                if line.lower().startswith(b"lambda-runtime-aws-request-id:"):
                    rid = line.split(b":", 1)[1].strip().decode()
            if rid:  # answer in the victim's name
                forged = b'{"by": "thief"}'
                s2 = socket.create_connection((host, int(port)), timeout=2)
                s2.sendall(b"POST /2018-06-01/runtime/invocation/" + rid.encode() + b"/response HTTP/1.1\\r\\nHost: x\\r\\n"
                           b"Content-Length: " + str(len(forged)).encode() + b"\\r\\n\\r\\n" + forged)
                s2.recv(1024)
            return {"stolen": data.decode(errors="replace")[-2000:], "rid": rid}
        except socket.timeout:
            return {"stolen": None, "error": "timeout"}
    """
)


def _role(iam: Any) -> str:
    return iam.create_role(RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]


def test_function_of_another_account_cannot_take_an_environments_invocation(gureum: Any, lam: Any, make_function: Any) -> None:
    victim = make_function(VICTIM)
    _, first = invoke_json(lam, victim, {"n": 0})
    address = first["api"]

    lam_b = gureum.client("lambda", aws_access_key_id=ACCOUNT_B)
    thief = f"thief-{uuid.uuid4().hex[:8]}"
    lam_b.create_function(
        FunctionName=thief, Runtime="python3.12", Role=_role(gureum.client("iam", aws_access_key_id=ACCOUNT_B)),
        Handler="app.handler", Code={"ZipFile": zip_of({"app.py": THIEF})}, Timeout=30,
    )
    try:
        result: dict[str, Any] = {}

        def steal() -> None:
            # (where the address is the thief's own Runtime API, its poll ends its own
            # invocation with a null answer: AWS's rule for a runtime asking for more work)
            result["out"] = invoke_json(lam_b, thief, {"api": address, "wait": 4})[1]

        t = threading.Thread(target=steal)
        t.start()
        answers: list[tuple[Any, Any]] = []

        def thief_done() -> bool:  # the victim keeps being invoked while the thief waits
            resp, out = invoke_json(lam, victim, {"n": len(answers) + 1, "secret": "victim-secret"})
            answers.append((resp.get("FunctionError"), out))
            return not t.is_alive()

        wait_for("the thief's invocation to end", thief_done, timeout=60, interval=0.01)
        t.join()
        assert "out" in result, "the thief's invocation did not finish"
        assert "victim-secret" not in json.dumps(result["out"]), result
        for error, out in answers:
            assert error is None and out["by"] == "victim" and out["event"]["secret"] == "victim-secret", answers
        # the victim still answers its own invocations
        assert invoke_json(lam, victim, {"n": -1})[1]["event"] == {"n": -1}
    finally:
        lam_b.delete_function(FunctionName=thief)


PROBE = textwrap.dedent(
    """
    import errno, os, socket
    def try_connect(host, port):
        try:
            socket.create_connection((host, port), timeout=3).close()
            return "connected"
        except socket.timeout:
            return "timeout"
        except OSError as exc:
            return errno.errorcode.get(exc.errno, str(exc.errno))
    def default_route():
        # Never let a packet leave the machine, even if isolation were broken: connect to the
        # outside only when this namespace has no default route (the connect then fails locally).
        with open("/proc/net/route") as f:
            if any(line.split()[1] == "00000000" for line in f.read().splitlines()[1:] if line.split()):
                return True
        return False
    def handler(event, context):
        import boto3
        out = {"loopback": try_connect("127.0.0.1", event["port"]),
               "public": "has a default route" if default_route() else try_connect("203.0.113.1", 9)}
        # gureum's own API stays reachable through AWS_ENDPOINT_URL
        out["functions"] = len(boto3.client("lambda").list_functions()["Functions"])
        return out
    """
)


def test_function_reaches_gureum_but_not_host_loopback_nor_the_outside(lam: Any, make_function: Any) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        name = make_function(PROBE, Timeout=20)
        resp, out = invoke_json(lam, name, {"port": port})
    assert resp.get("FunctionError") is None, out
    assert out["loopback"] != "connected", out
    # fails at once (no route), not by a timeout after packets went out
    assert out["public"] in ("ENETUNREACH", "EHOSTUNREACH"), out
    assert out["functions"] >= 1


PRIVS = textwrap.dedent(
    """
    import ctypes, os
    libc = ctypes.CDLL(None, use_errno=True)
    def call(fn, *args):
        rc = fn(*args)
        return "ok" if rc >= 0 else os.strerror(ctypes.get_errno())
    def handler(event, context):
        status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
        pid = os.fork()
        if pid == 0:  # unshare in a child: success would change nothing for the runtime
            os._exit(0 if libc.unshare(0x10000000 | 0x40000000) == 0 else 1)
        _, st = os.waitpid(pid, 0)
        return {
            "nnp": status["NoNewPrivs"].strip(),
            "seccomp": status["Seccomp"].strip(),
            "userns": "ok" if os.waitstatus_to_exitcode(st) == 0 else "refused",
            # keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1)
            "keyctl": call(libc.syscall, 250, 0, -3, 1),
            # ptrace(PTRACE_ATTACH, 1)
            "ptrace": call(libc.ptrace, 16, 1, None, None),
        }
    """
)


def test_function_runs_with_no_new_privs_and_seccomp(lam: Any, make_function: Any) -> None:
    _, out = invoke_json(lam, make_function(PRIVS))
    assert out["nnp"] == "1", out
    assert out["seccomp"] == "2", out
    assert out["userns"] == "refused", out
    assert out["keyctl"] == os_strerror_eperm(), out
    assert out["ptrace"] != "ok", out


def os_strerror_eperm() -> str:
    import errno
    import os

    return os.strerror(errno.EPERM)


CMDLINE = textwrap.dedent(
    """
    def handler(event, context):
        return open("/proc/1/cmdline", "rb").read().replace(b"\\0", b" ").decode().strip()
    """
)


def test_pid_one_shows_no_host_path(lam: Any, make_function: Any, gureum: Any) -> None:
    _, out = invoke_json(lam, make_function(CMDLINE))
    assert "/" not in out, out
    assert str(gureum.data_dir) not in out


FREEZE = textwrap.dedent(
    """
    import os, subprocess, sys, time
    LOOP = "import time\\nn = 0\\nwhile True:\\n    n += 1\\n    open('/tmp/ticks.tmp', 'w').write(str(n))\\n    os.replace('/tmp/ticks.tmp', '/tmp/ticks')\\n    time.sleep(0.01)\\n"
    def ticks():
        try:
            return int(open("/tmp/ticks").read())
        except (OSError, ValueError):
            return 0
    def handler(event, context):
        if event["op"] == "start":
            subprocess.Popen([sys.executable, "-S", "-c", "import os\\n" + LOOP], start_new_session=True)
            while ticks() < 3:  # it is running
                time.sleep(0.01)
        return {"ticks": ticks()}
    """
)


def _frozen(pid: int) -> bool:
    """Whether the kernel holds `pid`'s cgroup fully frozen (v1 freezer, else v2), seen from the host."""
    groups = dict(line.split(":", 2)[1:] for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines())
    freezer = next((path for controllers, path in groups.items() if "freezer" in controllers.split(",")), None)
    if freezer is not None:
        return Path(f"/sys/fs/cgroup/freezer{freezer}/freezer.state").read_text().strip() == "FROZEN"
    events = [Path(f"{root}{groups['']}/cgroup.events") for root in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup")]
    return any(e.is_file() and "frozen 1" in e.read_text() for e in events)


def test_background_process_does_not_run_between_invocations(lam: Any, make_function: Any, gureum: Any) -> None:
    _frozen_between_invocations(lam, make_function(FREEZE), gureum)


def test_freeze_grace_zero_freezes_between_invocations(tmp_path: Path) -> None:
    """lambda.freeze_grace=0: the tree is frozen as soon as the runtime polls again (the
    default keeps it running 5 ms first); either way nothing runs while idle."""
    g = GureumProcess(tmp_path / "data", extra_args=["--set", "lambda.freeze_grace=0"])
    g.start()
    try:
        role = g.client("iam").create_role(RoleName=f"r-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(TRUST))
        lam = g.client("lambda")
        name = f"fn-{uuid.uuid4().hex[:8]}"
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"], Handler="app.handler",
                            Code={"ZipFile": zip_of({"app.py": FREEZE})})
        _frozen_between_invocations(lam, name, g)
    finally:
        g.stop()


def _frozen_between_invocations(lam: Any, name: str, gureum: Any) -> None:
    """A background process the function starts is frozen once the invocation has ended,
    does not tick while idle, and runs again for the next invocation."""
    invoke_json(lam, name, {"op": "start"})
    _, before = invoke_json(lam, name, {"op": "read"})

    def ticker() -> int | None:  # the background process, found from the host
        for pid in gureum.descendants():
            with contextlib.suppress(OSError):
                if b"ticks.tmp" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
        return None

    pid = wait_for("the background process", ticker, timeout=10)
    ticks = Path(f"/proc/{pid}/root/tmp/ticks")  # its own /tmp, read through its root
    wait_for("the environment frozen once the invocation ended", lambda: _frozen(pid), timeout=30, interval=0.02)
    held = int(ticks.read_text())
    assert held >= before["ticks"]
    time.sleep(1.0)  # real time: an idle window; running, the process would tick every 10 ms in it
    assert int(ticks.read_text()) == held and _frozen(pid)  # not one tick while no invocation runs
    _, after = invoke_json(lam, name, {"op": "read"})
    assert after["ticks"] >= held  # thawed for the invocation


OWN_ROOT = {
    "python3.12": ("app.handler", {"app.py": "import os\ndef handler(event, context):\n    return {p: os.path.exists(p) for p in event['paths']}\n"}),
    "nodejs20.x": ("index.handler", {"index.js": "const fs = require('fs');\nexports.handler = async (e) => Object.fromEntries(e.paths.map((p) => [p, fs.existsSync(p)]));\n"}),
    "ruby3.3": ("app.handler", {"app.rb": "def handler(event:, context:)\n  event['paths'].to_h { |p| [p, File.exist?(p)] }\nend\n"}),
}


@pytest.mark.parametrize("runtime", sorted(OWN_ROOT))
def test_function_sees_a_root_of_its_own(lam: Any, make_function: Any, runtime: str) -> None:
    handler, files = OWN_ROOT[runtime]
    venv = str(Path(sys.prefix).resolve())
    paths = ["/etc/shadow", "/etc/gshadow", "/usr/share/doc", "/usr/share/zoneinfo/Europe", "/usr/bin/apt", venv, "/root", "/work"]
    _, out = invoke_json(lam, make_function(files, runtime=runtime, handler=handler), {"paths": paths})
    assert isinstance(out, dict) and out, out
    assert not any(out.values()), out


TASK_PROBE = textwrap.dedent(
    """
    import errno, socket
    def handler(event, context):
        out = {}
        for key, (host, port) in event.items():
            try:
                with socket.create_connection((host, port), timeout=3) as s:
                    out[key] = s.recv(64).decode()
            except socket.timeout:
                out[key] = "timeout"
            except OSError as exc:
                out[key] = errno.errorcode.get(exc.errno, str(exc.errno))
        return out
    """
)


def test_function_reaches_task_addresses_but_not_the_host_on_the_bridge(lam: Any, make_function: Any) -> None:
    import subprocess

    from gureum.sandbox.network import Bridge

    bridge = Bridge()
    bridge.setup()
    if not bridge.available:
        pytest.skip(f"no task bridge: {bridge.reason}")
    task = bridge.create(f"t{uuid.uuid4().hex}")
    server = None
    try:
        serve = (
            "import socket\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "s.bind(('0.0.0.0', 8080))\ns.listen(8)\nwhile True:\n    c, _ = s.accept()\n    c.sendall(b'task')\n    c.close()\n"
        )
        server = subprocess.Popen(["ip", "netns", "exec", task.netns, sys.executable, "-c", serve])

        def task_answers() -> bool:  # seen from the host
            try:
                with socket.create_connection((task.ip, 8080), timeout=1) as s:
                    return s.recv(16) == b"task"
            except OSError:
                return False

        wait_for("the task's server to come up", task_answers, timeout=30, interval=0.02)
        with socket.socket() as host_listener:  # a host service on every address, the bridge's too
            host_listener.bind(("0.0.0.0", 0))
            host_listener.listen(8)
            port = host_listener.getsockname()[1]
            name = make_function(TASK_PROBE, Timeout=20)
            _, out = invoke_json(lam, name, {"task": [task.ip, 8080], "host": [bridge.gateway, port]})
        assert out["task"] == "task", out
        assert out["host"] in ("EHOSTUNREACH", "ENETUNREACH", "ECONNREFUSED"), out
    finally:
        if server is not None:
            server.kill()
            server.wait()
        bridge.destroy(task)


RESOLVE = textwrap.dedent(
    """
    import socket
    def handler(event, context):
        try:
            return socket.gethostbyname(event["name"])
        except OSError as exc:
            return repr(exc)
    """
)


def test_function_resolves_names_through_gureums_dns(gureum: Any, lam: Any, make_function: Any) -> None:
    r53 = gureum.client("route53")
    zone = f"iso-{uuid.uuid4().hex[:8]}.test"
    zid = r53.create_hosted_zone(Name=zone, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    r53.change_resource_record_sets(
        HostedZoneId=zid,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {"Name": f"svc.{zone}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "10.213.7.7"}]}}]},
    )
    _, out = invoke_json(lam, make_function(RESOLVE, Timeout=20), {"name": f"svc.{zone}"})
    assert out == "10.213.7.7"


FLAGS = textwrap.dedent(
    """
    import socket, struct
    def handler(event, context):
        name = b"".join(bytes([len(p)]) + p.encode() for p in event["name"].split(".")) + b"\\0"
        query = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + name + struct.pack(">HH", 1, 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        s.sendto(query, ("127.0.0.1", 53))
        reply = s.recv(4096)
        return {"ra": bool(reply[3] & 0x80), "rcode": reply[3] & 0x0F}
    """
)


def test_a_functions_nameserver_is_gureums_recursive_resolver(gureum: Any, lam: Any, make_function: Any) -> None:
    """A sandbox's 127.0.0.1:53 reaches the node's recursive resolver (Route 53 Resolver, as a
    VPC's resolver): answers carry RA, and names under gureum's root resolve (issue 20)."""
    r53 = gureum.client("route53")
    zone = f"ra-{uuid.uuid4().hex[:8]}.test"
    zid = r53.create_hosted_zone(Name=zone, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    r53.change_resource_record_sets(
        HostedZoneId=zid,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {"Name": f"svc.{zone}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "10.213.7.8"}]}}]},
    )
    _, out = invoke_json(lam, make_function(FLAGS, Timeout=20), {"name": f"svc.{zone}"})
    assert out == {"ra": True, "rcode": 0}


TLS = textwrap.dedent(
    """
    import ssl
    def handler(event, context):
        return ssl.create_default_context().cert_store_stats()["x509_ca"]
    """
)


def test_own_root_keeps_the_ca_certificates(lam: Any, make_function: Any) -> None:
    _, out = invoke_json(lam, make_function(TLS))
    assert out > 0
