"""The history database: findings under stable identities, migrations, concurrency, retention,
and the drift and period computed from it."""

from __future__ import annotations

import itertools
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditpack.drift import Side, compare, render_text
from auditpack.facts import FindingFact
from auditpack.history import SCHEMA_VERSION, History, HistoryError
from auditpack.packmodel import ProfileEntry, RunInfo
from auditpack.period import period_document, verdict_of
from auditpack.reports.view import FindingRow, rollup
from helpers import run_cli

DAY0 = datetime(2026, 10, 1, 2, 30, tzinfo=UTC)
ORG = "Example B.V."

V1_SCHEMA = """
CREATE TABLE runs (id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT NOT NULL,
    complete INTEGER NOT NULL, exit_code INTEGER NOT NULL, pass INTEGER NOT NULL DEFAULT 0,
    fail INTEGER NOT NULL DEFAULT 0, error INTEGER NOT NULL DEFAULT 0, manual INTEGER NOT NULL DEFAULT 0,
    not_applicable INTEGER NOT NULL DEFAULT 0, pack_path TEXT, config_path TEXT, tool_version TEXT NOT NULL)
"""


def fact(resource: str, status: str, *, check: str = "eea_residency_s3_bucket", measure: str = "eea_residency",
         evidence: str = "aa" * 16, clauses: tuple[str, ...] = ("dioss: 5.1",), waived: bool = False) -> FindingFact:
    return FindingFact(check, "aws", f"arn:aws:s3:::{resource}", resource, measure, status, waived,
                       f"{resource} is {status}", clauses, ("ISO27001:2022/A.5.23",), evidence)


def run_doc(day: int, n: int = 0, org: str = ORG, hour: int = 0) -> dict[str, object]:
    started = DAY0 + timedelta(days=day, hours=hour)
    stamp = started.isoformat().replace("+00:00", "Z")
    return {"id": f"run-{day:03d}-{hour}-{n}", "started_at": stamp, "finished_at": stamp, "complete": True,
            "tool_version": "test", "organisation": org, "counts": {"pass": 1}}


def record(history: History, day: int, facts: list[FindingFact], **kw: object) -> dict[str, object]:
    run = run_doc(day, **kw)  # type: ignore[arg-type]
    history.record(run, 1, None, None, facts, keep_days=400)
    return run


def test_a_version_1_database_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute(V1_SCHEMA)
        conn.execute("INSERT INTO runs VALUES ('old-run', '2026-09-01T02:30:00Z', '2026-09-01T02:31:00Z', 1, 0,"
                     " 10, 0, 0, 2, 1, '/packs/2026-09-01', 'c.toml', '0.1.0')")
    history = History(db)
    assert history.schema_version() == SCHEMA_VERSION
    [old] = history.recent()
    assert (old.id, old.counts["pass"], old.pack_path, old.detailed) == ("old-run", 10, "/packs/2026-09-01", False)
    record(history, 0, [fact("data", "pass")])
    assert [r.id for r in history.recent()] == ["run-000-0-0", "old-run"]
    assert history.facts("run-000-0-0") == [fact("data", "pass")]


def test_a_database_from_a_newer_version_is_refused_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    History(db).schema_version()
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(HistoryError, match="newer auditpack"):
        History(db).recent()
    proc = run_cli("history", "--database", str(db))
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1 and "newer auditpack" in proc.stderr and "Traceback" not in proc.stderr


WRITER = textwrap.dedent("""
    import sys
    from auditpack.facts import FindingFact
    from auditpack.history import History
    db, worker = sys.argv[1], int(sys.argv[2])
    history = History(__import__("pathlib").Path(db))
    for n in range(4):
        facts = [FindingFact("c", "aws", f"r{i}", "", "backups", "pass" if (i + n) % 3 else "fail", False, "m",
                             (), (), f"{i:032x}") for i in range(400)]
        run = {"id": f"w{worker}-{n}", "started_at": f"2026-10-0{n + 1}T02:30:0{worker}Z",
               "finished_at": "2026-10-01T02:31:00Z", "complete": True, "tool_version": "t",
               "organisation": "org", "counts": {}}
        history.record(run, 0, None, None, facts, keep_days=400)
""")


def test_concurrent_writers_in_separate_processes_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(w)], stderr=subprocess.PIPE, text=True)
             for w in range(6)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM runs WHERE detailed = 1").fetchone()[0] == 24
        assert conn.execute("SELECT count(*) FROM findings").fetchone()[0] == 24 * 400
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        per_run = conn.execute("SELECT min(c), max(c) FROM (SELECT count(*) c FROM findings GROUP BY run)").fetchone()
    assert per_run == (400, 400)


def test_retention_deletes_old_runs_and_what_only_they_referenced(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite")
    history.record(run_doc(0), 0, None, None, [fact("gone", "fail")], keep_days=10)
    history.record(run_doc(5), 0, None, None, [fact("kept", "pass")], keep_days=10)
    history.record(run_doc(20), 0, None, None, [fact("kept", "pass")], keep_days=10)
    assert [r.id for r in history.runs(ORG)] == ["run-020-0-0"]
    with sqlite3.connect(tmp_path / "h.sqlite") as conn:
        ids = {r[0] for r in conn.execute("SELECT resource_id FROM identities")}
        texts = {r[0] for r in conn.execute("SELECT text FROM texts")}
    assert ids == {"arn:aws:s3:::kept"}
    assert "gone is fail" not in texts


def test_a_failure_keeps_its_first_seen_date_through_errors_and_restarts_after_a_pass(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite")
    record(history, 0, [fact("a", "fail"), fact("b", "fail")])
    record(history, 1, [fact("a", "error"), fact("b", "pass")])
    last = record(history, 2, [fact("a", "fail"), fact("b", "fail")])
    since = history.fail_since(str(last["id"]))
    assert since[("eea_residency_s3_bucket", "aws", "arn:aws:s3:::a")].startswith("2026-10-01")
    assert since[("eea_residency_s3_bucket", "aws", "arn:aws:s3:::b")].startswith("2026-10-03")


def test_other_organisations_runs_are_not_the_previous_run(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite")
    mine = record(history, 0, [fact("a", "pass")])
    record(history, 1, [fact("z", "fail")], org="Other Ltd")
    current = record(history, 2, [fact("a", "fail")])
    previous = history.previous(current)
    assert previous is not None and previous.id == mine["id"]


# --- drift -------------------------------------------------------------------------------------------

def test_drift_names_every_kind_of_change() -> None:
    old = Side("r1", "2026-10-01T02:30:00Z", [
        fact("stays-bad", "fail"), fact("fixed", "fail"), fact("removed", "pass"), fact("reads", "pass"),
        fact("changed", "pass", evidence="bb" * 16)])
    new = Side("r2", "2026-10-05T02:30:00Z", [
        fact("stays-bad", "fail"), fact("fixed", "pass"), fact("reads", "error"), fact("new-bad", "fail"),
        fact("accepted", "fail", waived=True), fact("changed", "pass", evidence="cc" * 16)])
    drift = compare(old, new, {("eea_residency_s3_bucket", "aws", "arn:aws:s3:::stays-bad"): "2026-09-20T02:30:00Z"})
    names = {k: [i["resource_name"] for i in v] for k, v in drift.to_json().items() if isinstance(v, list)}
    assert names["new_failures"] == ["accepted", "new-bad"]
    assert names["resolved"] == ["fixed"]
    assert names["still_open"] == ["stays-bad"]
    assert names["new_errors"] == ["reads"]
    assert names["changed_evidence"] == ["changed"]
    assert names["new_resources"] == ["accepted", "new-bad"]
    assert names["removed_resources"] == ["removed"]
    assert drift.regressed
    assert "failing since 2026-09-20, 15 days" in render_text(drift.to_json())
    waived_only = compare(old, Side("r3", "2026-10-05T02:30:00Z", [*old.facts, fact("accepted", "fail",
                                                                                      waived=True)]))
    assert waived_only.new_failures and not waived_only.regressed


def test_diff_of_two_history_runs_exits_1_on_a_new_failure_and_0_otherwise(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    history = History(db)
    a = record(history, 0, [fact("x", "pass")])
    b = record(history, 1, [fact("x", "fail")])
    c = record(history, 2, [fact("x", "fail")])
    proc = run_cli("diff", str(a["id"]), str(b["id"]), "--database", str(db))
    assert proc.returncode == 1 and "New failures: 1" in proc.stdout, proc.stderr
    proc = run_cli("diff", str(b["id"]), str(c["id"]), "--database", str(db), "--format", "json")
    assert proc.returncode == 0 and '"still_open": 1' in proc.stdout
    (tmp_path / "c.toml").write_text(f"[history]\npath = '{db}'\n")
    proc = run_cli("diff", "--since", "1d", "--config", str(tmp_path / "c.toml"), "--format", "md")
    assert proc.returncode == 0 and "## Still failing (1)" in proc.stdout
    proc = run_cli("diff", "no-such-run", str(c["id"]), "--database", str(db))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1


# --- the period -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("statuses", [set(c) for n in range(4) for c in itertools.combinations(
    ("pass", "fail", "error", "manual", "not_applicable"), n)], ids=str)
def test_the_period_verdict_is_the_reports_rollup(statuses: set[str]) -> None:
    rows = [FindingRow("F-1", "c", "", "m", "", s, s, "low", "", "", "", "", "", "", "", "", "", "", (), (), (),
                       None) for s in statuses]
    assert verdict_of(statuses) == rollup(rows).code


def test_the_period_shows_gaps_as_gaps_and_counts_only_supported_days(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite")
    profile = ProfileEntry.model_validate({"profile": {"id": "dioss"},
                                           "clauses": [{"ref": "5.1", "heading": "Location"},
                                                       {"ref": "9", "manual": True}]})
    record(history, 0, [fact("data", "pass")])
    record(history, 1, [fact("data", "pass")])
    record(history, 2, [fact("data", "fail")])
    record(history, 2, [fact("data", "pass")], hour=5)  # a second run that day: the day is still not supported
    record(history, 5, [fact("data", "fail")])  # days 3 and 4: no run
    last = record(history, 6, [fact("data", "fail"), fact("other", "pass", check="backups_x", measure="backups",
                                                          clauses=())])
    doc = period_document(history, RunInfo.model_validate(last), [profile], period_days=365)
    assert (doc["start"], doc["end"], doc["days"], doc["runs"], doc["days_without_run"]) == \
        ("2026-10-01", "2026-10-07", 7, 6, 2)
    assert doc["history_shorter_than_period"]
    residency, backups, clause = doc["subjects"]
    assert (residency["key"], backups["key"], clause["key"]) == ("eea_residency", "backups", "dioss: 5.1")
    assert [(s["verdict"], s["days"]) for s in residency["segments"]] == [
        ("supports", 2), ("nonconformity", 1), ("no_run", 2), ("nonconformity", 2)]
    assert residency["supported_days"] == 2
    assert [(s["verdict"], s["days"]) for s in backups["segments"]] == [("manual", 3), ("no_run", 2),
                                                                        ("manual", 1), ("supports", 1)]
    assert clause["segments"] == residency["segments"]
    [open_failure] = residency["open_failures"]
    assert (open_failure["since"], open_failure["days"]) == ("2026-10-06", 1)
    [resolved] = residency["resolved_failures"]  # failed at 00:30 on day 2, passed at 05:30
    assert (resolved["resource_id"], resolved["since"], resolved["resolved"]) == \
        ("arn:aws:s3:::data", "2026-10-03", "2026-10-03")
    assert clause["resolved_failures"] == residency["resolved_failures"] and not backups["resolved_failures"]
    short = period_document(history, RunInfo.model_validate(last), [profile], period_days=3)
    assert (short["start"], short["days"], short["history_shorter_than_period"]) == ("2026-10-05", 3, False)
