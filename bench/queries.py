"""Queries per page: the SQL queries each benchmarked request sends, per user, at one size.

    python -m bench.queries --db rehab_bench_10k

Every request of the page benchmark's plan (bench/plan.py) is sent twice through django.test.Client with
the production settings (bench.settings); the queries of the second request are counted (the first warms
per-process caches), everything included: session, user, clinic, page. The count must not depend on the size
of the network, nor on the user: the report lists the distinct counts per page.
"""

import argparse
import uuid

from bench.common import configure, size_label, write_raw


def run(db: str, clinics: int) -> dict:
    configure(db)
    import redis
    from django.conf import settings
    from django.db import connection
    from django.db.models import Max
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.plan import PAGES, make_plan
    from programs.models import SessionReport
    from rehab.models import User

    with connection.cursor() as cursor:
        cursor.execute("SELECT (value->>'patients')::int FROM bench_meta WHERE key = 'generation'")
        patients = cursor.fetchone()[0]
    plan = make_plan(clinics=clinics)
    last_report = SessionReport.objects.aggregate(m=Max("pk"))["m"] or 0
    users = {u.pk: u for u in User.objects.filter(pk__in=plan.users())}
    counts: dict[str, list[int]] = {}
    statuses: dict[str, set[int]] = {}
    try:
        for page in PAGES:
            counts[page] = []
            statuses[page] = set()
            for request in plan.requests[page]:
                client = Client()
                client.force_login(users[request.user_id])
                for attempt in range(2):
                    with CaptureQueriesContext(connection) as queries:
                        if request.method == "POST":
                            data = {**request.form, "idempotency_key": str(uuid.uuid4())}
                            response = client.post(request.path, data)
                        else:
                            response = client.get(request.path)
                    if attempt == 1:
                        counts[page].append(len(queries))
                        statuses[page].add(response.status_code)
    finally:
        # The check-ins this sent, and the evaluations they queued on Redis db 9.
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM programs_exerciseresult WHERE report_id > %s; "
                "DELETE FROM programs_sessionreport WHERE id > %s",
                [last_report, last_report],
            )
        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    result = {
        "db": db,
        "patients": patients,
        "pages": {
            page: {
                "distinct": sorted(set(counts[page])),
                "users": len(counts[page]),
                "statuses": sorted(statuses[page]),
                "per_request": counts[page],
            }
            for page in PAGES
        },
    }
    write_raw(f"queries_{size_label(patients)}", result)
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a database made by bench.generate, e.g. rehab_bench_10k")
    parser.add_argument("--clinics", type=int, default=20, help="clinics to take users from (default 20)")
    args = parser.parse_args(argv)
    result = run(args.db, args.clinics)
    for page, data in result["pages"].items():
        print(
            f"[queries {args.db}] {page}: {'/'.join(map(str, data['distinct']))} queries "
            f"({data['users']} users, status {data['statuses']})",
            flush=True,
        )
    return result


if __name__ == "__main__":
    main()
