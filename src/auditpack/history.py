"""Every run recorded in an embedded SQLite database: the scheduled run's memory.

Default location: the user's data directory (``platformdirs``), overridable by
``[history] path`` or the ``AUDITPACK_HISTORY`` environment variable. Later work builds
drift and trends on it; today it answers "did last night's run complete, and where is
its pack?".
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from .pack import pid_alive

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    complete INTEGER NOT NULL,
    exit_code INTEGER NOT NULL,
    pass INTEGER NOT NULL DEFAULT 0,
    fail INTEGER NOT NULL DEFAULT 0,
    error INTEGER NOT NULL DEFAULT 0,
    manual INTEGER NOT NULL DEFAULT 0,
    not_applicable INTEGER NOT NULL DEFAULT 0,
    pack_path TEXT,
    config_path TEXT,
    tool_version TEXT NOT NULL
)
"""


# runs that are writing a pack now; a row left here means the run was killed before it
# recorded itself, and the next run settles it (:meth:`History.recover`)
PENDING = """
CREATE TABLE IF NOT EXISTS pending (
    id TEXT PRIMARY KEY,
    pack_path TEXT NOT NULL,
    config_path TEXT,
    pid INTEGER NOT NULL
)
"""


def default_path(configured: str | None = None) -> Path:
    if configured:
        return Path(configured)
    env = os.environ.get("AUDITPACK_HISTORY")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("auditpack")) / "history.sqlite"


@dataclass(frozen=True)
class RunRecord:
    id: str
    started_at: str
    finished_at: str
    complete: bool
    exit_code: int
    counts: Mapping[str, int]
    pack_path: str | None
    config_path: str | None
    tool_version: str


class History:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        conn.execute(SCHEMA)
        conn.execute(PENDING)
        return conn

    def expect(self, run_id: str, pack_path: str, config_path: str | None) -> None:
        """Note that this run is about to write its pack at ``pack_path``."""
        with closing(self._connect()) as conn, conn:
            conn.execute("INSERT OR REPLACE INTO pending VALUES (?,?,?,?)",
                         (run_id, pack_path, config_path, os.getpid()))

    def recover(self) -> list[str]:
        """Settle the runs killed between writing their pack and recording it: a pack that
        is there (its manifest names the run) gets its row now, from the pack itself; a run
        whose pack never appeared is reported. Rows of still running processes stay."""
        notes: list[str] = []
        with closing(self._connect()) as conn, conn:
            rows = conn.execute("SELECT id, pack_path, config_path, pid FROM pending").fetchall()
            for run_id, pack_path, config_path, pid in rows:
                if pid != os.getpid() and pid_alive(pid):
                    continue
                run, exit_code = _run_of_pack(Path(pack_path), run_id)
                if run is not None:
                    self._insert(conn, run, exit_code, pack_path, config_path)
                    notes.append(f"run {run_id} wrote its pack {pack_path} but was stopped before recording it "
                                 "in the history: recorded now from the pack")
                else:
                    notes.append(f"run {run_id} was stopped before its pack {pack_path} was written; "
                                 "it is not in the history")
                conn.execute("DELETE FROM pending WHERE id = ?", (run_id,))
        return notes

    def record(self, run: Mapping[str, Any], exit_code: int, pack_path: str | None, config_path: str | None) -> None:
        with closing(self._connect()) as conn, conn:
            self._insert(conn, run, exit_code, pack_path, config_path)
            conn.execute("DELETE FROM pending WHERE id = ?", (run["id"],))

    @staticmethod
    def _insert(conn: sqlite3.Connection, run: Mapping[str, Any], exit_code: int, pack_path: str | None,
                config_path: str | None) -> None:
        counts = run.get("counts", {})
        conn.execute(
            "INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (run["id"], run["started_at"], run["finished_at"], int(bool(run["complete"])), exit_code,
             counts.get("pass", 0), counts.get("fail", 0), counts.get("error", 0), counts.get("manual", 0),
             counts.get("not_applicable", 0), pack_path, config_path, run["tool_version"]),
        )

    def recent(self, limit: int = 20) -> list[RunRecord]:
        if not self.path.exists():
            return []
        with closing(self._connect()) as conn:
            rows = conn.execute(
                "SELECT id, started_at, finished_at, complete, exit_code, pass, fail, error, manual, not_applicable,"
                " pack_path, config_path, tool_version FROM runs ORDER BY started_at DESC, id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            RunRecord(r[0], r[1], r[2], bool(r[3]), r[4],
                      {"pass": r[5], "fail": r[6], "error": r[7], "manual": r[8], "not_applicable": r[9]},
                      r[10], r[11], r[12])
            for r in rows
        ]


def _run_of_pack(pack: Path, run_id: str) -> tuple[dict[str, Any] | None, int]:
    """The run metadata of the pack at ``pack`` if it is the pack of ``run_id``, and the
    exit code that run would have had (3 incomplete, 1 unwaived failures, else 0)."""
    import json

    try:
        manifest = json.loads((pack / "manifest.json").read_text("utf-8"))
        findings = json.loads((pack / "findings.json").read_text("utf-8"))["findings"]
        run = manifest["run"]
        if not isinstance(run, dict) or run.get("id") != run_id:
            return None, 0
        failing = any(f.get("status") == "fail" and not f.get("waiver") for f in findings)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, 0
    return run, 3 if not run.get("complete") else 1 if failing else 0
