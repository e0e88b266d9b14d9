"""Load of single delivery reports, one per POST: `wrk` when installed, else a Python load generator.

Each request reports a different message (`<prefix><first + k>` for k cycling through `count`), so every one
is real work, the same for the webhook and for the bare view.
"""

import http.client
import json
import multiprocessing
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

CONNECTIONS = 8
_WRK_SCRIPT = r"""
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  prefix, first, count, nthreads = args[1], tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Webhook-Token"] = args[5]
  k = tid
end
function request()
  local n = first + (k % count)
  k = k + nthreads
  return wrk.format(nil, nil, nil, '{"messageId":"' .. prefix .. n ..
    '","deliveryStatus":"Delivered","description":"","errorCode":null,"updatedAt":"2025-12-11T08:50:04.5000993Z"}')
end
"""


@dataclass
class Load:
    prefix: str
    first: int
    count: int
    token: str


def report_body(message_id: str) -> dict:
    return {"messageId": message_id, "deliveryStatus": "Delivered", "description": "", "errorCode": None,
            "updatedAt": "2025-12-11T08:50:04.5000993Z"}


def generator_name() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def run(url: str, load: Load, *, duration_s: float) -> dict:
    """POST single reports to `url` for `duration_s`; requests/s answered 2xx, and the errors."""
    if shutil.which("wrk"):
        return _run_wrk(url, load, duration_s)
    return _run_python(url, load, duration_s)


def _run_wrk(url: str, load: Load, duration_s: float) -> dict:
    threads = 2
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_WRK_SCRIPT)
        script.flush()
        out = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(CONNECTIONS), "-d", f"{max(1, round(duration_s))}s",
             "--timeout", "10s", "-s", script.name, url, "--", load.prefix, str(load.first), str(load.count),
             str(threads), load.token],
            capture_output=True, text=True, check=True,
        ).stdout
    total, amount, unit = re.search(r"(\d+) requests in ([\d.]+)(\w+),", out).groups()
    seconds = float(amount) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60}[unit]
    bad = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    ok = int(total) - bad
    return {"requests_per_s": ok / seconds, "ok": ok, "non_2xx": bad, "socket_errors": errors, "seconds": seconds}


def _python_worker(args) -> tuple[int, int, float]:
    url, load, duration_s, slot, slots, threads = args
    parts = urlsplit(url)
    counts = [[0, 0] for _ in range(threads)]
    started = time.perf_counter()
    deadline = started + duration_s

    def loop(index: int) -> None:
        stride, k = slots * threads, slot * threads + index
        headers = {"Content-Type": "application/json", "X-Webhook-Token": load.token}
        while time.perf_counter() < deadline:
            body = json.dumps(report_body(f"{load.prefix}{load.first + k % load.count}"))
            k += stride
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            conn.request("POST", parts.path, body, headers)
            status = conn.getresponse().status
            conn.close()
            counts[index][0 if 200 <= status < 300 else 1] += 1

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(c[0] for c in counts), sum(c[1] for c in counts), time.perf_counter() - started


def _run_python(url: str, load: Load, duration_s: float) -> dict:
    slots, threads = 2, CONNECTIONS // 2
    with multiprocessing.get_context("spawn").Pool(slots) as pool:
        results = pool.map(_python_worker, [(url, load, duration_s, s, slots, threads) for s in range(slots)])
    seconds = max(r[2] for r in results)
    ok, bad = sum(r[0] for r in results), sum(r[1] for r in results)
    return {"requests_per_s": ok / seconds, "ok": ok, "non_2xx": bad, "socket_errors": 0, "seconds": seconds}
