"""B1's load generator, run as its own process: signed Lever deliveries with 20 % duplicates.

    python -m bench.loadgen '{"url": ..., "key": ..., "opportunities": [...], "count": N,
                             "threads": T, "rate": R or null}'

Prints one JSON object: sent, distinct tokens, errors, seconds, throughput and latencies (ms).
With `rate` the deliveries are paced (open loop: latency is measured from the scheduled send);
without it every thread sends as fast as the server answers.
"""

from __future__ import annotations

import json
import random
import secrets
import sys
import threading
import time

import requests

from dashboard.lever.sync.webhooks import signature_for

DUPLICATE_SHARE = 0.2


def bodies(key: str, opportunities: list[str], count: int, seed: int = 7) -> list[bytes]:
    """`count` signed delivery bodies; about 20 % repeat an earlier delivery (same token)."""
    rng = random.Random(seed)
    out: list[bytes] = []
    for _ in range(count):
        if out and rng.random() < DUPLICATE_SHARE:
            out.append(rng.choice(out))
            continue
        token, at = secrets.token_hex(24), int(time.time() * 1000)
        out.append(json.dumps({"triggeredAt": at, "event": "applicationCreated", "token": token,
                               "data": {"opportunityId": rng.choice(opportunities)},
                               "signature": signature_for(key, token, at)}).encode())
    return out


def run(spec: dict) -> dict:
    """Send the deliveries of `spec`; returns the counted figures."""
    payloads = bodies(spec["key"], spec["opportunities"], spec["count"], spec.get("seed", 7))
    distinct = len({json.loads(b)["token"] for b in payloads})
    rate = spec.get("rate")
    lock = threading.Lock()
    cursor = {"next": 0}
    latencies: list[float] = []
    errors: list[str] = []
    began = time.perf_counter()

    def worker():
        session = requests.Session()
        while True:
            with lock:
                index = cursor["next"]
                cursor["next"] += 1
            if index >= len(payloads):
                return
            due = began + index / rate if rate else time.perf_counter()
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            try:
                resp = session.post(spec["url"], data=payloads[index], timeout=30,
                                    headers={"Content-Type": "application/json", "User-Agent": "Lever-Webhooks"})
                ok = 200 <= resp.status_code < 300
                detail = f"HTTP {resp.status_code}"
            except requests.RequestException as exc:
                ok, detail = False, type(exc).__name__
            took = (time.perf_counter() - due) * 1000
            with lock:
                latencies.append(took)
                if not ok:
                    errors.append(detail)

    threads = [threading.Thread(target=worker) for _ in range(spec.get("threads", 16))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    return {"sent": len(payloads), "distinct": distinct, "errors": len(errors), "error_kinds": sorted(set(errors)),
            "seconds": seconds, "throughput": len(payloads) / seconds, "latencies_ms": latencies}


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
