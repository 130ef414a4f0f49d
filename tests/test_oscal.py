"""OSCAL Assessment Results: valid against NIST's schema, loadable by the real OSCAL models
(compliance-trestle), never satisfied without supporting evidence, reproducible byte for byte."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from oscal_schemas import _schema_for, _validate
from sample_pack import build_sample_pack

from auditpack.cli import main
from auditpack.pack import read_manifest, verify_pack
from auditpack.reports import render_pack
from auditpack.reports.oscal import FOLDER, PLAN, RESULTS


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample_pack(tmp_path_factory.mktemp("oscal") / "pack", hostile=True)


def _load(pack: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pack / FOLDER / name).read_text("utf-8"))
    return data


def test_every_pack_carries_the_oscal_documents_hashed_in_its_manifest(pack: Path) -> None:
    names = sorted(p.name for p in (pack / FOLDER).iterdir())
    assert names == sorted([PLAN, RESULTS, "catalog-gdpr.json", "catalog-iso27001-2022.json",
                            "catalog-dpa-dioss.json", "catalog-dpa-voxio.json", "catalog-dpa-xis-smstools.json"])
    files = read_manifest(pack).files
    assert all(f"{FOLDER}/{name}" in files for name in names)
    assert verify_pack(pack).ok


def test_documents_validate_against_the_nist_schema(pack: Path) -> None:
    for document in sorted((pack / FOLDER).iterdir()):
        result = _validate(_schema_for(document.name), document)
        assert result.returncode == 0, f"{document.name}: {result.stdout}{result.stderr}"


def test_the_schema_validation_can_fail(pack: Path, tmp_path: Path) -> None:
    """Control: a result claiming a state OSCAL does not know is rejected, so the test above means something."""
    broken = _load(pack, RESULTS)
    broken["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] = "passed"
    path = tmp_path / RESULTS
    path.write_text(json.dumps(broken))
    assert _validate(_schema_for(RESULTS), path).returncode != 0


def test_documents_load_and_reserialise_in_the_real_oscal_models(pack: Path, tmp_path: Path) -> None:
    from trestle.oscal.assessment_plan import AssessmentPlan
    from trestle.oscal.assessment_results import AssessmentResults
    from trestle.oscal.catalog import Catalog

    for document in sorted((pack / FOLDER).iterdir()):
        model = AssessmentResults if document.name == RESULTS else AssessmentPlan if document.name == PLAN else Catalog
        loaded = model.oscal_read(document)
        again = tmp_path / document.name
        again.write_text(loaded.oscal_serialize_json())
        assert _validate(_schema_for(document.name), again).returncode == 0, document.name
        if document.name == RESULTS:
            original = _load(pack, RESULTS)["assessment-results"]["results"][0]
            result = loaded.results[0]
            assert len(result.observations) == len(original["observations"])
            assert len(result.findings) == len(original["findings"])


def _results(pack: Path) -> dict[str, Any]:
    results: dict[str, Any] = _load(pack, RESULTS)["assessment-results"]["results"][0]
    return results


def _props(item: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in item.get("props", ())}


def test_only_supported_verdicts_are_satisfied(pack: Path) -> None:
    findings = _results(pack)["findings"]
    seen = set()
    for finding in findings:
        verdict = _props(finding)["verdict"]
        state = finding["target"]["status"]["state"]
        seen.add(verdict)
        assert (state == "satisfied") == (verdict == "supports"), finding["title"]
        if verdict in ("manual", "incomplete"):
            assert finding["target"]["status"]["remarks"].startswith("Open:")
    assert seen == {"supports", "nonconformity", "incomplete", "manual"}


def test_every_evidence_attempt_is_an_observation_and_errors_say_so(pack: Path) -> None:
    index = json.loads((pack / "evidence" / "index.json").read_text())
    everything = _results(pack)["observations"]
    observations = [o for o in everything if "evidence-status" in _props(o)]
    assert len(observations) == len(index)
    errored = [o for o in observations if _props(o)["evidence-status"] != "collected"]
    assert errored and len(errored) == sum(1 for i in index if i["status"] != "collected")
    for obs in errored:
        assert "could not be collected" in obs["description"]
    assert all(o["expires"] > o["collected"] for o in observations)
    # only what the tool read is a TEST; the SSH hosts' declared provider.use is examined
    assert {o["methods"][0] for o in observations if _props(o)["basis"] == "observed"} == {"TEST"}
    assert {o["methods"][0] for o in observations if _props(o)["basis"] != "observed"} == {"EXAMINE"}
    # the rest: one per attached document, examined and attested
    documents = [o for o in everything if o not in observations]
    assert len(documents) == 2 and all(o["methods"] == ["EXAMINE"] and _props(o)["basis"] == "attested"
                                       for o in documents)


def test_evidence_links_resolve_to_files_with_their_hashes(pack: Path) -> None:
    document = _load(pack, RESULTS)["assessment-results"]
    resources = {r["uuid"]: r for r in document["back-matter"]["resources"]}
    for obs in document["results"][0]["observations"]:
        for evidence in obs["relevant-evidence"]:
            resource = resources[evidence["href"].removeprefix("#")]
            link = resource["rlinks"][0]
            target = (pack / FOLDER / link["href"]).resolve()
            assert target.is_file(), link["href"]
            assert link["hashes"][0]["value"] == hashlib.sha256(target.read_bytes()).hexdigest()


def test_findings_relate_to_the_observations_behind_them(pack: Path) -> None:
    results = _results(pack)
    known = {o["uuid"] for o in results["observations"]}
    related = [f for f in results["findings"] if "related-observations" in f]
    assert related
    for finding in related:
        assert {r["observation-uuid"] for r in finding["related-observations"]} <= known
    targets = {f["target"]["target-id"] for f in results["findings"]}
    selected = {c["control-id"] for c in results["reviewed-controls"]["control-selections"][0]["include-controls"]}
    assert targets == selected
    catalogs = {c["id"] for name in (pack / FOLDER).glob("catalog-*.json")
                for c in _controls(json.loads(name.read_text()))}
    assert targets <= catalogs


def _controls(document: dict[str, Any]) -> list[dict[str, Any]]:
    catalog = document["catalog"]
    return list(catalog.get("controls", ())) + [c for g in catalog.get("groups", ()) for c in g["controls"]]


def test_hostile_strings_stay_data(pack: Path) -> None:
    text = (pack / FOLDER / RESULTS).read_text()
    json.loads(text)  # still JSON
    assert "<script>" in text  # kept as data: OSCAL is JSON, escaping is the consumer's job, the value is exact


def test_rerendering_is_byte_identical(pack: Path, tmp_path: Path) -> None:
    copy_root = tmp_path / "again"
    shutil.copytree(pack, copy_root)
    before = {p.name: p.read_bytes() for p in (copy_root / FOLDER).iterdir()}
    render_pack(copy_root)
    assert {p.name: p.read_bytes() for p in (copy_root / FOLDER).iterdir()} == before


def test_export_writes_linked_documents_beside_an_older_pack(pack: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    older = tmp_path / "older-pack"
    shutil.copytree(pack, older)
    shutil.rmtree(older / FOLDER)  # a pack from before OSCAL: its manifest does not list oscal/
    manifest = json.loads((older / "manifest.json").read_text())
    manifest["files"] = {k: v for k, v in manifest["files"].items() if not k.startswith(f"{FOLDER}/")}
    (older / "manifest.json").write_text(json.dumps(manifest))
    (older / "manifest.sig").unlink(missing_ok=True)
    out = tmp_path / "exported"
    assert main(["export", str(older), "--format", "oscal", "--out", str(out)]) == 0
    results = json.loads((out / RESULTS).read_text())["assessment-results"]
    for resource in results["back-matter"]["resources"]:
        assert (out / resource["rlinks"][0]["href"]).resolve().is_file()
    assert main(["export", str(older), "--out", str(out)]) == 2  # never into a non-empty folder
    tampered = copy.deepcopy(json.loads((older / "findings.json").read_text()))
    tampered["findings"][0]["status"] = "pass"
    (older / "findings.json").write_text(json.dumps(tampered))
    assert main(["export", str(older), "--out", str(tmp_path / "other")]) == 2
    assert "does not match its manifest" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()
