"""A small HTTP load generator, run as a second process so client work does not share the
server's interpreter: ``python bench/loadgen.py PLAN.json`` prints one JSON object of latencies.

The plan names the base URL, the session cookies to send, the number of concurrent workers
(threads, each with its own keep-alive connection), requests per worker, and the requests to cycle
through (method, path, optional form). Each worker starts at a different offset in the list.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

REQUEST_TIMEOUT_S = 30


def run(plan: dict[str, Any]) -> dict[str, Any]:
    results: dict[str, list[float]] = {item["name"]: [] for item in plan["requests"]}
    errors: dict[str, int] = dict.fromkeys(results, 0)
    lock = threading.Lock()

    def worker(offset: int) -> None:
        client = httpx.Client(
            base_url=plan["base_url"], cookies=plan.get("cookies", {}), timeout=REQUEST_TIMEOUT_S
        )
        requests = plan["requests"]
        for i in range(plan["requests_per_worker"]):
            item = requests[(offset + i) % len(requests)]
            form = _fill(item.get("form"), offset, i)
            body = _fill(item.get("json"), offset, i)
            started = time.perf_counter()
            response = client.request(
                item["method"], item["path"], data=form, json=body, headers=item.get("headers")
            )
            elapsed_ms = (time.perf_counter() - started) * 1000
            with lock:
                results[item["name"]].append(elapsed_ms)
                if response.status_code not in item.get("ok", [200]):
                    errors[item["name"]] += 1
        client.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(plan["workers"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall_s = time.perf_counter() - started
    return {"wall_s": wall_s, "latencies_ms": results, "errors": errors}


def _fill(fields: dict[str, Any] | None, worker: int, index: int) -> dict[str, Any] | None:
    # "{unique}" in a text value becomes a per-request unique token (client transfer ids).
    if fields is None:
        return None
    unique = f"w{worker}-{index}-{time.time_ns()}"
    return {
        key: value.replace("{unique}", unique) if isinstance(value, str) else value
        for key, value in fields.items()
    }


if __name__ == "__main__":
    print(json.dumps(run(json.loads(Path(sys.argv[1]).read_text()))))
