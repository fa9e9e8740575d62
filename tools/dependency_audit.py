"""Known vulnerabilities in the locked packages: `make audit`.

Every package pinned in the lock file is checked against two sources:
- offline, the PyPA advisory database (OSV records, YAML or JSON, under `vulns/`; a SNAPSHOT.txt beside it says
  which commit and date), by comparing the locked version with each advisory's affected versions and ranges;
- online, pip-audit (PyPI's vulnerability service), when the network answers.

A package counts as checked when at least one source could judge it: the offline check judges it when its version
and the ranges of every advisory about it can be read; pip-audit when PyPI knows the release. The audit fails on a
known vulnerability, and also when a package could not be checked by any source: it never reports success for a
package nobody looked at. Usage: python -m tools.dependency_audit [LOCK] [--advisories DIR] [--offline]
"""

import argparse
import json
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, when PyYAML was built with it
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ADVISORIES = ROOT.parent / "shared" / "advisories"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;#]+)\s*(?:#.*)?$")
ONLINE_TIMEOUT = 600  # seconds for the whole pip-audit run (a request each package)
OK, VULNERABLE, UNCHECKED = 0, 1, 2  # exit statuses


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    advisory: str
    aliases: tuple[str, ...] = ()
    fixed_in: tuple[str, ...] = ()
    source: str = ""

    def __str__(self) -> str:
        named = ", ".join((self.advisory, *self.aliases))
        fix = f"; fixed in {', '.join(self.fixed_in)}" if self.fixed_in else ""
        return f"{self.package} {self.version}: {named}{fix} ({self.source})"


@dataclass
class SourceResult:
    """What one source made of the locked packages."""

    name: str
    checked: set[str] = field(default_factory=set)
    unchecked: dict[str, str] = field(default_factory=dict)  # package -> why it could not be judged
    findings: list[Finding] = field(default_factory=list)
    unavailable: str = ""  # why the source could not be used at all


# --- The lock file --------------------------------------------------------------------------------


def read_lock(path: Path) -> tuple[dict[str, str], list[str]]:
    """{canonical name: version} of every `name==version` line, and the lines that pin nothing checkable."""
    pins, unreadable = {}, []
    for line in path.read_text().splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        match = PIN.match(text)
        if match is None:
            unreadable.append(text)
            continue
        pins[canonicalize_name(match["name"])] = match["version"]
    return pins, unreadable


# --- Offline: OSV records ------------------------------------------------------------------------


def snapshot_label(advisories: Path) -> str:
    """'PyPA advisory database, commit 3ccb612 of 2024-10-10', from SNAPSHOT.txt (or the folder's name)."""
    note = advisories / "SNAPSHOT.txt"
    if not note.exists():
        return f"advisory records in {advisories.name}/ (no SNAPSHOT.txt: date unknown)"
    text = note.read_text()
    commit = re.search(r"\b([0-9a-f]{40})\b", text)
    day = re.search(r"\b(\d{4}-\d{2}-\d{2})\b", text)
    return (
        f"PyPA advisory database snapshot, commit {commit[1][:12] if commit else '?'} "
        f"of {day[1] if day else 'an unknown date'}"
    )


def load_advisories(advisories: Path, packages: set[str]) -> tuple[dict[str, list[tuple[dict, dict]]], int]:
    """The advisories about `packages`: {package: [(record, its affected entry), ...]}, and how many records were
    read. Withdrawn records are left out."""
    about: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
    read = 0
    for path in sorted((advisories / "vulns").rglob("*")):
        if path.suffix not in (".yaml", ".yml", ".json"):
            continue
        text = path.read_text(encoding="utf-8")
        read += 1
        # Parsed only when it may name a locked package (parsing all of them takes long): a record names its
        # packages in full, and canonical names differ from others only in case and in -, _ and . .
        if not any(name in canonicalize_name(text) for name in packages):
            continue
        record = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=SafeLoader)  # noqa: S506
        if not isinstance(record, dict) or record.get("withdrawn"):
            continue
        for affected in record.get("affected") or []:
            package = affected.get("package") or {}
            if package.get("ecosystem", "PyPI") != "PyPI" or not package.get("name"):
                continue
            name = canonicalize_name(package["name"])
            if name in packages:
                about[name].append((record, affected))
    return about, read


def _event_version(event: dict) -> tuple[str, Version]:
    (kind, value), *_ = ((k, v) for k, v in event.items() if k in ("introduced", "fixed", "last_affected", "limit"))
    return kind, Version("0") if str(value) == "0" else Version(str(value))


def in_range(version: Version, events: list[dict]) -> bool:
    """OSV's rule for an ECOSYSTEM range: walk its events in version order; an `introduced` at or below the version
    makes it affected, a `fixed` or `limit` at or below it (or a `last_affected` below it) makes it not."""
    affected = False
    for kind, at in sorted((_event_version(e) for e in events), key=lambda pair: pair[1]):
        if kind == "introduced":
            affected = affected or version >= at
        elif kind == "last_affected":
            affected = affected and version <= at
        else:  # fixed, limit
            affected = affected and version < at
    return affected


def affects(version: str, affected: dict) -> bool | None:
    """Whether one affected entry of an advisory covers the locked version; None when it cannot be told (its ranges
    are git commits only, or a version in it cannot be read)."""
    listed = [str(v) for v in affected.get("versions") or []]
    if version in listed:
        return True
    ranges = [r for r in affected.get("ranges") or [] if r.get("type") == "ECOSYSTEM"]
    if not ranges and not listed:
        return None
    try:
        parsed = Version(version)
        if any(Version(v) == parsed for v in listed):
            return True
        return any(in_range(parsed, r.get("events") or []) for r in ranges)
    except (InvalidVersion, ValueError, TypeError):
        return None


def fixed_versions(affected: dict) -> tuple[str, ...]:
    return tuple(
        str(e["fixed"])
        for r in affected.get("ranges") or []
        if r.get("type") == "ECOSYSTEM"
        for e in r["events"]
        if "fixed" in e
    )


def check_offline(pins: dict[str, str], advisories: Path) -> SourceResult:
    result = SourceResult(name=snapshot_label(advisories))
    if not (advisories / "vulns").is_dir():
        result.unavailable = f"no advisory database at {advisories}"
        return result
    about, read = load_advisories(advisories, set(pins))
    if read == 0:
        result.unavailable = f"no advisory records under {advisories / 'vulns'}"
        return result
    result.name += f", {read:,} advisories"
    for package, version in sorted(pins.items()):
        try:
            Version(version)
        except InvalidVersion:
            result.unchecked[package] = f"version {version!r} is not a PEP 440 version"
            continue
        undecided = []
        for record, affected in about.get(package, []):
            verdict = affects(version, affected)
            if verdict is None:
                undecided.append(record.get("id", "?"))
            elif verdict:
                result.findings.append(
                    Finding(
                        package,
                        version,
                        record.get("id", "?"),
                        tuple(record.get("aliases") or ()),
                        fixed_versions(affected),
                        "offline",
                    )
                )
        if undecided:
            result.unchecked[package] = f"cannot tell from {', '.join(undecided)} (no version ranges)"
        else:
            result.checked.add(package)
    return result


# --- Online: pip-audit -------------------------------------------------------------------------------


def check_online(lock: Path, pins: dict[str, str], *, timeout: int = ONLINE_TIMEOUT) -> SourceResult:
    result = SourceResult(name="pip-audit (PyPI's vulnerability service)")
    command = [sys.executable, "-m", "pip_audit", "--disable-pip", "--no-deps", "--progress-spinner", "off"]
    command += ["--format", "json", "-r", str(lock)]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired) as exc:
        result.unavailable = f"pip-audit did not finish ({exc.__class__.__name__})"
        return result
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        last = (run.stderr.strip().splitlines() or ["no output"])[-1]
        result.unavailable = f"pip-audit failed: {last[:200]}"
        return result
    for dependency in report.get("dependencies", []):
        name = canonicalize_name(dependency.get("name", ""))
        if name not in pins:
            continue
        if dependency.get("skip_reason"):
            result.unchecked[name] = dependency["skip_reason"]
            continue
        result.checked.add(name)
        for vuln in dependency.get("vulns", []):
            result.findings.append(
                Finding(
                    name,
                    dependency.get("version", pins[name]),
                    vuln.get("id", "?"),
                    tuple(vuln.get("aliases") or ()),
                    tuple(vuln.get("fix_versions") or ()),
                    "pip-audit",
                )
            )
    for name in set(pins) - result.checked - set(result.unchecked):
        result.unchecked[name] = "not in pip-audit's report"
    return result


# --- The verdict -------------------------------------------------------------------------------------


def verdict(pins: dict[str, str], unreadable: list[str], sources: list[SourceResult]) -> tuple[int, list[str]]:
    """The exit status and the lines to print."""
    lines = [f"Dependency audit: {len(pins)} packages pinned in the lock file."]
    for source in sources:
        if source.unavailable:
            lines.append(f"  {source.name}: not used ({source.unavailable}).")
            continue
        lines.append(
            f"  {source.name}: checked {len(source.checked)} of {len(pins)} packages, "
            f"{len(source.findings)} known vulnerabilities."
        )
        reasons = defaultdict(list)
        for package, why in source.unchecked.items():
            reasons[re.sub(r"\S+ \([^)]*\)$", "...", why) if "not found" in why else why].append(package)
        for why, packages in sorted(reasons.items()):
            shown = ", ".join(sorted(packages)[:8]) + (f" and {len(packages) - 8} more" if len(packages) > 8 else "")
            lines.append(f"    not checked here ({why}): {shown}")
    findings = sorted({(f.package, f.advisory): f for s in sources for f in s.findings}.values(), key=str)
    checked = set().union(*(s.checked for s in sources if not s.unavailable)) if sources else set()
    nobody = sorted(set(pins) - checked)
    status = OK
    if findings:
        status = VULNERABLE
        lines.append(f"Known vulnerabilities ({len(findings)}): upgrade these packages in pyproject.toml and the lock.")
        lines += [f"  {finding}" for finding in findings]
    if nobody or unreadable:
        status = max(status, UNCHECKED)
        lines.append(f"Not checked by any source ({len(nobody) + len(unreadable)}): the audit cannot vouch for them.")
        lines += [f"  {package} {pins[package]}" for package in nobody]
        lines += [f"  {line} (not pinned to one version)" for line in unreadable]
    if status == OK:
        lines.append(f"No known vulnerability in any of the {len(pins)} packages, each checked by at least one source.")
    else:
        lines.append("Audit FAILED.")
    return status, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lock", nargs="?", type=Path, default=ROOT / "requirements.lock")
    parser.add_argument("--advisories", type=Path, default=DEFAULT_ADVISORIES, help="the advisory database folder")
    parser.add_argument("--offline", action="store_true", help="skip pip-audit (no network)")
    args = parser.parse_args(argv)
    pins, unreadable = read_lock(args.lock)
    sources = [check_offline(pins, args.advisories)]
    if not args.offline:
        sources.append(check_online(args.lock, pins))
    status, lines = verdict(pins, unreadable, sources)
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
