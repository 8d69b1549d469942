"""Pre-initialised sandboxes (lambda_/spares.py): a cold start after another of the same
runtime runs on a runtime process that was started before the function existed, with the
function's own code, variables, limits and credentials, and a spare serves one function
only (the next function, of another account, gets its own). Isolated sandboxes only."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import SUITE_RUNTIME_DATE, GureumProcess
from lambda_helpers import ISOLATED, TRUST, invoke_json, zip_of
from waiting import wait_for

pytestmark = pytest.mark.skipif(not ISOLATED, reason="needs root for namespaces and cgroups")

ACCOUNT_B = "444455556666"

PROBE = textwrap.dedent(
    """
    import os, socket, sys
    def handler(event, context):
        with open("/proc/self/stat") as f:
            started = int(f.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
        return {"started": started, "files": sorted(os.listdir("/var/task")), "mine": open("mine.txt").read(),
                "var": os.environ.get("MARK"), "key": os.environ.get("AWS_ACCESS_KEY_ID"), "cwd": os.getcwd(),
                "path0": sys.path[0], "stdin": os.read(0, 10).decode(), "host": socket.gethostname(),
                "function": context.function_name, "memory": context.memory_limit_in_mb, "event": event}
    """
)


@pytest.fixture(scope="module")
def gureum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    """This module's own gureum: no other test's cold start can take the spare a test waits
    for (on the shared one, a concurrent python3.12 cold start did, and the test raced it)."""
    proc = GureumProcess(tmp_path_factory.mktemp("spares") / "data", env=SUITE_RUNTIME_DATE)
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def lam(gureum: GureumProcess) -> Any:
    return gureum.client("lambda")


def _uptime() -> float:
    """Seconds since boot (the clock /proc/<pid>/stat's start times count in)."""
    with open("/proc/uptime") as f:
        return float(f.read().split()[0])


def _spares(gureum: Any) -> int:
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/status", timeout=5) as r:
        nodes = json.load(r)["nodes"]
    return sum(int(((n.get("runs") or {}).get("lambda") or {}).get("spares", 0)) for n in nodes)


def _create(lam: Any, iam: Any, mark: str, **kwargs: Any) -> str:
    role = iam.create_role(RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    name = f"spare-{uuid.uuid4().hex[:8]}"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                        Code={"ZipFile": zip_of({"app.py": PROBE, "mine.txt": mark})},
                        Environment={"Variables": {"MARK": mark}}, **kwargs)
    return name


def test_cold_start_runs_on_a_runtime_started_before_the_function_existed(gureum: Any, lam: Any) -> None:
    iam = gureum.client("iam")
    first = _create(lam, iam, "first")
    invoke_json(lam, first, {})  # a cold start of python3.12: its spare is started after it
    wait_for("a spare sandbox on the roster", lambda: _spares(gureum) >= 1, timeout=90)

    before = _uptime()
    second = _create(lam, iam, "second", MemorySize=384)
    _, out = invoke_json(lam, second, {"n": 2})
    assert out["started"] <= before, (out["started"], before)  # the runtime was waiting already
    assert out["mine"] == "second" and out["files"] == ["app.py", "mine.txt"]
    assert (out["var"], out["function"], out["memory"], out["event"]) == ("second", second, "384", {"n": 2})
    assert out["cwd"] == "/var/task" and out["path0"] == "/var/task" and out["stdin"] == ""
    assert out["key"] and out["key"] != "000000000000"  # the execution role's credentials

    _, again = invoke_json(lam, second, {"n": 3})  # warm: the same environment
    assert again["host"] == out["host"] and again["event"] == {"n": 3}

    # Another account's next cold start never gets that environment, nor its files.
    lam_b = gureum.client("lambda", aws_access_key_id=ACCOUNT_B)
    third = _create(lam_b, gureum.client("iam", aws_access_key_id=ACCOUNT_B), "third")
    try:
        _, other = invoke_json(lam_b, third, {})
        assert other["host"] != out["host"]
        assert other["mine"] == "third" and other["files"] == ["app.py", "mine.txt"] and other["var"] == "third"
    finally:
        lam_b.delete_function(FunctionName=third)
        lam.delete_function(FunctionName=first)
        lam.delete_function(FunctionName=second)


OWN_CLIENTS = {
    "nodejs22.x": ("index.handler", "index.mjs", textwrap.dedent(
        """
        import fs from "node:fs";
        export const handler = async (event, context) => ({
          started: Number(fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ")[19]) / 100,
          mine: fs.readFileSync("mine.txt", "utf8"), var: process.env.MARK ?? null, cwd: process.cwd(),
          spare: process.env._GUREUM_SPARE ?? null, function: context.functionName, event });
        """)),
    "ruby3.3": ("app.handler", "app.rb", textwrap.dedent(
        """
        def handler(event:, context:)
          { started: File.read('/proc/self/stat').split(') ')[1].split(' ')[19].to_i / 100.0,
            mine: File.read('mine.txt'), var: ENV['MARK'], cwd: Dir.pwd, spare: ENV['_GUREUM_SPARE'],
            function: context.function_name, event: event }
        end
        """)),
}


@pytest.mark.parametrize("runtime", sorted(OWN_CLIENTS))
def test_own_clients_take_the_handover_from_a_spare(gureum: Any, lam: Any, runtime: str) -> None:
    """gureum's Node.js and Ruby clients wait in a spare for the function's environment
    (clock ticks: SC_CLK_TCK is 100 on Linux x86_64)."""
    iam = gureum.client("iam")
    role = iam.create_role(RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    handler, file, source = OWN_CLIENTS[runtime]
    names = []

    def create(mark: str) -> str:
        name = f"spare-{uuid.uuid4().hex[:8]}"
        lam.create_function(FunctionName=name, Runtime=runtime, Role=role, Handler=handler, Timeout=30,
                            Code={"ZipFile": zip_of({file: source, "mine.txt": mark})}, Environment={"Variables": {"MARK": mark}})
        names.append(name)
        return name

    try:
        spares = _spares(gureum)
        invoke_json(lam, create("first"), {})
        wait_for(f"a spare sandbox for {runtime}", lambda: _spares(gureum) > spares, timeout=90)
        before = _uptime()
        second = create("second")
        _, out = invoke_json(lam, second, {"n": 2})
        assert out["started"] <= before, (out["started"], before)
        assert (out["mine"], out["var"], out["cwd"], out["spare"]) == ("second", "second", "/var/task", None)
        assert (out["function"], out["event"]) == (second, {"n": 2})
    finally:
        for name in names:
            lam.delete_function(FunctionName=name)


JAVA_PROBE = """
package spare;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;

public class Probe implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    static String read(InputStream in) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = new byte[4096];
        for (int n; (n = in.read(b)) > 0; ) out.write(b, 0, n);
        return new String(out.toByteArray(), StandardCharsets.UTF_8);
    }

    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        try {
            Map<String, Object> out = new HashMap<>();
            String stat = new String(Files.readAllBytes(Paths.get("/proc/self/stat")), StandardCharsets.UTF_8);
            out.put("started", Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19]) / 100.0);
            out.put("mine", new String(Files.readAllBytes(Paths.get("mine.txt")), StandardCharsets.UTF_8));
            out.put("var", System.getenv("MARK"));
            out.put("spare", System.getenv("_GUREUM_SPARE"));
            Process child = new ProcessBuilder("/bin/sh", "-c", "printf %s \\"$MARK:$_GUREUM_SPARE\\"").start();
            out.put("child", read(child.getInputStream()));
            out.put("heap", Runtime.getRuntime().maxMemory());
            out.put("function", context.getFunctionName());
            out.put("event", event);
            return out;
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
"""


@pytest.mark.skipif(shutil.which("javac") is None, reason="no JDK (apt-get install default-jdk-headless)")
def test_java_takes_the_handover_from_a_spare_for_getenv_and_child_processes(gureum: Any, lam: Any, tmp_path: Path) -> None:
    """The JVM of a spare was started before the function existed; the function sees its own
    variables through System.getenv and in the processes it starts, and a heap sized for its
    memory (a Java spare's key holds the memory size)."""
    from gureum.services.lambda_.runtimes import java

    src = tmp_path / "src" / "spare" / "Probe.java"
    src.parent.mkdir(parents=True)
    src.write_text(JAVA_PROBE)
    subprocess.run(["javac", "-nowarn", "-Xlint:-options", "--release", "8", "-cp", str(java.client_dir() / "classes"),
                    "-d", str(tmp_path / "classes"), str(src)], check=True, capture_output=True, timeout=300)
    classes = {str(p.relative_to(tmp_path / "classes")): p.read_bytes() for p in (tmp_path / "classes").rglob("*.class")}
    iam = gureum.client("iam")
    role = iam.create_role(RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    names = []

    def create(mark: str) -> str:
        name = f"spare-{uuid.uuid4().hex[:8]}"
        lam.create_function(FunctionName=name, Runtime="java17", Role=role, Handler="spare.Probe::handleRequest", Timeout=30,
                            MemorySize=512, Code={"ZipFile": zip_of({**classes, "mine.txt": mark})},
                            Environment={"Variables": {"MARK": mark}})
        names.append(name)
        return name

    try:
        spares = _spares(gureum)
        invoke_json(lam, create("first"), {})
        wait_for("a spare sandbox for java17", lambda: _spares(gureum) > spares, timeout=120)
        before = _uptime()
        second = create("second")
        _, out = invoke_json(lam, second, {"n": 2})
        assert out["started"] <= before, (out["started"], before)
        assert (out["mine"], out["var"], out["spare"], out["child"]) == ("second", "second", None, "second:")
        assert (out["function"], out["event"]) == (second, {"n": 2})
        assert 0 < out["heap"] <= 512 * 1024 * 1024 * 85 // 100
    finally:
        for name in names:
            lam.delete_function(FunctionName=name)
