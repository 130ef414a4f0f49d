"""The pack model: what the writer wrote is what the readers load, and written back it is
the same bytes; unknown keys survive, a broken document is one line naming the file; run
completeness and waiver activity have one definition each."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sample_pack import build_sample_pack

from auditpack.config import Waiver
from auditpack.engine import Collection, CollectorRun, run_complete
from auditpack.errors import PackError
from auditpack.model import AttemptStatus, ErrorReason, Evidence, Finding, Measure, Provenance, Resource, Status
from auditpack.pack import dump_json, file_hashes, read_manifest
from auditpack.packmodel import Context, FindingsDocument, IndexEntry, Pack, RunInfo


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample_pack(tmp_path_factory.mktemp("packmodel") / "pack", hostile=True)


def test_every_document_read_and_written_back_is_byte_identical(pack: Path) -> None:
    loaded = Pack.load(pack)
    assert dump_json(loaded.findings_document.to_json()) == (pack / "findings.json").read_text("utf-8")
    assert dump_json(loaded.context.to_json()) == (pack / "context.json").read_text("utf-8")
    assert dump_json([i.to_json() for i in loaded.index]) == (pack / "evidence" / "index.json").read_text("utf-8")
    assert loaded.manifest is not None
    assert dump_json(loaded.manifest.to_json()) == (pack / "manifest.json").read_text("utf-8")
    assert read_manifest(pack) == loaded.manifest


def test_pack_json_is_the_standard_librarys_text(pack: Path) -> None:
    """dump_json goes through orjson for speed; its text must stay what ``json.dumps`` writes,
    for the hostile sample pack's documents and for the awkward values of outside data."""
    def stdlib(value: object) -> str:
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    documents = [json.loads(p.read_text("utf-8")) for p in sorted(pack.rglob("*.json"))]
    awkward = {"ctrl": "a\x00\x1f\x7f\"\\/\u2028\u202e<script>", "astral": "\U0001f512 é ß 中",
               "numbers": [0, -1, 2**63 - 1, 0.1, 1.5, -0.0, 12345.678], "empty": [{}, [], ""],
               "nested": {"b": {"z": 1, "a": [True, False, None]}, "a": []}, "Zulu": 1, "alpha": 2}
    for value in [*documents, awkward]:
        assert dump_json(value) == stdlib(value)
    # what orjson refuses is still written, by the standard library
    assert dump_json({1: 2**70}) == stdlib({1: 2**70})
    # tiny floats are written without an exponent: another text, the same number
    assert json.loads(dump_json([2.5e-05, 1e-07])) == [2.5e-05, 1e-07]


def test_the_loaded_pack_is_typed(pack: Path) -> None:
    loaded = Pack.load(pack)
    assert isinstance(loaded.run, RunInfo) and loaded.run.collectors and not loaded.run.complete
    assert all(isinstance(f, Finding) for f in loaded.findings)
    assert {f.status for f in loaded.findings} == set(Status)
    assert loaded.context.check_titles() and all(isinstance(i, IndexEntry) for i in loaded.index)
    assert {d.path for d in loaded.context.manual_evidence} <= set(file_hashes(pack))
    assert loaded.manifest is not None and loaded.manifest.run == loaded.run


def test_unknown_keys_are_kept_and_absent_keys_are_not_added() -> None:
    run = {"id": "r1", "started_at": "2026-11-21T12:00:00Z", "from_a_newer_version": {"x": 1}}
    assert RunInfo.model_validate(run).to_json() == run
    context = {"schema": "auditpack.context/v1", "waivers": [{"check": "c", "resource": "*", "active": True}]}
    assert Context.model_validate(context).to_json() == context
    document = {"schema": "auditpack.findings/v1", "run": run, "findings": []}
    assert FindingsDocument.from_json(document).to_json() == document


@pytest.mark.parametrize(("name", "content", "says"), [
    ("findings.json", "{not json", "cannot be read"),
    ("findings.json", '{"run": {"id": "r"}, "findings": []}', "started_at: Field required"),
    ("findings.json", '{"run": {"id": "r", "started_at": "t"}, "findings": [{"check": "c"}]}', "not an auditpack"),
    ("context.json", '{"checks": [{"title": "no id"}]}', "checks.0.id"),
    ("evidence/index.json", '{"not": "a list"}', "not a list"),
])
def test_a_broken_document_is_one_line_naming_the_file(pack: Path, tmp_path: Path, name: str, content: str,
                                                        says: str) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(pack, copy)
    (copy / name).write_text(content)
    with pytest.raises(PackError) as caught:
        Pack.load(copy)
    message = str(caught.value)
    assert "\n" not in message and str(copy / name) in message and says in message


def test_a_folder_without_findings_is_not_a_pack(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="findings.json is missing: not an audit pack"):
        Pack.load(tmp_path)


def _evidence(status: AttemptStatus) -> Evidence:
    return Evidence(kind="x.thing", resource=Resource("x", "thing", "t1"), status=status,
                    provenance=Provenance("x", "0", dt.datetime(2026, 11, 21, tzinfo=dt.UTC), "s", "read"),
                    error="not read", reason=ErrorReason.CONFIGURATION)


def _finding(status: Status) -> Finding:
    return Finding("c", Measure.BACKUPS, status, Resource("x", "thing", "t1"), "m")


def test_run_completeness_has_one_definition() -> None:
    ok = Collection([_evidence(AttemptStatus.SKIPPED)], [CollectorRun("x", "ok"), CollectorRun("y", "skipped")])
    assert ok.complete and run_complete(ok.complete, [_finding(Status.PASS), _finding(Status.FAIL)], [])
    assert not run_complete(ok.complete, [_finding(Status.ERROR)], [])
    assert not run_complete(ok.complete, [], ["a broken plugin"])
    assert not Collection([_evidence(AttemptStatus.ERROR)], ok.collectors).complete
    assert not Collection(ok.evidence, [CollectorRun("x", "partial")]).complete
    assert not run_complete(False, [], [])  # a merged run: one part incomplete


def test_profiles_are_typed_and_the_configuration_reads_them_back(pack: Path) -> None:
    """context.json's profiles load as ProfileEntry; without what the run added (source_copy)
    they are the configuration's strict Profile again (``auditpack merge`` judges with them)."""
    from auditpack.packmodel import ProfileEntry, SourceCopy
    from auditpack.profiles import Profile

    loaded = Pack.load(pack)
    assert loaded.context.profiles and all(isinstance(p, ProfileEntry) for p in loaded.context.profiles)
    for entry in loaded.context.profiles:
        assert entry.clauses and all(c.ref for c in entry.clauses)
        profile = Profile.model_validate(entry.as_profile())
        assert profile.id == entry.id and len(profile.clauses) == len(entry.clauses)
    with_copy = loaded.context.profiles[0].model_copy(
        update={"source_copy": SourceCopy(path="manual/dpa.pdf", sha256="ab" * 32)})
    assert "source_copy" in with_copy.to_json()
    assert Profile.model_validate(with_copy.as_profile()).id == loaded.context.profiles[0].id


def test_a_waiver_is_active_through_its_expiry_day() -> None:
    waiver = Waiver(check="c", resource="*", owner="o", reason="r", expires=dt.date(2026, 11, 21))
    assert waiver.active_on(dt.date(2026, 11, 21)) and not waiver.active_on(dt.date(2026, 11, 22))


def test_the_run_in_the_manifest_is_the_run_in_findings_json(pack: Path) -> None:
    findings = json.loads((pack / "findings.json").read_text("utf-8"))
    assert read_manifest(pack).run.to_json() == findings["run"]
