"""`make audit`: every locked package checked against the advisories, offline too; a known vulnerability fails it,
and so does a package no source could check."""

import json
from unittest import mock

import pytest
from packaging.version import Version

from tools import dependency_audit as audit

SNAPSHOT = "PyPA advisory database (github.com/pypa/advisory-database), commit " + "a" * 40 + " of 2024-10-10."


def write_database(folder, records: dict[str, dict]):
    (folder / "vulns").mkdir(parents=True)
    (folder / "SNAPSHOT.txt").write_text(SNAPSHOT)
    for name, record in records.items():
        path = folder / "vulns" / name
        if name.endswith(".json"):
            path.write_text(json.dumps(record))
        else:
            import yaml

            path.write_text(yaml.safe_dump(record))
    return folder


def advisory(package: str, *ranges, versions=(), withdrawn=None, ident="PYSEC-0000-1", kind="ECOSYSTEM"):
    record = {
        "id": ident,
        "aliases": ["CVE-0000-0001"],
        "affected": [
            {
                "package": {"name": package, "ecosystem": "PyPI"},
                "ranges": [{"type": kind, "events": list(events)} for events in ranges],
                "versions": list(versions),
            }
        ],
    }
    if withdrawn:
        record["withdrawn"] = withdrawn
    return record


@pytest.mark.parametrize(
    ("version", "events", "affected"),
    [
        ("1.4", [{"introduced": "0"}, {"fixed": "1.5"}], True),
        ("1.5", [{"introduced": "0"}, {"fixed": "1.5"}], False),
        ("1.5rc1", [{"introduced": "0"}, {"fixed": "1.5"}], True),
        ("2.3", [{"introduced": "2.0"}, {"last_affected": "2.3"}], True),
        ("2.3.1", [{"introduced": "2.0"}, {"last_affected": "2.3"}], False),
        ("1.9", [{"introduced": "2.0"}, {"last_affected": "2.3"}], False),
        ("2.0", [{"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "3.0"}], False),
        ("3.5", [{"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "3.0"}], True),
        ("1.1", [{"fixed": "1.2"}, {"introduced": "1.0"}], True),  # events in any order
    ],
)
def test_osv_ranges(version, events, affected):
    assert audit.in_range(Version(version), events) is affected


def test_explicit_versions_and_ranges_that_cannot_be_read():
    assert audit.affects("0.9", {"versions": ["0.9", "1.0"]}) is True
    assert audit.affects("0.9.0", {"versions": ["0.9"]}) is True  # the same version, written differently
    assert audit.affects("1.1", {"versions": ["0.9", "1.0"]}) is False
    assert audit.affects("1.1", {"ranges": [{"type": "GIT", "events": [{"introduced": "0"}]}]}) is None
    assert audit.affects("1.1", {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "x y"}]}]}) is None


def run(lock_text, tmp_path, capsys, *args, database=None):
    lock = tmp_path / "test.lock"
    lock.write_text(lock_text)
    status = audit.main(
        [str(lock), "--offline", *args]
        if database is None
        else [str(lock), "--offline", "--advisories", str(database), *args]
    )
    return status, capsys.readouterr().out


def test_a_planted_known_vulnerable_version_fails_the_audit_against_the_shared_snapshot(tmp_path, capsys):
    assert (audit.DEFAULT_ADVISORIES / "vulns").is_dir(), (
        f"the advisory snapshot is expected at {audit.DEFAULT_ADVISORIES}"
    )
    status, out = run("# a test lock\nDjango==4.2.0\nsegno==1.6.6\n", tmp_path, capsys)
    assert status == audit.VULNERABLE
    assert "2 packages pinned" in out and "checked 2 of 2 packages" in out
    assert "of 2024-10-10" in out  # the snapshot's date
    assert "django 4.2.0: PYSEC-" in out and "CVE-2023-" in out and "Audit FAILED." in out
    assert "segno" not in out.split("Known vulnerabilities")[1]


def test_offline_audit_of_a_synthetic_database(tmp_path, capsys):
    database = write_database(
        tmp_path / "db",
        {
            "a.yaml": advisory("Plain-Pkg", [{"introduced": "0"}, {"fixed": "2.0"}], ident="PYSEC-1"),
            "b.yaml": advisory("plain_pkg", [{"introduced": "0"}], withdrawn="2024-01-01T00:00:00Z", ident="PYSEC-2"),
            "c.json": advisory("other", [{"introduced": "1.0"}, {"last_affected": "1.1"}], ident="GHSA-3"),
        },
    )
    status, out = run("plain-pkg==1.9\nother==1.2\n", tmp_path, capsys, database=database)
    assert status == audit.VULNERABLE
    assert "plain-pkg 1.9: PYSEC-1, CVE-0000-0001; fixed in 2.0 (offline)" in out
    assert "PYSEC-2" not in out and "GHSA-3" not in out  # withdrawn; not in the range
    assert "commit aaaaaaaaaaaa of 2024-10-10, 3 advisories: checked 2 of 2" in out
    status, out = run("plain-pkg==2.0\nother==1.2\n", tmp_path, capsys, database=database)
    assert status == audit.OK and "No known vulnerability in any of the 2 packages" in out


def test_a_package_no_source_could_check_is_never_reported_as_safe(tmp_path, capsys):
    database = write_database(
        tmp_path / "db", {"a.yaml": advisory("gitonly", [{"introduced": "0"}], kind="GIT", ident="OSV-9")}
    )
    status, out = run("gitonly==1.0\nodd==not a version\nfine==1.0\n-e ./local\n", tmp_path, capsys, database=database)
    assert status == audit.UNCHECKED
    assert "Not checked by any source (3)" in out
    assert "gitonly 1.0" in out and "-e ./local (not pinned to one version)" in out
    assert "odd==not a version (not pinned to one version)" in out
    assert "No known vulnerability" not in out and "Audit FAILED." in out


def test_without_the_snapshot_and_with_pypi_knowing_nothing_the_audit_fails(tmp_path, capsys):
    """The case found on the closed network: pip-audit skips every package as 'not found' and calls that clean."""
    lock = tmp_path / "test.lock"
    lock.write_text("django==5.2.19\ncelery==5.7.0\n")
    skipped = {
        "dependencies": [
            {"name": name, "skip_reason": f"Dependency not found on PyPI and could not be audited: {name} (1)"}
            for name in ("django", "celery")
        ]
    }
    completed = mock.Mock(stdout=json.dumps(skipped), stderr="No known vulnerabilities found", returncode=0)
    with mock.patch.object(audit.subprocess, "run", return_value=completed):
        status = audit.main([str(lock), "--advisories", str(tmp_path / "missing")])
    out = capsys.readouterr().out
    assert status == audit.UNCHECKED
    assert "checked 0 of 2 packages" in out and "not used (no advisory database" in out
    assert "Not checked by any source (2)" in out and "No known vulnerability" not in out


def test_pip_audit_findings_count_and_its_checked_packages_need_no_snapshot(tmp_path, capsys):
    lock = tmp_path / "test.lock"
    lock.write_text("django==4.2.0\n")
    found = {
        "dependencies": [
            {
                "name": "django",
                "version": "4.2.0",
                "vulns": [{"id": "PYSEC-X", "fix_versions": ["4.2.2"], "aliases": []}],
            }
        ]
    }
    completed = mock.Mock(stdout=json.dumps(found), stderr="", returncode=1)
    with mock.patch.object(audit.subprocess, "run", return_value=completed):
        status = audit.main([str(lock), "--advisories", str(tmp_path / "missing")])
    out = capsys.readouterr().out
    assert status == audit.VULNERABLE
    assert "django 4.2.0: PYSEC-X; fixed in 4.2.2 (pip-audit)" in out and "Not checked" not in out
