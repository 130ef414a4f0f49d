"""Every run and every finding in an embedded SQLite database: the scheduled run's memory.

Default location: the user's data directory (``platformdirs``), overridable by
``[history] path`` or the ``AUDITPACK_HISTORY`` environment variable.

Each finding is kept under its stable identity (check + provider + resource id, see
:mod:`auditpack.facts`) with status, measure, clauses, controls and an evidence hash, so
drift (:mod:`auditpack.drift`) and the audit period (:mod:`auditpack.period`) can be
answered for a year of daily runs. Repeated strings (names, messages, clause/control
sets) are interned, and a small per-run summary (counts by measure, mapping and status)
makes the period view independent of the number of findings. The attesting documents
of a run (current or expired, see :class:`auditpack.facts.DocumentFact`) are kept in that
summary too, with their own status codes, never as findings.

Safety: WAL journal, a busy timeout and one ``BEGIN IMMEDIATE`` transaction per recorded
run, so overlapping runs (two timers, a manual check during a scheduled run) lose nothing.
The schema is versioned with ``PRAGMA user_version``; older databases are migrated on open,
a database written by a newer auditpack is refused with one line.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import platformdirs

from .errors import AuditpackError
from .facts import DocumentFact, FindingFact, Identity

SCHEMA_VERSION = 3
BUSY_TIMEOUT_SECONDS = 60
STATUS_CODE = {"pass": 0, "fail": 1, "error": 2, "manual": 3, "not_applicable": 4}
#: run_summary only: an attached document that attested (current) or had expired that day.
#: Schema 3 introduced them, so an older auditpack refuses the file instead of reading them as errors.
ATTESTED, EXPIRED = "attested", "expired"
DOCUMENT_CODE = {ATTESTED: 5, EXPIRED: 6}
STATUS_NAME = {v: k for k, v in (STATUS_CODE | DOCUMENT_CODE).items()}

_V1_RUNS = """
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

_V2 = """
CREATE TABLE runs_v2 (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
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
    tool_version TEXT NOT NULL,
    organisation TEXT,
    detailed INTEGER NOT NULL DEFAULT 0  -- 1 when its findings are recorded (not only totals)
);
INSERT INTO runs_v2 (id, started_at, finished_at, complete, exit_code, pass, fail, error, manual, not_applicable,
                     pack_path, config_path, tool_version)
    SELECT id, started_at, finished_at, complete, exit_code, pass, fail, error, manual, not_applicable,
           pack_path, config_path, tool_version FROM runs ORDER BY started_at, id;
DROP TABLE runs;
ALTER TABLE runs_v2 RENAME TO runs;
CREATE INDEX runs_by_start ON runs (organisation, started_at);
CREATE TABLE texts (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE TABLE identities (
    id INTEGER PRIMARY KEY,
    check_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    measure TEXT NOT NULL,
    UNIQUE (check_id, provider, resource_id)
);
CREATE TABLE findings (
    run INTEGER NOT NULL,
    identity INTEGER NOT NULL,
    status INTEGER NOT NULL,
    waived INTEGER NOT NULL,
    name INTEGER,       -- texts.id
    message INTEGER,    -- texts.id
    mapping INTEGER,    -- texts.id of {"clauses": [...], "controls": [...]}
    evidence BLOB,      -- 16 bytes, NULL when no evidence
    fail_since TEXT,    -- started_at of the first run of an unbroken failing streak (errors carry it on)
    PRIMARY KEY (run, identity)
) WITHOUT ROWID;
CREATE INDEX findings_by_identity ON findings (identity, run);
CREATE TABLE run_summary (
    run INTEGER NOT NULL,
    measure TEXT NOT NULL,
    mapping INTEGER NOT NULL,
    status INTEGER NOT NULL,
    waived INTEGER NOT NULL,
    n INTEGER NOT NULL
);
CREATE INDEX run_summary_by_run ON run_summary (run);
CREATE TABLE resolutions (  -- a failing streak that ended at this run (the finding passed or is gone)
    run INTEGER NOT NULL,
    identity INTEGER NOT NULL,
    fail_since TEXT NOT NULL,
    name INTEGER,
    mapping INTEGER,
    PRIMARY KEY (run, identity)
) WITHOUT ROWID;
"""


class HistoryError(AuditpackError):
    """The history database cannot be used (newer schema, corrupt file, locked too long)."""


def default_path(configured: str | None = None) -> Path:
    if configured:
        return Path(configured)
    env = os.environ.get("AUDITPACK_HISTORY")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("auditpack")) / "history.sqlite"


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


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
    organisation: str | None = None
    detailed: bool = False
    seq: int = 0

    @property
    def started(self) -> datetime:
        return parse_time(self.started_at)


_RUN_COLUMNS = ("id, started_at, finished_at, complete, exit_code, pass, fail, error, manual, not_applicable, "
                "pack_path, config_path, tool_version, organisation, detailed, seq")


def _run(r: Sequence[Any]) -> RunRecord:
    return RunRecord(r[0], r[1], r[2], bool(r[3]), r[4],
                     {"pass": r[5], "fail": r[6], "error": r[7], "manual": r[8], "not_applicable": r[9]},
                     r[10], r[11], r[12], r[13], bool(r[14]), r[15])


@dataclass(frozen=True)
class SummaryRow:
    """How many findings of one run had ``status`` under ``measure`` and one clause/control set."""

    run: int
    measure: str
    clauses: tuple[str, ...]
    status: str
    waived: bool
    n: int


@dataclass(frozen=True)
class Resolution:
    """A failing streak of one finding identity that ended at run ``run``."""

    run: int
    identity: Identity
    measure: str
    clauses: tuple[str, ...]
    since: str  # started_at of its first failing run
    resource_name: str


def _mapping_text(fact: FindingFact) -> str:
    return json.dumps({"clauses": list(fact.clauses), "controls": list(fact.controls)}, sort_keys=True)


class History:
    def __init__(self, path: Path) -> None:
        self.path = path

    # --- connection and schema ----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate(conn)
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"history database {self.path}: {exc}") from None
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            conn.close()
            raise HistoryError(f"history database {self.path} was written by a newer auditpack (schema {version}; "
                               f"this version reads up to {SCHEMA_VERSION}): upgrade auditpack or set "
                               "[history] path to another file")
        if version == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
            if version < 2:
                conn.execute(_V1_RUNS)  # a brand-new file starts as version 1, then migrates like an old one
                for statement in _V2.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            # 2 -> 3 changes no table: run_summary may now hold document rows (DOCUMENT_CODE)
            if version < SCHEMA_VERSION:
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with closing(self._connect()) as conn:
            yield conn

    def schema_version(self) -> int:
        with self._reading() as conn:
            version: int = conn.execute("PRAGMA user_version").fetchone()[0]
            return version

    # --- writing ------------------------------------------------------------------------------

    def record(self, run: Mapping[str, Any], exit_code: int, pack_path: str | None, config_path: str | None,
               facts: Sequence[FindingFact] | None = None, keep_days: int | None = None,
               documents: Sequence[DocumentFact] = ()) -> None:
        """One run (and its findings and attesting documents, when given) in one transaction;
        then the retention."""
        counts = run.get("counts", {})
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("DELETE FROM findings WHERE run IN (SELECT seq FROM runs WHERE id = ?)", (run["id"],))
                for table in ("run_summary", "resolutions"):
                    conn.execute(f"DELETE FROM {table} WHERE run IN (SELECT seq FROM runs WHERE id = ?)",
                                 (run["id"],))
                conn.execute("DELETE FROM runs WHERE id = ?", (run["id"],))
                seq = conn.execute(
                    "INSERT INTO runs (id, started_at, finished_at, complete, exit_code, pass, fail, error, manual,"
                    " not_applicable, pack_path, config_path, tool_version, organisation, detailed)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (run["id"], run["started_at"], run["finished_at"], int(bool(run["complete"])), exit_code,
                     counts.get("pass", 0), counts.get("fail", 0), counts.get("error", 0), counts.get("manual", 0),
                     counts.get("not_applicable", 0), pack_path, config_path, run["tool_version"],
                     run.get("organisation"), int(facts is not None)),
                ).lastrowid
                if facts is not None and seq is not None:
                    self._record_findings(conn, seq, run, facts)
                    self._record_documents(conn, seq, documents)
                if keep_days is not None:
                    self._expire(conn, parse_time(run["started_at"]) - timedelta(days=keep_days))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def set_outcome(self, run_id: str, exit_code: int, pack_path: str | None) -> None:
        """After the pack is written (and locked): where it is and how the run ended."""
        with closing(self._connect()) as conn:
            conn.execute("UPDATE runs SET exit_code = ?, pack_path = ? WHERE id = ?", (exit_code, pack_path, run_id))

    def _intern(self, conn: sqlite3.Connection, table: str, columns: Sequence[str],
                rows: set[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
        cols = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        conn.executemany(f"INSERT OR IGNORE INTO {table} ({cols}) VALUES ({marks})", sorted(rows))
        conn.execute("DROP TABLE IF EXISTS temp.wanted")
        conn.execute(f"CREATE TEMP TABLE wanted ({cols})")
        conn.executemany(f"INSERT INTO temp.wanted VALUES ({marks})", rows)
        join = " AND ".join(f"t.{c} = w.{c}" for c in columns)
        found = conn.execute(f"SELECT t.id, {', '.join('t.' + c for c in columns)} FROM {table} t "
                             f"JOIN temp.wanted w ON {join}").fetchall()
        conn.execute("DROP TABLE temp.wanted")
        return {tuple(r[1:]): r[0] for r in found}

    def _record_findings(self, conn: sqlite3.Connection, seq: int, run: Mapping[str, Any],
                         facts: Sequence[FindingFact]) -> None:
        unique: dict[Identity, FindingFact] = {}
        for fact in facts:
            prior = unique.get(fact.identity)
            # one row per identity: the worst status wins when a check reports one resource twice
            if prior is None or STATUS_ORDER_RANK.get(fact.status, 1) < STATUS_ORDER_RANK.get(prior.status, 1):
                unique[fact.identity] = fact
        texts: set[tuple[str, ...]] = {(t,) for f in unique.values()
                                       for t in (f.resource_name, f.message, _mapping_text(f))}
        text_ids = self._intern(conn, "texts", ("text",), texts)
        ident_ids = self._intern(conn, "identities", ("check_id", "provider", "resource_id", "measure"),
                                 {(f.check, f.provider, f.resource_id, f.measure) for f in unique.values()})
        streaks = self._previous_streaks(conn, run)
        since = {f.identity: streaks[f.identity][1] if f.identity in streaks else run["started_at"]
                 for f in unique.values() if f.status == "fail"}
        since.update({f.identity: streaks[f.identity][1] for f in unique.values()
                      if f.status == "error" and f.identity in streaks})  # unreadable: not a resolution
        conn.executemany("INSERT INTO resolutions VALUES (?,?,?,?,?)",
                         [(seq, *streak) for key, streak in streaks.items() if key not in since])
        rows = []
        summary: Counter[tuple[str, int, int, int]] = Counter()
        for f in unique.values():
            mapping = text_ids[(_mapping_text(f),)]
            status = STATUS_CODE.get(f.status, STATUS_CODE["error"])
            rows.append((seq, ident_ids[(f.check, f.provider, f.resource_id, f.measure)], status, int(f.waived),
                         text_ids[(f.resource_name,)], text_ids[(f.message,)], mapping,
                         bytes.fromhex(f.evidence_hash) if f.evidence_hash else None,
                         since.get(f.identity)))
            summary[(f.measure, mapping, status, int(f.waived))] += 1
        conn.executemany("INSERT INTO findings VALUES (?,?,?,?,?,?,?,?,?)", rows)
        conn.executemany("INSERT INTO run_summary VALUES (?,?,?,?,?,?)",
                         [(seq, *key, n) for key, n in sorted(summary.items())])

    def _record_documents(self, conn: sqlite3.Connection, seq: int, documents: Sequence[DocumentFact]) -> None:
        """One summary row per document and measure it names ("" when it names none)."""
        summary: Counter[tuple[str, str, int]] = Counter()
        for doc in documents:
            mapping = json.dumps({"clauses": list(doc.clauses), "controls": list(doc.controls)}, sort_keys=True)
            code = DOCUMENT_CODE[ATTESTED if doc.current else EXPIRED]
            for measure in doc.measures or ("",):
                summary[(measure, mapping, code)] += 1
        if not summary:
            return
        text_ids = self._intern(conn, "texts", ("text",), {(m,) for _, m, _ in summary})
        conn.executemany("INSERT INTO run_summary VALUES (?,?,?,?,?,?)",
                         [(seq, measure, text_ids[(mapping,)], code, 0, n)
                          for (measure, mapping, code), n in sorted(summary.items())])

    def _expire(self, conn: sqlite3.Connection, before: datetime) -> None:
        cutoff = before.astimezone(UTC).isoformat().replace("+00:00", "Z")
        old = [r[0] for r in conn.execute("SELECT seq FROM runs WHERE started_at < ?", (cutoff,))]
        if not old:
            return
        for table in ("findings", "run_summary", "resolutions"):
            conn.executemany(f"DELETE FROM {table} WHERE run = ?", [(s,) for s in old])
        conn.executemany("DELETE FROM runs WHERE seq = ?", [(s,) for s in old])
        conn.execute("DELETE FROM identities WHERE id NOT IN (SELECT identity FROM findings"
                     " UNION SELECT identity FROM resolutions)")
        conn.execute("DELETE FROM texts WHERE id NOT IN (SELECT name FROM findings UNION SELECT message FROM findings"
                     " UNION SELECT mapping FROM findings UNION SELECT mapping FROM run_summary"
                     " UNION SELECT name FROM resolutions UNION SELECT mapping FROM resolutions)")

    # --- reading ------------------------------------------------------------------------------

    def recent(self, limit: int = 20) -> list[RunRecord]:
        if not self.path.exists():
            return []
        with self._reading() as conn:
            rows = conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY started_at DESC, seq DESC LIMIT ?",
                                (limit,)).fetchall()
        return [_run(r) for r in rows]

    def get_run(self, run_id: str) -> RunRecord | None:
        if not self.path.exists():
            return None
        with self._reading() as conn:
            row = conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row else None

    def runs(self, organisation: str | None, since: datetime | None = None, until: datetime | None = None,
             detailed_only: bool = False) -> list[RunRecord]:
        """Runs of one organisation (all when None) in [since, until], oldest first."""
        if not self.path.exists():
            return []
        sql = f"SELECT {_RUN_COLUMNS} FROM runs WHERE 1=1"
        args: list[Any] = []
        if organisation is not None:
            sql += " AND organisation IS ?"
            args.append(organisation)
        if since is not None:
            sql += " AND started_at >= ?"
            args.append(since.isoformat().replace("+00:00", "Z"))
        if until is not None:
            sql += " AND started_at <= ?"
            args.append(until.isoformat().replace("+00:00", "Z"))
        if detailed_only:
            sql += " AND detailed = 1"
        with self._reading() as conn:
            return [_run(r) for r in conn.execute(sql + " ORDER BY started_at, seq", args)]

    def previous(self, run: Mapping[str, Any]) -> RunRecord | None:
        """The latest detailed run of the same organisation that started before ``run``."""
        if not self.path.exists():
            return None
        with self._reading() as conn:
            row = conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE organisation IS ? AND detailed = 1 AND id != ?"
                " AND started_at < ? ORDER BY started_at DESC, seq DESC LIMIT 1",
                (run.get("organisation"), run["id"], run["started_at"])).fetchone()
        return _run(row) if row else None

    def facts(self, run_id: str) -> list[FindingFact]:
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT i.check_id, i.provider, i.resource_id, n.text, i.measure, f.status, f.waived, m.text,"
                " p.text, f.evidence FROM findings f JOIN runs r ON r.seq = f.run"
                " JOIN identities i ON i.id = f.identity LEFT JOIN texts n ON n.id = f.name"
                " LEFT JOIN texts m ON m.id = f.message LEFT JOIN texts p ON p.id = f.mapping"
                " WHERE r.id = ?", (run_id,)).fetchall()
        out = []
        for r in rows:
            mapping = json.loads(r[8]) if r[8] else {}
            out.append(FindingFact(r[0], r[1], r[2], r[3] or "", r[4], STATUS_NAME.get(r[5], "error"), bool(r[6]),
                                   r[7] or "", tuple(mapping.get("clauses", ())), tuple(mapping.get("controls", ())),
                                   r[9].hex() if r[9] else ""))
        return out

    def finding_count(self) -> int:
        with self._reading() as conn:
            count: int = conn.execute("SELECT count(*) FROM findings").fetchone()[0]
            return count

    def fail_since(self, run_id: str) -> dict[Identity, str]:
        """For each failing finding of a recorded run: when its unbroken failing streak began."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT i.check_id, i.provider, i.resource_id, f.fail_since FROM findings f"
                " JOIN runs r ON r.seq = f.run JOIN identities i ON i.id = f.identity"
                " WHERE r.id = ? AND f.status = ?", (run_id, STATUS_CODE["fail"])).fetchall()
        return {(r[0], r[1], r[2]): r[3] for r in rows if r[3]}

    def _previous_streaks(self, conn: sqlite3.Connection,
                          run: Mapping[str, Any]) -> dict[Identity, tuple[int, str, int, int]]:
        """The open failing streaks of the previous detailed run of the same organisation:
        identity -> (identity id, fail_since, name id, mapping id). A failure now continues one
        (an ``error`` carries it on: unreadable evidence does not show a resolution); anything
        else, or no finding at all, ends it."""
        prev = conn.execute(
            "SELECT seq FROM runs WHERE organisation IS ? AND detailed = 1 AND id != ? AND started_at < ?"
            " ORDER BY started_at DESC, seq DESC LIMIT 1",
            (run.get("organisation"), run["id"], run["started_at"])).fetchone()
        if prev is None:
            return {}
        rows = conn.execute(
            "SELECT i.check_id, i.provider, i.resource_id, f.identity, f.fail_since, f.name, f.mapping"
            " FROM findings f JOIN identities i ON i.id = f.identity WHERE f.run = ? AND f.fail_since IS NOT NULL",
            (prev[0],)).fetchall()
        return {(r[0], r[1], r[2]): (r[3], r[4], r[5], r[6]) for r in rows}

    def resolutions(self, runs: Sequence[int]) -> list[Resolution]:
        """The failing streaks that ended at one of ``runs``."""
        out: list[Resolution] = []
        if not runs:
            return out
        with self._reading() as conn:
            for start in range(0, len(runs), 500):
                chunk = list(runs[start:start + 500])
                marks = ",".join("?" for _ in chunk)
                for r in conn.execute(
                        "SELECT x.run, i.check_id, i.provider, i.resource_id, i.measure, x.fail_since, n.text, m.text"
                        " FROM resolutions x JOIN identities i ON i.id = x.identity"
                        " LEFT JOIN texts n ON n.id = x.name LEFT JOIN texts m ON m.id = x.mapping"
                        f" WHERE x.run IN ({marks})", chunk):
                    clauses = tuple(json.loads(r[7]).get("clauses", ())) if r[7] else ()
                    out.append(Resolution(r[0], (r[1], r[2], r[3]), r[4], clauses, r[5], r[6] or ""))
        return out

    def summaries(self, runs: Sequence[int]) -> list[SummaryRow]:
        """The per-run counts behind the period view (small: measures x mappings x statuses)."""
        if not runs:
            return []
        out: list[SummaryRow] = []
        with self._reading() as conn:
            mappings: dict[int, tuple[str, ...]] = {}
            for start in range(0, len(runs), 500):
                chunk = list(runs[start:start + 500])
                marks = ",".join("?" for _ in chunk)
                for r in conn.execute(f"SELECT s.run, s.measure, s.mapping, s.status, s.waived, s.n, t.text "
                                      f"FROM run_summary s JOIN texts t ON t.id = s.mapping "
                                      f"WHERE s.run IN ({marks})", chunk):
                    if r[2] not in mappings:
                        mappings[r[2]] = tuple(json.loads(r[6]).get("clauses", ()))
                    out.append(SummaryRow(r[0], r[1], mappings[r[2]], STATUS_NAME.get(r[3], "error"), bool(r[4]),
                                          r[5]))
        return out


STATUS_ORDER_RANK = {"fail": 0, "error": 1, "manual": 2, "pass": 3, "not_applicable": 4}
