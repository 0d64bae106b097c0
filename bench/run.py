"""`make bench`: the production configuration under load, every figure beside a baseline.

Steps: check for wrk; make the bench database (``learning_bench``, PostgreSQL) and use its own
Redis key prefix (``learning-bench``: nothing else in the shared Redis is touched); migrate, load
the demo data and scale it up (bench/scale_data.py; reused when already there); then, for each
serving architecture (scripts/serve.py starts them exactly as ``make serve`` does), warm up and
measure every HTTP scenario with wrk (2 threads, 32 connections) next to the minimal view
(``/bench/minimal/``, bench/settings.py) on the same server; then the chat fan-out over the two
daphne processes (bench/chat_load.py); then the resident memory of every app process. Prints
one table and writes it, with the raw figures, to var/bench/. Everything it started is stopped
at the end, on failure and on Ctrl+C.

    python -m bench.run                 # the full run (make bench)
    python -m bench.run --smoke         # tiny data, 2-second runs: does the machinery work?
    python -m bench.run --arch split    # one architecture only (split: gunicorn + daphne)
    python -m bench.run --fresh         # drop the bench database and generate the data again
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import serve  # noqa: E402  (scripts/serve.py: the same start-up as `make serve`)

from bench import chat_load  # noqa: E402

PYTHON = sys.executable
HOST = "127.0.0.1"
LUA = Path(__file__).with_name("report.lua")
OUT = ROOT / "var" / "bench"

# name, URL key (bench/scale_data.py), who, target: (kind, value)
SCENARIOS = [
    ("home, anonymous", "home", "anon", None),
    ("subject, anonymous", "subject", "anon", ("ratio", 0.5)),
    ("course, anonymous", "course", "anon", ("ratio", 0.5)),
    ("module, anonymous (→ log-in)", "module", "anon", None),
    ("catalog search, anonymous", "catalog_search", "anon", ("ratio", 0.5)),
    ("home, student", "home", "student", None),
    ("subject, student", "subject", "student", None),
    ("course, student", "course", "student", ("ratio", 0.30)),
    ("module, student", "module", "student", ("ratio", 0.30)),
    ("catalog search, student", "catalog_search", "student", None),
    ("API courses list, token", "api_courses", "token", ("ratio", 0.25)),
    ("API contents/ 20 modules, token", "api_contents", "token", ("p50", 50)),
]


def fail(message):
    print(f"bench: {message}", file=sys.stderr)
    sys.exit(2)


def check_wrk():
    wrk = shutil.which("wrk")
    if wrk is None:
        fail(
            "wrk is not installed. Install it with `sudo apt-get install wrk` (Debian/Ubuntu) "
            "or `brew install wrk` (macOS), then run `make bench` again."
        )
    return wrk


def environment(args):
    name = "learning_bench_smoke" if args.smoke else "learning_bench"
    env = serve.environment()
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=f"postgres://postgres@{HOST}:5432/{name}",
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", f"redis://{HOST}:6379/0"),
        REDIS_PREFIX=name.replace("_", "-"),
        ALLOWED_HOSTS=HOST,
        PAGE_CACHE_SECONDS="600",
        # wrk sends thousands of requests a second from one address: the API's request rates
        # would answer most of them 429. BENCH_API_RATE (e.g. 100000000/min) counts requests
        # without refusing any, to measure what counting costs (docs/performance.md).
        API_RATE_ANONYMOUS=os.environ.get("BENCH_API_RATE", "off"),
        API_RATE_USER=os.environ.get("BENCH_API_RATE", "off"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env, name


def drop_database(name):
    import psycopg2
    from psycopg2 import sql

    assert name.startswith("learning_bench")  # never anything else
    connection = psycopg2.connect(dbname="postgres", user="postgres", host=HOST)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
    connection.close()


def prepare_data(env, args):
    started = time.monotonic()
    serve.prepare(env)
    size = (
        ["--subjects", "2", "--courses", "4", "--modules", "40", "--students", "40"]
        if args.smoke
        else []
    )
    data_file = OUT / ("data-smoke.json" if args.smoke else "data.json")
    subprocess.run(  # noqa: S603
        [PYTHON, "-m", "bench.scale_data", "--out", str(data_file), *size],
        check=True,
        env=env,
        cwd=ROOT,
    )
    print(f"data ready in {time.monotonic() - started:.0f} s", flush=True)
    return json.loads(data_file.read_text())


# --- HTTP -------------------------------------------------------------------------------------
def headers_for(who, data):
    if who == "student":
        return {"Cookie": data["student_cookie"]}
    if who == "token":
        return {"Authorization": f"Bearer {data['token']}"}
    return {}


def probe(port, path, headers):
    """(status, X-Page-Cache) of one request, redirects not followed."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("X-Page-Cache") or ""
    finally:
        connection.close()


def wrk(binary, port, path, headers, seconds, threads=2, connections=32):
    command = [binary, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(LUA)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://{HOST}:{port}{path}")
    output = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    match = re.search(r"^BENCH_JSON (.*)$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    raw = json.loads(match.group(1))
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": errors,
        "requests": raw["requests"],
    }


def measure(binary, port, path, headers, args):
    wrk(binary, port, path, headers, args.warmup)
    status, cache = probe(port, path, headers)
    result = wrk(binary, port, path, headers, args.duration)
    return {**result, "status": status, "cache": cache}


def http_scenarios(binary, port, data, args):
    results = []
    baseline = measure(binary, port, "/bench/minimal/", {}, args)
    print(f"  baseline: {baseline['rps']:.0f} req/s", flush=True)
    for name, key, who, target in SCENARIOS:
        if args.only and not any(word in name for word in args.only.split(";")):
            continue
        result = measure(binary, port, data["urls"][key], headers_for(who, data), args)
        if target and target[0] == "p50":  # a latency target: one client, no queueing
            alone = wrk(binary, port, data["urls"][key], headers_for(who, data), 3, 1, 1)
            result["alone_p50_ms"] = alone["p50_ms"]
        result.update(name=name, path=data["urls"][key], target=target)
        result["ratio"] = result["rps"] / baseline["rps"] if baseline["rps"] else 0
        print(
            f"  {name}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms "
            f"(HTTP {result['status']} {result['cache']})",
            flush=True,
        )
        results.append(result)
    return baseline, results


# --- processes --------------------------------------------------------------------------------
def descendants(pid):
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def rss_mb(pid):
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    name = re.search(r"Name:\s+(\S+)", status).group(1)
    return (name, int(match.group(1)) / 1024) if match else None


def memory(children):
    figures = []
    for child in children:
        for pid in descendants(child.pid):
            found = rss_mb(pid)
            if found:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                role = "gunicorn" if any(b"gunicorn" in part for part in command) else "daphne"
                if role == "gunicorn":
                    role += " master" if pid == child.pid else " worker"
                figures.append({"pid": pid, "role": role, "rss_mb": found[1]})
    return figures


# --- chat -------------------------------------------------------------------------------------
def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def wait_idle(pids, limit):
    """Wait (up to ``limit`` seconds) until the app processes use under 10% of a CPU: the
    work a scenario queued (say, presence updates after 500 clients leave) must not be
    charged to the next one. Returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = cpu_seconds(pids)
        time.sleep(1)
        if cpu_seconds(pids) - before < 0.1:
            break
    return time.monotonic() - started


def chat_scenarios(ports, data, args, pids):
    results = {}
    big = data["big_room"]
    cookies = big["cookies"][: args.chat_clients]
    seconds = args.chat_seconds
    print(f"  chat: {len(cookies)} clients in one room over ports {ports}", flush=True)
    results["fan-out"] = chat_load.run(
        {big["course"]: cookies},
        ports,
        processes=args.chat_processes,
        messages=int(seconds / 0.05),
        interval=0.05,
        senders=min(40, len(cookies)),
        connect_seconds=args.chat_connect,
        settle=lambda: wait_idle(pids, 60),
    )
    waited = wait_idle(pids, 60)
    print(f"  chat: servers idle again after {waited:.0f} s", flush=True)
    rooms = dict(list(data["rooms"].items())[: args.rooms])
    print(f"  chat: {len(rooms)} rooms × 5 clients, each client 1 message/s", flush=True)
    results["rooms"] = chat_load.run(
        rooms,
        ports,
        processes=args.chat_processes,
        messages=int(seconds * 5),
        interval=0.2,
        senders=5,
        connect_seconds=args.chat_connect,
        settle=lambda: wait_idle(pids, 30),
    )
    return results


# --- the run ----------------------------------------------------------------------------------
def run_architecture(arch, binary, env, data, args, port, log):
    print(f"\n== {arch}: starting", flush=True)
    workers = args.workers or serve.default_workers()
    children, ports = serve.start(arch, env, HOST, port, 2, workers, log=log)
    try:
        serve.wait_until_listening(children, HOST, ports["http"] + ports["ws"], timeout=90)
        baseline, results = (
            http_scenarios(binary, ports["http"][0], data, args) if args.http else (None, [])
        )
        chat = None
        if args.chat and arch == args.chat_arch:
            pids = [pid for child in children for pid in descendants(child.pid)]
            chat = chat_scenarios(ports["ws"], data, args, pids)
        return {
            "arch": arch,
            "workers": workers if arch == "split" else None,
            "baseline": baseline,
            "scenarios": results,
            "chat": chat,
            "memory": memory(children),
        }
    finally:
        serve.stop(children)


def verdict(result, baseline):
    target = result["target"]
    if target is None:
        return ""
    kind, value = target
    if kind == "ratio":
        met = result["ratio"] >= value
        return f"≥{value:.0%} {'met' if met else 'MISSED'}"
    alone = result["alone_p50_ms"]
    met = alone < value
    return f"p50<{value}ms with 1 client: {alone:.0f} ms {'met' if met else 'MISSED'}"


def table(runs, data, wall):
    lines = []
    counts = data["counts"]
    lines.append(
        f"Data: {counts['subjects']} subjects, {counts['courses']} courses, "
        f"{counts['modules']} modules, {counts['students']} students. "
        f"wrk 2 threads / 32 connections. Wall time {wall:.0f} s."
    )
    for run in runs:
        base = run["baseline"]
        title = (
            f"gunicorn ({run['workers']} sync workers) for HTTP + 2 daphne for /ws/"
            if run["arch"] == "split"
            else "2 daphne processes (HTTP and /ws/), one shared socket"
        )
        lines.append("")
        lines.append(f"## {run['arch']}: {title}")
        if base is None:
            base = {"rps": 0, "p50_ms": 0, "p99_ms": 0, "errors": 0}
        lines.append(
            "| scenario | HTTP | req/s | p50 ms | p99 ms | errors | baseline req/s | ratio "
            "| target |"
        )
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|---|")
        lines.append(
            f"| minimal view (baseline) | 200 | {base['rps']:.0f} | {base['p50_ms']:.1f} | "
            f"{base['p99_ms']:.1f} | {base['errors']} | {base['rps']:.0f} | 100% | |"
        )
        for result in run["scenarios"]:
            status = f"{result['status']} {result['cache']}".strip()
            lines.append(
                f"| {result['name']} | {status} | {result['rps']:.0f} | {result['p50_ms']:.1f} | "
                f"{result['p99_ms']:.1f} | {result['errors']} | {base['rps']:.0f} | "
                f"{result['ratio']:.0%} | {verdict(result, base)} |"
            )
        if run["chat"]:
            lines.append("")
            lines.append(
                "| chat | clients (connected) | join s | settle s | messages sent | deliveries "
                "| p50 ms | p99 ms | max ms | lost | refused | target |"
            )
            lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
            for name, chat in run["chat"].items():
                target = ""
                if name == "fan-out":
                    met = (
                        chat["connected"] == chat["clients"]
                        and chat["deliveries"] > 0
                        and chat["p99_ms"] < 100
                        and chat["lost"] + chat["never_delivered"] == 0
                    )
                    target = f"p99<100ms, 0 lost {'met' if met else 'MISSED'}"
                lines.append(
                    f"| {name} | {chat['clients']} ({chat['connected']}) | "
                    f"{chat['connect_seconds']:.0f} | {chat['settle_seconds']:.0f} | "
                    f"{chat['sent']} | "
                    f"{chat['deliveries']} | {chat['p50_ms']:.1f} | {chat['p99_ms']:.1f} | "
                    f"{chat['max_ms']:.0f} | {chat['lost'] + chat['never_delivered']} | "
                    f"{chat['refused']} | {target} |"
                )
        lines.append("")
        memory = ", ".join(f"{m['role']} {m['rss_mb']:.0f} MB" for m in run["memory"])
        biggest = max((m["rss_mb"] for m in run["memory"]), default=0)
        lines.append(
            f"Memory after the run (RSS): {memory}; target <250 MB each "
            f"{'met' if biggest < 250 else 'MISSED'}."
        )
    return "\n".join(lines)


def parse_args():
    parser = argparse.ArgumentParser(description="Benchmark the production configuration.")
    parser.add_argument("--smoke", action="store_true", help="tiny data, 2-second runs")
    parser.add_argument("--fresh", action="store_true", help="drop and regenerate the bench DB")
    parser.add_argument("--arch", default="split,daphne", help="comma-separated: split, daphne")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (CPUs+1)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per scenario")
    parser.add_argument("--port", type=int, default=18000, help="first port to use")
    parser.add_argument(
        "--only",
        default="",
        help="the HTTP scenarios whose name holds one of these ;-separated words",
    )
    parser.add_argument("--no-chat", dest="chat", action="store_false")
    parser.add_argument("--no-http", dest="http", action="store_false")
    parser.add_argument("--chat-arch", default="split", help="the architecture to run chat on")
    parser.add_argument("--chat-clients", type=int, default=500)
    parser.add_argument("--chat-processes", type=int, default=4)
    parser.add_argument("--chat-seconds", type=float, default=10)
    parser.add_argument("--chat-connect", type=float, default=45, help="seconds to join")
    parser.add_argument("--rooms", type=int, default=100)
    args = parser.parse_args()
    if args.smoke:
        args.duration, args.warmup = 2, 1
        args.chat_clients, args.chat_processes, args.chat_seconds, args.rooms = 20, 1, 2, 4
        args.chat_connect = 20
    return args


def main():
    args = parse_args()
    binary = check_wrk()
    started = time.monotonic()
    OUT.mkdir(parents=True, exist_ok=True)

    def interrupted(*_):
        raise KeyboardInterrupt

    # SIGINT too: a shell that starts the bench in the background ignores it otherwise.
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    env, database = environment(args)
    if args.fresh:
        drop_database(database)
    data = prepare_data(env, args)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    runs = []
    with open(OUT / f"servers-{stamp}.log", "wb") as log:
        for offset, arch in enumerate(args.arch.split(",")):
            port = args.port + offset * 10
            runs.append(run_architecture(arch.strip(), binary, env, data, args, port, log))
    report = table(runs, data, time.monotonic() - started)
    (OUT / f"results-{stamp}.md").write_text(report + "\n")
    (OUT / f"results-{stamp}.json").write_text(json.dumps(runs, indent=1, default=str))
    print("\n" + report)
    print(f"\n(written to {OUT / f'results-{stamp}.md'})")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("bench: interrupted; every server it started is stopped.", file=sys.stderr)
        sys.exit(130)
