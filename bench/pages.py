"""Page benchmark: pages under concurrent load through gunicorn with the production settings, against a floor.

    python -m bench.pages --db rehab_bench_100k [--duration 20] [--connections 6] [--workers 3]

Starts gunicorn on 127.0.0.1 (a free port) the way the Dockerfile does (sync workers, access log), with
bench.settings: the production settings (DEBUG off, whitenoise manifest storage, Redis db 9, PostgreSQL) plus
a floor view, /bench/floor/, a short HTML page behind exactly the same middleware. Each page is then loaded
by wrk from a second process over loopback: a warm-up, then --duration seconds with --connections
connections, requests spread round-robin over the users of bench/plan.py (logged in with server-side
sessions; the check-in POST carries a CSRF cookie and token and a new idempotency key per request).
Reported per page: p50, p95, p99 latency, requests per second, unexpected responses (any status other than
200, or for the POST other than a 302 to the report's page), socket errors and timeouts, and the ratio of
its p95 to the floor's. The check-ins it sent are deleted afterwards and the Redis queue it filled emptied.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import BENCH_DIR, PROJECT_DIR, bench_env, collect_static, configure, size_label, write_raw

EXPECT = {"checkin": (302, "/check-ins/"), "checkin_floor": (302, "/check-ins/")}


def lua_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_lua_plan(path: Path, page: str, requests, sessions, csrf) -> None:
    from urllib.parse import urlencode

    status, location = EXPECT.get(page, (200, None))
    lines = [
        "return {",
        f"  expect = {status},",
        f"  location = {lua_str(location) if location else 'nil'},",
        "  requests = {",
    ]
    for r in requests:
        cookie = f"sessionid={sessions[r.user_id]}; csrftoken={csrf[r.user_id]}"
        headers = {"Cookie": cookie}
        body = ""
        if r.method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            prefix = urlencode(r.form) + "&idempotency_key="
            suffix = "&" + urlencode({"csrfmiddlewaretoken": csrf[r.user_id]})
            body = f", body_prefix = {lua_str(prefix)}, body_suffix = {lua_str(suffix)}"
        header_text = ", ".join(f"[{lua_str(k)}] = {lua_str(v)}" for k, v in headers.items())
        lines.append(
            f"    {{method = {lua_str(r.method)}, path = {lua_str(r.path)}, headers = {{{header_text}}}{body}}},"
        )
    lines += ["  },", "}"]
    path.write_text("\n".join(lines) + "\n")


# What a page lists, read from its markup: a page and its floor must list the same (checked before the load).
LISTED = {
    "flag_queue": (r'id="patient-row-(\d+)"', r'id="flag-(\d+)"'),
    "dashboard": (
        r'id="flag-(\d+)"',
        r'id="open-flags-(\d+)"',
        r'id="review-(\d+)"',
        r'id="ready-(\d+)"[\s\S]*?<div(?: class="small")?>([^<]+)</div>',  # with rule 17's evidence in words
        r'id="no-program-(\d+)"',
    ),
    "patient_detail": (
        r'href="/flags/(\d+)/"',
        r'id="checkin-(\d+)"',
        r"(\d+) sessions? reported, (\d+) planned",  # adherence over 14 and 28 days
        r"(Review the threshold)",
    ),
    # Each row's figures: the physiotherapist (or the whole clinic), then every cell in order.
    "outcomes": (r'<th scope="row">([^<]*)</th>((?:\s*<td>[^<]*</td>)+)',),
}


def listed(page: str, html: str) -> list[list[str]]:
    import re

    def tight(found):  # the same cells whatever the white space between tags
        return (
            tuple(tight(part) for part in found) if isinstance(found, tuple) else re.sub(r">\s+<", "><", found).strip()
        )

    return [sorted({tight(found) for found in re.findall(pattern, html)}) for pattern in LISTED.get(page, ())]


def send(port: int, request, session: str, csrf: str) -> tuple[int, str, int, str]:
    """One request, no redirect followed: (status, Location, body bytes, body)."""
    from uuid import uuid4

    from bench.plan import form_body

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": f"sessionid={session}; csrftoken={csrf}"}
    body = None
    if request.method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = form_body(request.form, idempotency_key=str(uuid4()), csrf_token=csrf)
    conn.request(request.method, request.path, body=body, headers=headers)
    response = conn.getresponse()
    content = response.read()
    conn.close()
    return response.status, response.getheader("Location") or "", len(content), content.decode(errors="replace")


class Gunicorn:
    """gunicorn as production runs it (Dockerfile: sync workers, access log), on loopback, with bench.settings."""

    def __init__(self, db: str, workers: int, log_dir: Path):
        collect_static(db)
        self.port = free_port()
        self.access_log = log_dir / "access.log"
        self.error_log = log_dir / "error.log"
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "rehab.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--access-logfile",
            str(self.access_log),
            "--error-logfile",
            str(self.error_log),
        ]
        self.process = subprocess.Popen(command, cwd=PROJECT_DIR, env=bench_env(db))  # noqa: S603
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.error_log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def problems(self) -> list[str]:
        text = self.error_log.read_text(errors="replace") if self.error_log.exists() else ""
        markers = ("WORKER TIMEOUT", "Traceback", "[ERROR]", "[CRITICAL]")
        return [line for line in text.splitlines() if any(m in line for m in markers)]


class CpuMeter:
    """CPU time used by other processes while a page is measured: the CPU time of every process that ran
    through the whole measurement, except gunicorn (master and workers), wrk, this process and the benchmark
    database's PostgreSQL backends. Processes that start or end meanwhile are left out (gunicorn's database
    connections are replaced every CONN_MAX_AGE seconds: their backends must not count as other work).
    Linux /proc only."""

    def __init__(self, db: str, gunicorn_pid: int):
        self.db, self.gunicorn_pid = db, gunicorn_pid
        self.tick = os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _snapshot() -> dict[int, tuple[int, int, int]]:
        """pid -> (parent pid, start time, CPU jiffies) of every process."""
        out = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[int(entry.name)] = (int(fields[1]), int(fields[19]), int(fields[11]) + int(fields[12]))
        return out

    def _ours(self, snapshot: dict) -> set[int]:
        import psycopg

        from bench.common import dsn

        with psycopg.connect(dsn(self.db), autocommit=True) as conn:
            backends = {r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.db])}
        parents = {self.gunicorn_pid, os.getpid()}
        children = {pid for pid, (ppid, _start, _cpu) in snapshot.items() if ppid in parents}
        return parents | children | backends

    def start(self) -> None:
        self.started, self.before = time.monotonic(), self._snapshot()
        self.ours_before = self._ours(self.before)

    def other_share(self) -> float:
        """Other processes' CPU as a share of the whole machine since start()."""
        elapsed = time.monotonic() - self.started
        after = self._snapshot()
        ours = self.ours_before | self._ours(after)
        jiffies = sum(
            cpu - self.before[pid][2]
            for pid, (_ppid, started, cpu) in after.items()
            if pid not in ours and pid in self.before and self.before[pid][1] == started
        )
        return jiffies / self.tick / (elapsed * (os.cpu_count() or 1))


def wrk(port: int, plan_path: Path, *, seconds: int, connections: int, threads: int) -> dict:
    nonce = random.randrange(1, 2**31)  # noqa: S311 - a run marker for the idempotency keys, not a secret
    command = [
        shutil.which("wrk") or "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(BENCH_DIR / "wrk.lua"),
        f"http://127.0.0.1:{port}",
        "--",
        str(plan_path),
        str(nonce),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=True)  # noqa: S603
    line = next(line for line in reversed(done.stdout.splitlines()) if line.startswith("{"))
    return json.loads(line)


def run(db: str, *, clinics: int, seconds: int, warmup: int, connections: int, threads: int, workers: int) -> dict:
    configure(db)
    import redis
    from django.conf import settings
    from django.db import connection
    from django.db.models import Max

    from bench.plan import FLOOR_OF, LABELS, PAGES, create_sessions, csrf_secret, delete_sessions, make_plan
    from checkins.models import CheckIn as SessionReport

    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM bench_meta WHERE key = 'generation'")
        generation = cursor.fetchone()[0]
        generation = json.loads(generation) if isinstance(generation, str) else generation
        patients = generation["patients"]
    plan = make_plan(clinics=clinics)
    sessions = create_sessions(plan.users())
    csrf = {user_id: csrf_secret() for user_id in sessions}
    last_report = SessionReport.objects.aggregate(m=Max("pk"))["m"] or 0
    connection.close()
    work_dir = Path(tempfile.mkdtemp(prefix=f"{db}-pages-"))
    results: dict[str, dict] = {}
    server = None
    load_before = os.getloadavg()
    try:
        for page in PAGES:
            write_lua_plan(work_dir / f"{page}.lua", page, plan.requests[page], sessions, csrf)
        server = Gunicorn(db, workers, work_dir)
        print(f"[pages {db}] gunicorn with {workers} workers on 127.0.0.1:{server.port}", flush=True)
        sizes, bodies = {}, {}
        for page in PAGES:
            expected_status, location = EXPECT.get(page, (200, None))
            replies = [send(server.port, r, sessions[r.user_id], csrf[r.user_id]) for r in plan.requests[page]]
            wrong = [(s, loc) for s, loc, *_ in replies if s != expected_status or (location and location not in loc)]
            if wrong:
                raise RuntimeError(f"{page}: unexpected replies before the load: {wrong[:3]}")
            sizes[page] = round(sum(size for _s, _l, size, _b in replies) / len(replies))
            bodies[page] = [body for *_, body in replies]
        same = {}
        for page, floor_page in FLOOR_OF.items():
            if page not in LISTED:
                continue
            mismatches = [
                i
                for i, (mine, its) in enumerate(zip(bodies[page], bodies[floor_page], strict=True))
                if listed(page, mine) != listed(page, its)
            ]
            same[page] = not mismatches
            listed_n = sum(len(ids) for body in bodies[page] for ids in listed(page, body))
            print(f"[pages {db}] {page} and its floor list the same: {not mismatches} ({listed_n} ids)", flush=True)
        for page in PAGES:
            plan_path = work_dir / f"{page}.lua"
            if warmup:
                wrk(server.port, plan_path, seconds=warmup, connections=connections, threads=threads)
            meter = CpuMeter(db, server.process.pid)
            meter.start()
            stats = wrk(server.port, plan_path, seconds=seconds, connections=connections, threads=threads)
            stats["other_cpu_pct"] = round(100 * meter.other_share(), 1)
            stats["rps"] = stats["requests"] / (stats["duration_us"] / 1e6)
            stats["errors"] = stats["unexpected"] + sum(
                stats[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
            )
            stats["users"] = len(plan.requests[page])
            stats["bytes"] = sizes[page]
            stats["label"] = LABELS[page]
            results[page] = stats
            print(
                f"[pages {db}] {page}: p50 {stats['p50_us'] / 1000:.1f} ms, p95 {stats['p95_us'] / 1000:.1f} ms, "
                f"{stats['rps']:.0f} req/s, {stats['errors']} errors, other processes {stats['other_cpu_pct']:.0f}% CPU"
                + (f" (e.g. {stats['example']})" if stats["errors"] else ""),
                flush=True,
            )
        problems = server.problems()
    finally:
        if server is not None:
            server.stop()
        from django.db import connection as conn

        with conn.cursor() as cursor:
            cursor.execute("DELETE FROM checkins_exerciseresult WHERE checkin_id > %s", [last_report])
            cursor.execute("DELETE FROM checkins_checkin WHERE id > %s", [last_report])
        delete_sessions(sessions)
        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
        shutil.rmtree(work_dir, ignore_errors=True)
    floor_p95 = results["floor"]["p95_us"]
    for page, stats in results.items():
        stats["p95_ratio"] = stats["p95_us"] / floor_p95 if floor_p95 else float("nan")
        if page in FLOOR_OF and results[FLOOR_OF[page]]["p95_us"]:  # a page that answered nothing has no p95
            stats["own_floor_ratio"] = stats["p95_us"] / results[FLOOR_OF[page]]["p95_us"]
            stats["same_as_floor"] = same.get(page)
    result = {
        "db": db,
        "patients": patients,
        "config": {
            "gunicorn_workers": workers,
            "wrk_threads": threads,
            "connections": connections,
            "seconds": seconds,
            "warmup_seconds": warmup,
            "clinics": plan.clinics,
            "detail_reports": plan.detail_reports,
            "cores": os.cpu_count(),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        },
        "generation": generation,
        "server_problems": problems[:20],
        "pages": results,
    }
    write_raw(f"pages_{size_label(patients)}", result)
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a database made by bench.generate, e.g. rehab_bench_100k")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per page (default 20)")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per page (default 5)")
    parser.add_argument("--connections", type=int, default=6, help="concurrent connections (default 6)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3, as the Dockerfile)")
    parser.add_argument("--clinics", type=int, default=20, help="clinics to take users from (default 20)")
    args = parser.parse_args(argv)
    result = run(
        args.db,
        clinics=args.clinics,
        seconds=args.duration,
        warmup=args.warmup,
        connections=args.connections,
        threads=args.threads,
        workers=args.workers,
    )
    if result["server_problems"]:
        print(f"[pages {args.db}] gunicorn reported: {result['server_problems'][:3]}", flush=True)
    return result


if __name__ == "__main__":
    main()
