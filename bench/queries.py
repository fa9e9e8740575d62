"""Queries per page, and where one request's time goes: the requests of the page benchmark, one at a time.

    python -m bench.queries --db rehab_bench_10k

Every request of the page benchmark's plan (bench/plan.py) is sent through django.test.Client with the
production settings (bench.settings). The first time warms per-process caches; the queries of the second are
counted, everything included: session, user, clinic, page. The count must not grow with the size of the
network: the report lists the distinct counts per page and compares the most each size needed (a user whose page
has a section with nothing in it may need fewer, the reads that section would need being skipped).

Then each request is sent `--rounds` more times, timed from the moment Django's handler has the request to
the moment it has the response (so the test client's own work is left out), and split four ways:
database statements (sending them and waiting for PostgreSQL's answer, through Django's execute wrapper),
the ORM's compiling of queries into SQL, template rendering (its own time, without the statements a template
sets off), and the rest (middleware, views, forms, building querysets, turning rows into model instances).
Unlike the page benchmark this is one request at a time, so it says what a page costs, not how it queues.

`--profile PAGE` runs that page's timed rounds under cProfile and prints where its Python time goes.
"""

import argparse
import cProfile
import io
import pstats
import re
import statistics
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from bench.common import collect_static, configure, size_label, write_raw


class Stopwatch:
    """Database, SQL-compiling and template time inside one request; template time excludes the statements it
    sets off and the SQL it has compiled."""

    def __init__(self):
        self.db = 0.0
        self.compile = 0.0
        self.templates = 0.0
        self._renders: list[float] = []  # for each template being rendered: time spent in its children
        self._compiling = 0  # nested compilers (subqueries, a backend's compiler calling its parent's) count once

    @contextmanager
    def compiling(self):
        if self._compiling:
            yield
            return
        self._compiling += 1
        started = time.perf_counter()
        try:
            yield
        finally:
            self._compiling -= 1
            self.compile += self._outside_templates(time.perf_counter() - started)

    def _outside_templates(self, spent: float) -> float:
        """Time that a template being rendered set off but did not spend itself."""
        if self._renders:
            self._renders[-1] += spent
        return spent

    def db_wrapper(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.db += self._outside_templates(time.perf_counter() - started)

    @contextmanager
    def template_render(self):
        started = time.perf_counter()
        self._renders.append(0.0)
        try:
            yield
        finally:
            spent = time.perf_counter() - started
            children = self._renders.pop()
            self.templates += spent - children
            if self._renders:
                self._renders[-1] += spent


def _instrument_templates(watch: Stopwatch):
    """Time Django's template rendering (its Template._render, which every template and include goes through);
    inside this benchmark process only."""
    from django.template.base import Template

    original = Template._render

    def _render(self, context):
        with watch.template_render():
            return original(self, context)

    Template._render = _render
    return lambda: setattr(Template, "_render", original)


def _instrument_compilers(watch: Stopwatch):
    """Time the ORM's turning of a query into SQL (each compiler's as_sql, the outermost call only); inside this
    benchmark process only. Building the query (filter, annotate) is not in it: that stays in "the rest"."""
    from django.db.models.sql import compiler

    classes = [
        compiler.SQLCompiler,
        compiler.SQLInsertCompiler,
        compiler.SQLDeleteCompiler,
        compiler.SQLUpdateCompiler,
        compiler.SQLAggregateCompiler,
    ]
    originals = {cls: cls.__dict__["as_sql"] for cls in classes}

    def timed(original):
        def as_sql(self, *args, **kwargs):
            with watch.compiling():
                return original(self, *args, **kwargs)

        return as_sql

    for cls, original in originals.items():
        cls.as_sql = timed(original)

    def restore():
        for cls, original in originals.items():
            cls.as_sql = original

    return restore


def _timed_handler(client, watch: Stopwatch, samples: list[dict]):
    """Wrap the client's handler so that each request's time is taken inside Django, not the test client."""
    handler = client.handler
    original = handler.get_response

    def get_response(request):
        watch.db = watch.compile = watch.templates = 0.0
        started, cpu = time.perf_counter(), time.process_time()
        response = original(request)
        total = time.perf_counter() - started
        samples.append(
            {
                "total": total,
                "cpu": time.process_time() - cpu,
                "db": watch.db,
                "compile": watch.compile,
                "templates": watch.templates,
            }
        )
        return response

    handler.get_response = get_response


def _median_ms(samples: list[dict], key: str) -> float:
    return round(statistics.median(s[key] for s in samples) * 1000, 2) if samples else 0.0


def run(db: str, clinics: int, rounds: int, pages: list[str] | None = None, profile: str = "", sql: str = "") -> dict:
    collect_static(db)
    configure(db)
    import redis
    from django.conf import settings
    from django.db import connection
    from django.db.models import Max
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.plan import PAGES, make_plan
    from checkins.models import CheckIn as SessionReport
    from rehab.models import User

    with connection.cursor() as cursor:
        cursor.execute("SELECT (value->>'patients')::int FROM bench_meta WHERE key = 'generation'")
        patients = cursor.fetchone()[0]
    plan = make_plan(clinics=clinics)
    last_report = SessionReport.objects.aggregate(m=Max("pk"))["m"] or 0
    users = {u.pk: u for u in User.objects.filter(pk__in=plan.users())}
    counts: dict[str, list[int]] = {}
    statuses: dict[str, set[int]] = {}
    timings: dict[str, list[dict]] = {}
    watch = Stopwatch()
    restore_templates = _instrument_templates(watch)
    restore_compilers = _instrument_compilers(watch)
    pages = pages or list(PAGES)
    try:
        for page in pages:
            counts[page], statuses[page], timings[page] = [], set(), []
            clients = []
            for request in plan.requests[page]:
                client = Client()
                client.force_login(users[request.user_id])
                clients.append((client, request))

            def send(client, request):
                if request.method == "POST":
                    data = {**request.form, "idempotency_key": str(uuid.uuid4())}
                    return client.post(request.path, data)
                return client.get(request.path)

            for client, request in clients:
                send(client, request)  # warms the process's caches
                with CaptureQueriesContext(connection) as queries:
                    response = send(client, request)
                counts[page].append(len(queries))
                if page == sql and len(counts[page]) == 1:
                    _print_statements(page, request.path, queries.captured_queries)
                statuses[page].add(response.status_code)
            with connection.execute_wrapper(watch.db_wrapper):
                for client, _request in clients:
                    _timed_handler(client, watch, timings[page])
                profiler = cProfile.Profile() if page == profile else None
                if profiler:
                    profiler.enable()
                for _ in range(rounds):
                    for client, request in clients:
                        statuses[page].add(send(client, request).status_code)
                if profiler:
                    profiler.disable()
                    _print_profile(profiler, page, requests=rounds * len(clients))
    finally:
        restore_templates()
        restore_compilers()
        # The check-ins this sent, and the evaluations they queued on Redis db 9.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM checkins_exerciseresult WHERE checkin_id > %s", [last_report])
            cursor.execute("DELETE FROM checkins_checkin WHERE id > %s", [last_report])
        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    result = {
        "db": db,
        "patients": patients,
        "rounds": rounds,
        "pages": {
            page: {
                "distinct": sorted(set(counts[page])),
                "users": len(counts[page]),
                "statuses": sorted(statuses[page]),
                "per_request": counts[page],
                "time": {
                    "requests": len(timings[page]),
                    "total_ms": _median_ms(timings[page], "total"),
                    "cpu_ms": _median_ms(timings[page], "cpu"),
                    "db_ms": _median_ms(timings[page], "db"),
                    "compile_ms": _median_ms(timings[page], "compile"),
                    "templates_ms": _median_ms(timings[page], "templates"),
                },
            }
            for page in pages
        },
    }
    if pages == list(PAGES) and not (profile or sql):
        write_raw(f"queries_{size_label(patients)}", result)
    return result


def _print_statements(page: str, path: str, captured: list[dict]):
    """The statements of one request of a page, in the order it sent them, each with its time."""
    print(f"[queries] the {len(captured)} statements of {page} ({path}):", flush=True)
    for number, query in enumerate(captured, 1):
        print(f"{number:3}. {float(query['time']) * 1000:7.2f} ms  {query['sql']}", flush=True)


def _print_profile(profiler: cProfile.Profile, page: str, *, requests: int, top: int = 45):
    """Where a page's Python time goes (the test client's own work included), by each function's own time."""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    print(
        f"[queries] profile of {page}: {requests} requests; per request = total / {requests} (its timings above and "
        "below include the profiler's own overhead)",
        flush=True,
    )
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    project = re.escape(str(Path(__file__).resolve().parent.parent)) + r"/(?!\.venv)"
    stats.sort_stats("cumulative").print_stats(project, top)  # the project's own functions
    print(out.getvalue(), flush=True)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a database made by bench.generate, e.g. rehab_bench_10k")
    parser.add_argument("--clinics", type=int, default=20, help="clinics to take users from (default 20)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds over every request (default 5)")
    parser.add_argument("--pages", default="", help="only these pages, comma-separated (the raw results are kept)")
    parser.add_argument("--profile", default="", help="profile this page's timed rounds with cProfile and print it")
    parser.add_argument(
        "--sql", default="", help="print the statements of this page's first request (alone, unless --pages says more)"
    )
    args = parser.parse_args(argv)
    pages = [p for p in args.pages.split(",") if p] or ([args.sql] if args.sql else None)
    from bench.plan import PAGES

    unknown = [p for p in [*(pages or []), *filter(None, [args.profile, args.sql])] if p not in PAGES]
    if unknown or (args.sql and args.sql not in pages) or (args.profile and pages and args.profile not in pages):
        parser.error(f"pages are {', '.join(PAGES)}; --sql and --profile name one of the pages measured")
    result = run(args.db, args.clinics, args.rounds, pages=pages, profile=args.profile, sql=args.sql)
    for page, data in result["pages"].items():
        t = data["time"]
        print(
            f"[queries {args.db}] {page}: {'/'.join(map(str, data['distinct']))} queries "
            f"({data['users']} users, status {data['statuses']}); one request {t['total_ms']:.1f} ms: database "
            f"{t['db_ms']:.1f}, compiling SQL {t['compile_ms']:.1f}, templates {t['templates_ms']:.1f}, the rest "
            f"{t['total_ms'] - t['db_ms'] - t['compile_ms'] - t['templates_ms']:.1f}",
            flush=True,
        )
    return result


if __name__ == "__main__":
    main()
