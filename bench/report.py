"""Write the benchmark results as Markdown: bench/results.md, the same tables into bench/README.md, and a
summary into the project's README.md.

    python -m bench.report

Reads the raw results of the last run (bench/results/raw/*.json, written by the other steps) and checks the
goals of issue 8: the sweep within 2x of its floor at the largest size and growing linearly or better with
patients; each page's p95 within 3x of the floor's, with no error; the same queries per page at every size.
"""

import argparse
import json
import math
import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

from bench.common import BENCH_DIR, RAW_DIR

README = BENCH_DIR / "README.md"
PROJECT_README = BENCH_DIR.parent / "README.md"
RESULTS = BENCH_DIR / "results.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
SUMMARY_START, SUMMARY_END = "<!-- bench-summary:start -->", "<!-- bench-summary:end -->"
SWEEP_GOAL, LINEAR_SLACK = 2.0, 1.15
# Issue 23: each staff page and the check-in within 2x its own floor's p95 and 4x the trivial view's.
OWN_FLOOR_GOAL, TRIVIAL_GOAL = 2.0, 4.0


def _load(prefix: str) -> list[dict]:
    items = []
    for path in RAW_DIR.glob(f"{prefix}_*.json"):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "patients" in data:
            items.append(data)
    return sorted(items, key=lambda d: d["patients"])


def _n(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _exponent(n1: int, t1: float, n2: int, t2: float) -> str:
    return f"patients^{math.log(t2 / t1) / math.log(n2 / n1):.2f}" if n2 > n1 and t1 > 0 and t2 > 0 else ""


def _bytes(size: float) -> str:
    return f"{size / 1024:.0f} KiB" if size >= 10 * 1024 else f"{size / 1024:.1f} KiB"


def _yes(ok: bool) -> str:
    return "met" if ok else "**not met**"


def machine() -> str:
    cores = os.cpu_count()
    cpu, memory = "unknown CPU", ""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
        cpu = names[0] if names else cpu
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
        memory = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"`nproc` = {cores} ({cpu}{memory}), {system}"


def data_table(runs: list[dict]) -> list[str]:
    lines = [
        "| Patients | Clinics | Session reports | Exercise results | Flags | Flag events | Database | Load time |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        g = run["generation"]
        c = g["counts"]
        s = g["seconds"]
        lines.append(
            f"| {_n(g['patients'])} | {_n(c['rehab_clinic'])} | {_n(c['checkins_checkin'])} "
            f"| {_n(c['checkins_exerciseresult'])} | {_n(c['flags_flag'])} | {_n(c['flags_flagevent'])} "
            f"| {g['database_size']} | {s['total']:.0f} s ({s['simulate']:.0f} s simulate, {s['copy']:.0f} s COPY, "
            f"{s['constraints']:.0f} s constraints) |"
        )
    return lines


def sweep_section(runs: list[dict]) -> tuple[list[str], dict]:
    lines = [
        "| Patients | Floor (ms) | Sweep (ms) | Ratio | of which: missed evaluations (ms) | rest rule (ms) "
        "| Queries | Patients flagged | Reports evaluated | Sweep per 1,000 patients (ms) | Same patients |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for run in runs:
        per_k = run["sweep_ms"] / (run["patients"] / 1000)
        lines.append(
            f"| {_n(run['patients'])} | {_n(run['floor_ms'])} | {_n(run['sweep_ms'])} | {run['ratio']:.2f} "
            f"| {_n(run['evaluate_ms'])} | {_n(run['rest_ms'])} | {run['queries']} | {_n(run['candidates'])} "
            f"| {run['evaluated']} | {per_k:.1f} | {'yes' if not run['mismatches'] else 'NO'} |"
        )
    goals = {}
    if runs:
        big, small = runs[-1], runs[0]
        goals["ratio"] = big["ratio"] <= SWEEP_GOAL
        exponent = None
        if big["patients"] > small["patients"]:
            exponent = math.log(big["sweep_ms"] / small["sweep_ms"]) / math.log(big["patients"] / small["patients"])
            floor_exponent = math.log(big["floor_ms"] / small["floor_ms"]) / math.log(
                big["patients"] / small["patients"]
            )
            goals["linear"] = exponent <= LINEAR_SLACK
        lines += [
            "",
            f"- Goal: sweep within {SWEEP_GOAL:g}x of the floor at {_n(big['patients'])} patients: "
            f"{big['ratio']:.2f}x, {_yes(goals['ratio'])}.",
        ]
        if exponent is not None:
            lines.append(
                f"- Goal: work growing linearly or better: from {_n(small['patients'])} to {_n(big['patients'])} "
                f"patients the sweep's time grows as patients^{exponent:.2f} (floor: patients^{floor_exponent:.2f}; "
                f"1.00 is linear), {_yes(goals['linear'])}."
            )
    names = {
        "one_transaction": "lost evaluations in one transaction (`proposals.evaluate_missed_in_one_transaction`)",
    }
    diagnosed = [run for run in runs if run.get("diagnostics")]
    if diagnosed:
        lines += [
            "",
            "Diagnostics: the app's sweep with each change recommended in the README swapped in (inside the "
            "benchmark process only), same data, same reset between repetitions; median of the timed runs, and "
            "in brackets the ratio to the floor above.",
            "",
            "| Variant | "
            + " | ".join(f"{_n(r['patients'])} patients, ms" for r in diagnosed)
            + " | Growth | Same patients |",
            "|---|" + "---:|" * len(diagnosed) + "---:|:---:|",
        ]
        for name, label in names.items():
            cells, same = [], True
            for run in diagnosed:
                d = run["diagnostics"].get(name)
                if d is None:
                    cells.append("")
                    continue
                same = same and d["same_patients"]
                cells.append(f"{_n(d['sweep_ms'])} ({d['sweep_ms'] / run['floor_ms']:.2f})")
            first, last = diagnosed[0]["diagnostics"].get(name), diagnosed[-1]["diagnostics"].get(name)
            growth = (
                _exponent(diagnosed[0]["patients"], first["sweep_ms"], diagnosed[-1]["patients"], last["sweep_ms"])
                if first and last
                else ""
            )
            lines.append(f"| {label} | " + " | ".join(cells) + f" | {growth} | {'yes' if same else 'NO'} |")
    return lines, goals


def pages_section(runs: list[dict]) -> tuple[list[str], dict]:
    lines, goals = [], {}
    for run in reversed(runs):
        cfg = run["config"]
        lines += [
            f"**{_n(run['patients'])} patients** - gunicorn {cfg['gunicorn_workers']} sync workers, wrk "
            f"{cfg['wrk_threads']} thread / {cfg['connections']} connections, {cfg['seconds']} s per page after "
            f'{cfg["warmup_seconds"]} s warm-up, users from {cfg["clinics"]} clinics. "Other processes\' CPU" is '
            "the share of the machine's CPU used during the measurement by anything but gunicorn, wrk and the "
            "benchmark database's PostgreSQL backends (other work on the machine skews the timings).",
            "",
            "| Page | p50 (ms) | p95 (ms) | p99 (ms) | Requests/s | p95 / own floor's | p95 / trivial view's "
            "| Lists what its floor lists | Errors | Requests | Page size | Other processes' CPU |",
            "|---|---:|---:|---:|---:|---:|---:|:---:|---:|---:|---:|---:|",
        ]
        for page, s in run["pages"].items():
            own = s.get("own_floor_ratio")
            is_floor = page == "floor" or page.endswith("_floor")
            ok = is_floor or (
                s["p95_ratio"] <= TRIVIAL_GOAL and (own is None or own <= OWN_FLOOR_GOAL) and s["errors"] == 0
            )
            goals[(run["patients"], page)] = ok and s["errors"] == 0
            same = s.get("same_as_floor")
            lines.append(
                f"| {s['label']} | {s['p50_us'] / 1000:.1f} | {s['p95_us'] / 1000:.1f} | {s['p99_us'] / 1000:.1f} "
                f"| {s['rps']:.0f} | {'' if own is None else f'{own:.2f}'} | {s['p95_ratio']:.2f} "
                f"| {'' if same is None else _yes(same)} | {s['errors']} | {_n(s['requests'])} "
                f"| {_bytes(s['bytes'])} | {s['other_cpu_pct']:.0f}% |"
            )
        if run.get("server_problems"):
            lines += [
                "",
                f"gunicorn's error log: {len(run['server_problems'])} problem lines, e.g. "
                f"`{run['server_problems'][0][:160]}`.",
            ]
        lines.append("")
    if runs:
        failed = [f"{page} at {_n(n)}" for (n, page), ok in goals.items() if not ok]
        lines.append(
            f"- Goal: each page's p95 within {OWN_FLOOR_GOAL:g}x its own floor's (where it has one) and within "
            f"{TRIVIAL_GOAL:g}x the trivial view's, no error under load: "
            + ("met." if not failed else f"**not met** ({', '.join(failed)}).")
        )
    return lines, goals


QUERY_LABELS = {
    "floor": "Trivial view",
    "flag_queue": "Admin's flag queue",
    "flag_queue_floor": "its floor",
    "dashboard": "Physiotherapist's dashboard",
    "dashboard_floor": "its floor",
    "patient_detail": "Patient detail",
    "patient_detail_floor": "its floor",
    "outcomes": "Clinic outcomes",
    "outcomes_floor": "its floor",
    "checkin": "Check-in POST",
    "checkin_floor": "its floor",
}


def queries_section(runs: list[dict]) -> tuple[list[str], bool]:
    if not runs:
        return [], True
    header = "| Page | " + " | ".join(f"{_n(r['patients'])} patients" for r in runs) + " | Equal |"
    lines = [header, "|---|" + "---:|" * len(runs) + ":---:|"]
    equal_all = True
    for page in runs[0]["pages"]:
        cells = []
        seen = set()  # the most each size needed: a user with a section empty may need fewer (nothing to read)
        for run in runs:
            distinct = run["pages"][page]["distinct"]
            seen.add(max(distinct))
            cells.append("/".join(map(str, distinct)) + f" ({run['pages'][page]['users']} users)")
        equal = len(seen) == 1
        equal_all = equal_all and equal
        lines.append(
            f"| {QUERY_LABELS.get(page, page)} | " + " | ".join(cells) + f" | {'yes' if equal else '**no**'} |"
        )
    lines += [
        "",
        f"- Goal: the same queries per page at every size: {_yes(equal_all)}. A page reads no more for more data; "
        "where a user's page has a section with nothing in it (a clinic with no course of care discharged in the "
        "period, say), it skips the reads that section would need: its cell shows every count seen.",
    ]
    return lines, equal_all


def cost_section(runs: list[dict]) -> list[str]:
    """Where one request's time goes (bench/queries.py): what a page costs, apart from queueing."""
    lines = []
    for run in reversed(runs):
        if not all("time" in page for page in run["pages"].values()):
            continue
        pages = run["pages"]
        floor = pages["floor"]["time"]["total_ms"] or float("nan")
        lines += [
            f"**{_n(run['patients'])} patients** - median of {run['rounds']} rounds over every request of the plan, "
            "timed inside Django's handler.",
            "",
            "| Page | Queries | Time (ms) | / own floor | / trivial view | Database (ms) | Compiling SQL (ms) "
            "| Templates (ms) | The rest (ms) | Python CPU (ms) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for page, data in pages.items():
            t = data["time"]
            compiled = t.get("compile_ms", 0.0)  # runs before the column was measured have none
            rest = t["total_ms"] - t["db_ms"] - compiled - t["templates_ms"]
            own = pages.get(f"{page}_floor", {}).get("time", {}).get("total_ms")
            own_ratio = f"{t['total_ms'] / own:.1f}" if own else ""
            lines.append(
                f"| {QUERY_LABELS.get(page, page)} | {'/'.join(map(str, data['distinct']))} | {t['total_ms']:.1f} "
                f"| {own_ratio} | {t['total_ms'] / floor:.1f} "
                f"| {t['db_ms']:.1f} | {compiled:.1f} | {t['templates_ms']:.1f} | {rest:.1f} | {t['cpu_ms']:.1f} |"
            )
        lines.append("")
    return lines


def summary(when: datetime) -> str:
    """The headline figures for the project's README: the sweep and each page against its floor."""
    sweeps, pages = _load("sweep"), _load("pages")
    out = [
        f"Latest run: {when:%Y-%m-%d}, {os.cpu_count()} cores; every table and how each figure is taken are in "
        "[`bench/results.md`](bench/results.md).",
        "",
    ]
    if sweeps:
        out += ["| Patients | Sweep floor (ms) | Sweep (ms) | Ratio (goal 2x at 100,000) |", "|---:|---:|---:|---:|"]
        out += [
            f"| {_n(r['patients'])} | {_n(r['floor_ms'])} | {_n(r['sweep_ms'])} | {r['ratio']:.2f} |" for r in sweeps
        ]
        out.append("")
    if pages:
        out += [
            "| Page (goals: p95 within 2x its own floor's, 4x the trivial view's) | "
            + " | ".join(f"p95 at {_n(r['patients'])} (ms) | / own floor | / trivial" for r in pages)
            + " |",
            "|---|" + "---:|---:|---:|" * len(pages),
        ]
        for page in pages[0]["pages"]:
            cells = [
                f"{r['pages'][page]['p95_us'] / 1000:.1f} | "
                + (f"{r['pages'][page]['own_floor_ratio']:.1f}x" if "own_floor_ratio" in r["pages"][page] else "")
                + f" | {r['pages'][page]['p95_ratio']:.1f}x"
                for r in pages
                if page in r["pages"]
            ]
            out.append(f"| {pages[0]['pages'][page]['label']} | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def _replace_between(path: Path, start: str, end: str, body: str) -> bool:
    if not path.exists():
        return False
    text = path.read_text()
    if start not in text or end not in text:
        return False
    path.write_text(
        re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: f"{start}\n{body}{end}", text, flags=re.S)
    )
    return True


def _measured_at() -> datetime:
    return max(
        (datetime.fromtimestamp(p.stat().st_mtime, UTC) for p in RAW_DIR.glob("*.json")),
        default=datetime.now(UTC),
    )


def build() -> str:
    sweeps = _load("sweep")
    pages = _load("pages")
    queries = _load("queries")
    when = _measured_at()
    out = [
        f"Measured on {when:%Y-%m-%d %H:%M} UTC; machine: {machine()}.",
        "",
    ]
    generated = sweeps or [run for run in pages if "generation" in run]
    if generated:
        out += ["### Data", "", *data_table(generated), ""]
    if sweeps:
        section, _ = sweep_section(sweeps)
        out += ["### Sweep against its floor (median of the timed repetitions)", "", *section, ""]
    if pages:
        section, _ = pages_section(pages)
        out += ["### Pages under load, against the floor", "", *section, ""]
    if queries:
        section, _ = queries_section(queries)
        out += ["### Queries per page", "", *section, ""]
        costs = cost_section(queries)
        if costs:
            out += [
                "### One request at a time: where a page's time goes",
                "",
                "Database: sending the statements and waiting for PostgreSQL's answers. Compiling SQL: the ORM "
                "turning each query into SQL. Templates: rendering, without the statements a template sets off. The "
                "rest: middleware, views, forms, building querysets, turning rows into model instances. / own floor: "
                "against the page's own floor in the same run; / trivial view: against the trivial view. Python CPU "
                "is the process's own CPU time over the same span.",
                "",
                *costs,
            ]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    body = build()
    RESULTS.write_text(
        "# Benchmark results\n\nWritten by `python -m bench.report` from `bench/results/raw/`; "
        "see README.md for what is measured and how.\n\n" + body
    )
    written = [str(RESULTS.relative_to(BENCH_DIR.parent))]
    if _replace_between(README, START, END, body):
        written.append("bench/README.md")
    if _replace_between(PROJECT_README, SUMMARY_START, SUMMARY_END, summary(_measured_at())):
        written.append("README.md")
    print(f"[report] wrote {', '.join(written)}")


if __name__ == "__main__":
    main()
