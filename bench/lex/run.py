"""Lex V2 RecognizeText latency: p50 and p90 in ms of RecognizeText on a built bot (20
intents of 5 sample utterances, a custom slot type; no code hook) against gureum's own floor
in the same run: STS GetCallerIdentity p50 on the same client connection, and SSM
PutParameter p50 (one store write, as a turn writes its session). No peer runs Lex,
so there is no other server to compare with.

    python bench/lex/run.py [--calls 300]

Loopback only; gureum is started and stopped here.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import Gureum, client  # noqa: E402


def timed(fn: Callable[[int], object], n: int) -> list[float]:
    fn(-1)
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def build_bot(models: Any) -> str:
    bot = models.create_bot(botName="Bench", roleArn="arn:aws:iam::000000000000:role/lex",
                            dataPrivacy={"childDirected": False}, idleSessionTTLInSeconds=300)["botId"]
    common = {"botId": bot, "botVersion": "DRAFT", "localeId": "en_US"}
    models.create_bot_locale(nluIntentConfidenceThreshold=0.4, **common)
    city = models.create_slot_type(slotTypeName="City", slotTypeValues=[
        {"sampleValue": {"value": c}} for c in ("seoul", "busan", "paris", "tokyo", "lima")], **common)["slotTypeId"]
    for i in range(20):
        intent = models.create_intent(intentName=f"Intent{i}", sampleUtterances=[
            {"utterance": f"topic{i} please"}, {"utterance": f"I want topic{i} in {{City}}"},
            {"utterance": f"tell me about topic{i}"}, {"utterance": f"book topic{i} for tomorrow"},
            {"utterance": f"what is topic{i} like"}], **common)["intentId"]
        models.create_slot(slotName="City", slotTypeId=city, intentId=intent, valueElicitationSetting={
            "slotConstraint": "Optional"}, **common)
    models.build_bot_locale(**common)
    deadline = time.monotonic() + 60
    while models.describe_bot_locale(**common)["botLocaleStatus"] != "Built":
        if time.monotonic() > deadline:
            raise RuntimeError("the bot did not build")
        time.sleep(0.05)
    return str(bot)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=300)
    args = ap.parse_args()
    server = Gureum(prefix="gureum-lex-bench-", settings=["ecs.enabled=0", "ses.smtp_port=0"]).start()
    url = server.endpoint
    try:
        sts, models, runtime = client(url, "sts"), client(url, "lexv2-models"), client(url, "lexv2-runtime")
        bot = build_bot(models)
        floor = timed(lambda i: sts.get_caller_identity(), args.calls)
        ssm = client(url, "ssm")
        write = timed(lambda i: ssm.put_parameter(Name="/bench/p", Value=str(i), Type="String", Overwrite=True), args.calls)
        session = uuid.uuid4().hex
        texts = ["I want topic7 in paris", "tell me about topic13", "something unrelated entirely"]
        recognize = timed(lambda i: runtime.recognize_text(botId=bot, botAliasId="TSTALIASID", localeId="en_US",
                                                           sessionId=session, text=texts[i % len(texts)]), args.calls)
    finally:
        server.stop(30)
    f50, r50 = statistics.median(floor), statistics.median(recognize)
    r90 = statistics.quantiles(recognize, n=10)[-1]
    print(f"Lex V2 RecognizeText, {args.calls} calls, 20 intents x 5 utterances, one client")
    print(f"  floor: STS GetCallerIdentity p50   {f50:7.2f} ms")
    print(f"  one store write: SSM PutParameter p50 {statistics.median(write):6.2f} ms")
    print(f"  RecognizeText p50                  {r50:7.2f} ms  ({r50 / f50:.2f} x floor), p90 {r90:.2f} ms")
    print("  no peer runs Lex: there is no other server to compare with")
    return 0


if __name__ == "__main__":
    sys.exit(main())
