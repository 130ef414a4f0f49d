"""auditpack run --shard K/N and auditpack merge, end to end on one estate.

The estate: an AWS Organization in moto (the management account through the default chain,
member accounts through the organisation role, resources created inside them) and TLS
endpoints on loopback ports where nothing listens (their `error` evidence must survive the
merge as it is). One run, then the same configuration as four shards merged: the merged
findings are the one run's findings, verify passes on the merged pack, every evidence file is
the collecting shard's bytes, and merge refuses an altered part, an incomplete set and parts
of another plan.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from auditpack import runner
from auditpack.cli import main
from auditpack.collectors.aws import emulator
from auditpack.config import validate_config
from auditpack.pack import file_hashes, read_manifest, verify_pack, write_manifest
from auditpack.registry import default_registry
from auditpack.shard import Shard, owner
from helpers import fake_aws_environment

NOW = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
ROLE = "auditpack-read-only"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from moto import mock_aws

    mp = fake_aws_environment("eu-central-1")
    mp.setenv("AUDITPACK_HISTORY", str(tmp_path_factory.mktemp("history") / "history.sqlite"))
    emulator.install()
    with mock_aws():
        org = boto3.client("organizations", region_name="us-east-1")
        org.create_organization(FeatureSet="ALL")
        members = []
        for n in range(5):
            account = org.create_account(AccountName=f"member-{n}", Email=f"m{n}@example.com")[
                "CreateAccountStatus"]["AccountId"]
            creds = boto3.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}",
                                                    RoleSessionName="seed")["Credentials"]
            s3 = boto3.client("s3", region_name="eu-central-1", aws_access_key_id=creds["AccessKeyId"],
                              aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
            s3.create_bucket(Bucket=f"member-{n}-data",
                             CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
            members.append(account)
        boto3.client("s3").create_bucket(Bucket="management-data",
                                         CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        data = {"organisation": {"name": "Example GmbH"}, "history": {"enabled": False},
                "aws": {"regions": ["eu-central-1"], "max_attempts": 1, "organization": {"role_name": ROLE}},
                "tls": {"endpoints": [f"127.0.0.1:{closed_port()}" for _ in range(3)], "timeout": 2}}
        registry = default_registry()
        config = validate_config(data, registry, "estate.toml")
        root = tmp_path_factory.mktemp("packs")
        single = runner.execute(config, registry, now=NOW)
        runner.write(single, root / "single")
        for k in range(4):
            part = runner.execute(config, registry, now=NOW, shard=Shard(k, 4))
            assert part.findings == [] and part.run.shard is not None and part.run.shard.index == k
            runner.write(part, root / f"part-{k}")
        other = validate_config({**data, "aws": {**data["aws"], "regions": ["eu-west-1"]}}, registry, "other.toml")
        runner.write(runner.execute(other, registry, now=NOW, shard=Shard(1, 4)), root / "other-plan-1")
        yield {"root": root, "single": single, "members": members, "data": data}
    mp.undo()


def parts(root: Path) -> list[str]:
    return [str(root / f"part-{k}") for k in range(4)]


def findings_of(pack: Path) -> list[dict[str, Any]]:
    return list(json.loads((pack / "findings.json").read_text())["findings"])


def test_shards_split_the_scopes_and_write_partial_packs(estate: dict[str, Any]) -> None:
    root = estate["root"]
    accounts: list[set[str]] = []
    for k in range(4):
        run = read_manifest(root / f"part-{k}").run.to_json()
        assert run["shard"]["count"] == 4 and len(run["shard"]["plan"]) == 64
        assert findings_of(root / f"part-{k}") == []
        index = json.loads((root / f"part-{k}" / "evidence" / "index.json").read_text())
        accounts.append({i["resource"]["id"] for i in index if i["kind"] == "aws.organization_account"})
        assert "Partial pack: shard" in (root / f"part-{k}" / "report.html").read_text()
    for a in range(4):  # every organisation account in exactly one shard: the one its id hashes to
        for b in range(a + 1, 4):
            assert not accounts[a] & accounts[b]
    assert set().union(*accounts) >= set(estate["members"])
    for member in estate["members"]:
        assert member in accounts[owner("aws", member, 4)]


def test_four_shards_merged_give_the_findings_of_one_run(estate: dict[str, Any]) -> None:
    root = estate["root"]
    code = main(["merge", *parts(root), "--out", str(root / "merged")])
    single = findings_of(root / "single")
    merged = findings_of(root / "merged")
    assert merged == single and len(single) > 10
    assert any(f["status"] == "error" and f["resource"]["id"].startswith("127.0.0.1") for f in merged)
    assert code == estate["single"].exit_code == runner.EXIT_INCOMPLETE  # the closed TLS ports
    run = read_manifest(root / "merged").run.to_json()
    assert [p["shard"] for p in run["merged_from"]] == ["0/4", "1/4", "2/4", "3/4"]
    assert run["complete"] is False and run["counts"] == estate["single"].run.counts
    collectors = {c["id"]: c for c in run["collectors"]}
    single_collectors = {c["id"]: c for c in estate["single"].run.to_json()["collectors"]}
    for cid in ("aws", "tls"):
        assert collectors[cid]["evidence"] == single_collectors[cid]["evidence"]
        assert collectors[cid]["status"] == single_collectors[cid]["status"]

    def identities(pack: Path) -> set[tuple[str, str, str]]:
        index = json.loads((pack / "evidence" / "index.json").read_text())
        return {(i["path"], i["kind"], i["status"]) for i in index}

    assert identities(root / "merged") == identities(root / "single")


def test_the_merged_pack_verifies_and_keeps_each_collecting_machines_manifest(estate: dict[str, Any]) -> None:
    root = estate["root"]
    merged = root / "merged"
    if not merged.exists():
        assert main(["merge", *parts(root), "--out", str(merged)]) == runner.EXIT_INCOMPLETE
    assert verify_pack(merged).ok
    hashes = file_hashes(merged)
    evidence_files = {p for p in hashes if p.startswith("evidence/") and p != "evidence/index.json"}
    custody: dict[str, str] = {}
    for k in range(4):
        kept = json.loads((merged / "parts" / f"{k}-of-4" / "manifest.json").read_text())
        assert kept == read_manifest(root / f"part-{k}").to_json()
        custody.update({p: h for p, h in kept["files"].items() if p in evidence_files})
    assert set(custody) == evidence_files  # every evidence file is in the manifest of the shard that wrote it
    assert all(hashes[p] == h for p, h in custody.items())
    html = (merged / "report.html").read_text()
    assert "Merged from 4 partial packs" in html and "Partial pack" not in html


def test_merge_refuses_an_altered_part_an_incomplete_set_and_mixed_plans(
        estate: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    root = estate["root"]
    assert main(["merge", *parts(root)[:3], "--out", str(tmp_path / "a")]) == runner.EXIT_USAGE
    assert "incomplete set of parts: shard(s) 3/4 missing" in capsys.readouterr().err
    mixed = [parts(root)[0], str(root / "other-plan-1"), *parts(root)[2:]]
    assert main(["merge", *mixed, "--out", str(tmp_path / "b")]) == runner.EXIT_CONFIG
    assert "different plans" in capsys.readouterr().err
    assert main(["merge", *parts(root), parts(root)[0], "--out", str(tmp_path / "c")]) == runner.EXIT_USAGE
    assert "given twice" in capsys.readouterr().err
    assert main(["merge", str(root / "single"), "--out", str(tmp_path / "d")]) == runner.EXIT_USAGE
    assert "not a partial pack" in capsys.readouterr().err

    def evidence_files(part: Path) -> list[Path]:
        return [p for p in sorted((part / "evidence").rglob("*.json")) if p.name != "index.json"]

    # moto draws the member account ids at random, so which shard holds evidence varies: alter one that does
    k = next(k for k in range(4) if evidence_files(root / f"part-{k}"))
    altered = tmp_path / f"part-{k}"
    shutil.copytree(root / f"part-{k}", altered)
    victim = evidence_files(altered)[0]
    victim.write_text(victim.read_text() + " ")  # still valid JSON, no longer the bytes the manifest vouches for
    given = parts(root)
    given[k] = str(altered)
    args = ["merge", *given, "--out", str(tmp_path / "e")]
    assert main(args) == runner.EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert "does not verify" in err and "changed evidence/" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "e").exists()


def test_merge_in_a_fresh_process_reads_the_parts_evidence(estate: dict[str, Any], tmp_path: Path) -> None:
    """``auditpack merge`` as a job of its own (the Kubernetes merge Job, the CI merge step):
    no collector has run in that interpreter, so the plugins' evidence kinds must be loaded
    by merge itself before it reads a part."""
    import subprocess
    import sys

    root = estate["root"]
    env = {**os.environ, "AUDITPACK_HISTORY": str(tmp_path / "history.sqlite")}
    done = subprocess.run([sys.executable, "-m", "auditpack", "merge", *parts(root), "--out", str(tmp_path / "m")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == runner.EXIT_INCOMPLETE, done.stderr  # the closed TLS ports, as in the one run
    assert findings_of(tmp_path / "m") == findings_of(root / "single")


def test_a_part_changed_after_its_verification_is_refused(estate: dict[str, Any], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """merge judges the bytes it verified: an evidence file altered between the manifest check
    and its reading is refused, not judged."""
    import shutil

    from auditpack import custody
    from auditpack.merge import MergeRefused, read_part

    root = estate["root"]
    k = next(k for k in range(4) if any((root / f"part-{k}" / "evidence").rglob("*-*.json")))
    part = tmp_path / f"part-{k}"
    shutil.copytree(root / f"part-{k}", part)
    victim = next(p for p in sorted((part / "evidence").rglob("*.json")) if p.name != "index.json")
    real_check = custody.check_pack

    def check_then_alter(*args: Any, **kwargs: Any) -> Any:
        report = real_check(*args, **kwargs)
        victim.write_text(victim.read_text() + " ")  # after the check, before merge reads it
        return report

    monkeypatch.setattr(custody, "check_pack", check_then_alter)
    with pytest.raises(MergeRefused) as refused:
        read_part(part, None)
    assert refused.value.code == runner.EXIT_USAGE
    assert f"changed {victim.relative_to(part).as_posix()}" in str(refused.value)


def test_signed_parts_need_the_public_key_and_a_valid_signature(estate: dict[str, Any], tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    from auditpack.signing import generate_keypair, signer

    root = estate["root"]
    generate_keypair(tmp_path / "k.pem", tmp_path / "k.pub")
    signed = []
    for k in range(4):
        target = tmp_path / f"signed-{k}"
        shutil.copytree(root / f"part-{k}", target)
        write_manifest(target, read_manifest(target).run, signer(tmp_path / "k.pem"))
        signed.append(str(target))
    assert main(["merge", *signed, "--out", str(tmp_path / "m1")]) == runner.EXIT_USAGE
    assert "pass --public-key" in capsys.readouterr().err
    generate_keypair(tmp_path / "other.pem", tmp_path / "other.pub")
    assert main(["merge", *signed, "--public-key", str(tmp_path / "other.pub"),
                 "--out", str(tmp_path / "m2")]) == runner.EXIT_USAGE
    assert "signature INVALID" in capsys.readouterr().err
    assert main(["merge", *parts(root), "--public-key", str(tmp_path / "k.pub"),
                 "--out", str(tmp_path / "m4")]) == runner.EXIT_USAGE  # a key given, but the parts are unsigned
    assert "not signed" in capsys.readouterr().err
    assert main(["merge", *signed, "--public-key", str(tmp_path / "k.pub"), "--sign-key", str(tmp_path / "k.pem"),
                 "--out", str(tmp_path / "m3")]) == runner.EXIT_INCOMPLETE
    assert (tmp_path / "m3" / "parts" / "0-of-4" / "manifest.intoto.jsonl").exists()
    assert main(["verify", str(tmp_path / "m3"), "--public-key", str(tmp_path / "k.pub")]) == 0


def test_shard_spec_is_checked() -> None:
    assert Shard.parse("3/4") == Shard(3, 4)
    for bad in ("4/4", "1", "-1/4", "1/0", "a/b"):
        with pytest.raises(ValueError):
            Shard.parse(bad)
    with pytest.raises(SystemExit) as exc:
        main(["run", "--config", "x.toml", "--out", "y", "--shard", "4/4"])
    assert exc.value.code == 2


def test_only_the_merged_run_is_recorded_and_it_gets_the_history_sections(estate: dict[str, Any],
                                                                           tmp_path: Path) -> None:
    """A partial pack judges nothing, so recording it would put an empty run in the history
    (and every failure would read as "resolved" at the next run): merge records the run once."""
    from auditpack.continuity import complete_run
    from auditpack.history import History

    root = estate["root"]
    config = validate_config({**estate["data"], "history": {"enabled": True}}, default_registry(), "estate.toml")
    history = History(Path(os.environ["AUDITPACK_HISTORY"]))
    before = {r.id for r in history.recent(1000)}
    part = runner.execute(config, default_registry(), now=NOW, shard=Shard(0, 4))  # the estate is still mocked
    complete_run(part, tmp_path / "partial")
    assert {r.id for r in history.recent(1000)} == before  # the partial run is not a run of the history
    doc = json.loads((tmp_path / "partial" / "history" / "since-previous.json").read_text())
    assert doc["status"] == "partial"
    code = main(["merge", *parts(root), "--out", str(tmp_path / "merged")])
    assert code == runner.EXIT_INCOMPLETE
    merged_run = read_manifest(tmp_path / "merged").run.to_json()
    # (an earlier test merged the same parts: the same run id, recorded again, not twice)
    assert {r.id for r in history.recent(1000)} == before | {merged_run["id"]}
    recorded = history.get_run(merged_run["id"])
    assert recorded is not None and recorded.pack_path == str(tmp_path / "merged")
    assert {f.check for f in history.facts(merged_run["id"])} == {f["check"] for f in findings_of(root / "single")}
    since = json.loads((tmp_path / "merged" / "history" / "since-previous.json").read_text())
    assert since["status"] in ("ok", "first_run")  # computed from the history, not "partial" or "unavailable"
    assert json.loads((tmp_path / "merged" / "history" / "period.json").read_text())["status"] == "ok"


def test_hetzner_projects_ssh_hosts_and_tls_endpoints_are_split_disjointly_and_completely() -> None:
    """Every configured scope is in exactly one shard, the one its name hashes to; a shard
    with none of a collector's scopes skips that collector."""
    from auditpack.collectors.hetzner.config import HetznerSettings
    from auditpack.collectors.ssh.config import SshSettings
    from auditpack.collectors.tls.config import TlsSettings

    registry = default_registry()
    sections = {
        "hetzner": HetznerSettings.model_validate(
            {"projects": [{"name": f"project-{i}", "token_env": f"HZ_{i}"} for i in range(9)]}),
        "ssh": SshSettings.model_validate(
            {"hosts": [{"name": f"backup-{i}", "host": f"10.0.0.{i}", "user": "audit"} for i in range(9)]}),
        "tls": TlsSettings.model_validate({"endpoints": [f"api-{i}.example.com:443" for i in range(9)]}),
    }
    scopes_of = {"hetzner": lambda s: [p.name for p in s.projects], "ssh": lambda s: [h.name for h in s.hosts],
                 "tls": lambda s: [e.id for e in s.endpoints]}
    for cid, settings in sections.items():
        every = scopes_of[cid](settings)
        seen: list[str] = []
        for k in range(4):
            collector = registry.collectors[cid](settings)
            shard = Shard(k, 4)
            active = collector.use_shard(shard.owner_of(cid))
            mine = scopes_of[cid](collector.settings)
            assert all(owner(cid, scope, 4) == k for scope in mine), (cid, k, mine)
            assert active == bool(mine), (cid, k)
            seen += mine
        assert sorted(seen) == sorted(every), cid  # each scope once: none lost, none twice
