"""The pre-flight pass and strict configuration: every problem a configuration can hold is
one line naming the file, the section and the key, before anything is collected (exit 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditpack.config import load_config
from auditpack.engine import ProgressSink
from auditpack.errors import ConfigError
from auditpack.registry import default_registry
from auditpack.runner import execute
from helpers import run_cli

REGISTRY = default_registry()
ENV = {"HCLOUD_TOKEN": "t0ken", "BORG_PASS": "pw"}


class NothingStarts(ProgressSink):
    def collector_started(self, collector_id: str) -> None:
        raise AssertionError(f"collector {collector_id} started although the configuration is broken")


def problem(tmp_path: Path, body: str, environ: dict[str, str] | None = None) -> str:
    """The one-line configuration error of ``body`` (nothing may be collected)."""
    cfg = tmp_path / "audit.toml"
    cfg.write_text("[history]\nenabled = false\n" + body)
    with pytest.raises(ConfigError) as caught:
        execute(load_config(cfg, REGISTRY), REGISTRY, progress=NothingStarts(),
                environ=ENV if environ is None else environ)
    message = str(caught.value)
    assert message.startswith(f"{cfg}: ") and "\n" not in message
    return message[len(f"{cfg}: "):]


def ssh_host(tmp_path: Path, **overrides: str) -> str:
    key, known = tmp_path / "id_ed25519", tmp_path / "known_hosts"
    key.write_text("not checked here")
    known.write_text("")
    keys = {"key_file": f"'{key}'", "known_hosts": f"'{known}'", **overrides}
    lines = "".join(f"{k} = {v}\n" for k, v in keys.items())
    return f"[[ssh.hosts]]\nname = 'backup-1'\nhost = '127.0.0.1'\nuser = 'audit'\n{lines}"


def test_no_source_configured_is_a_configuration_error(tmp_path: Path) -> None:
    assert problem(tmp_path, "[organisation]\nname = 'x'\n").startswith(
        "(top level): no source is configured: nothing would be collected")
    assert "[tls]: endpoints: none listed and discover = false" in problem(tmp_path, "[tls]\n")
    assert problem(tmp_path, "[hetzner]\n").startswith("[hetzner]: projects: no [[hetzner.projects]]")


def test_manual_evidence_only_must_be_said_and_must_be_true(tmp_path: Path) -> None:
    doc = tmp_path / "iso.pdf"
    doc.write_bytes(b"%PDF-1.4")
    cfg = tmp_path / "audit.toml"
    cfg.write_text(f"[history]\nenabled = false\n[run]\nmanual_evidence_only = true\n"
                   f"[[manual_evidence]]\npath = '{doc}'\ntitle = 'ISO certificate'\n")
    result = execute(load_config(cfg, REGISTRY), REGISTRY, environ={})
    assert result.complete and all(c.status == "skipped" for c in result.collection.collectors)
    message = problem(tmp_path, "[run]\nmanual_evidence_only = true\n[tls]\nendpoints = ['a.example']\n")
    assert message == "[run]: manual_evidence_only = true, but [tls] would collect: remove one or the other"


@pytest.mark.parametrize(("override", "expected"), [
    ({"key_file": "'missing_key'"}, "key_file: '{tmp}/missing_key' does not exist"),
    ({"known_hosts": "'~/../../nonexistent/known_hosts'"}, "known_hosts: '"),
    ({"key_passphrase_env": "'AUDITPACK_TEST_UNSET_KEY_PASS'"},
     "key_passphrase_env: the environment variable AUDITPACK_TEST_UNSET_KEY_PASS is not set"),
])
def test_ssh_references_are_checked_before_connecting(tmp_path: Path, override: dict[str, str], expected: str) -> None:
    message = problem(tmp_path, ssh_host(tmp_path, **override))
    assert message.startswith('[[ssh.hosts]] #1 (name = "backup-1"): ' + expected.format(tmp=tmp_path)), message


def test_backup_passphrase_variable_must_be_set(tmp_path: Path) -> None:
    body = ssh_host(tmp_path) + "[[ssh.hosts.backups]]\nkind = 'borg'\npath = '/srv/borg'\npassphrase_env = 'BORG_X'\n"
    assert problem(tmp_path, body) == ('[[ssh.hosts]] #1 (name = "backup-1") [[backups]] #1 (path = \'/srv/borg\'): '
                                       "passphrase_env: the environment variable BORG_X is not set")


def test_hetzner_token_variable_must_be_set_and_not_empty(tmp_path: Path) -> None:
    body = "[[hetzner.projects]]\nname = 'prod'\ntoken_env = 'HCLOUD_TOKEN'\n"
    expected = '[[hetzner.projects]] #1 (name = "prod"): token_env: the environment variable HCLOUD_TOKEN is not set'
    assert problem(tmp_path, body, environ={}) == expected
    assert problem(tmp_path, body, environ={"HCLOUD_TOKEN": ""}) == expected + " (it is empty)"


def test_tls_ca_bundle_must_exist(tmp_path: Path) -> None:
    message = problem(tmp_path, "[tls]\nendpoints = ['app.example.com']\nca_bundle = 'ca/private.pem'\n")
    assert message == f"[tls]: ca_bundle: '{tmp_path}/ca/private.pem' does not exist"


def test_aws_region_names_are_checked_against_botocore_partitions(tmp_path: Path) -> None:
    message = problem(tmp_path, "[aws]\nregions = ['eu-central-1', 'eu-frankfurt-1']\n")
    assert message.startswith("[aws]: regions: 'eu-frankfurt-1' is not an AWS region known to botocore")
    mixed = problem(tmp_path, "[aws]\nregions = ['eu-central-1', 'cn-north-1']\n")
    assert mixed == ("[aws]: regions: the list mixes AWS partitions (aws, aws-cn); "
                     "one credential chain reaches one partition")


def test_aws_named_profile_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "aws-config").write_text("[profile audit]\nregion = eu-central-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    message = problem(tmp_path, "[aws]\nregions = ['eu-central-1']\nprofile = 'audti'\n")
    assert message == "[aws]: profile: no AWS profile named 'audti' in the AWS config or credentials files"


@pytest.mark.parametrize(("body", "expected"), [
    ("[[ssh.hosts]]\nname = 'b'\nhost = 'h'\nuser = 'u'\nport = \"22\"\n",
     '[[ssh.hosts]] #1 (name = "b"): port: Input should be a valid integer (got \'22\')'),
    ("[tls]\nendpoints = ['a']\ntimeout = \"10\"\n", "[tls]: timeout: Input should be a valid number (got '10')"),
    ("[history]\nenabled = 1\n", "[history]: enabled: Input should be a valid boolean (got 1)"),
    ("[policy]\nadmin_ports = [\"22\"]\n", "[policy]: admin_ports[1]: Input should be a valid integer (got '22')"),
])
def test_configuration_types_are_strict(tmp_path: Path, body: str, expected: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(body)
    with pytest.raises(ConfigError) as caught:
        load_config(cfg, REGISTRY)
    assert str(caught.value) == f"{cfg}: {expected}"


def test_waivers_name_registered_checks(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[[waivers]]\ncheck = 'network_security_security_group_admin_ports_closed'\nresource = '*'\n"
                   "owner = 'CTO'\nreason = 'bastion'\nexpires = 2027-03-31\n")
    with pytest.raises(ConfigError) as caught:
        load_config(cfg, REGISTRY)
    assert str(caught.value).startswith(f"{cfg}: [[waivers]] #1: check: no check has the id "
                                        "'network_security_security_group_admin_ports_closed'")


def test_a_waiver_for_a_renamed_check_is_refused_with_the_new_id(tmp_path: Path) -> None:
    """Never carried over silently: the new check judges more than the old one did."""
    from auditpack.config import renamed_checks

    renamed = renamed_checks()
    assert renamed, "data/renamed_checks.toml lists the renamed ids"
    for old, (new, _) in renamed.items():
        assert old not in REGISTRY.checks and new in REGISTRY.checks, (old, new)
    cfg = tmp_path / "c.toml"
    cfg.write_text("[[waivers]]\ncheck = 'backups_dynamodb_table_pitr_enabled'\nresource = '*'\n"
                   "owner = 'CTO'\nreason = 'cache tables'\nexpires = 2027-03-31\n")
    with pytest.raises(ConfigError) as caught:
        load_config(cfg, REGISTRY)
    assert str(caught.value).startswith(
        f"{cfg}: [[waivers]] #1: check: 'backups_dynamodb_table_pitr_enabled' was renamed to "
        "'backups_dynamodb_table_recent_backup' (backups of a table are judged over every mechanism")


@pytest.mark.parametrize(("keys", "expected"), [
    ("clauses = ['dioss: no such clause']\nreviewer = 'A'\nvalid_until = 2030-01-01\n",
     "clauses: 'dioss: no such clause' is not a clause of a configured [[dpa]] profile"),
    ("iso = ['A.9.99']\nreviewer = 'A'\nvalid_until = 2030-01-01\n", "iso: 'A.9.99' is not an ISO/IEC 27001:2022"),
    ("gdpr = ['999']\nreviewer = 'A'\nvalid_until = 2030-01-01\n", "gdpr: '999' is not a GDPR article"),
])
def test_attached_documents_name_real_clauses_and_controls(tmp_path: Path, keys: str, expected: str) -> None:
    doc = tmp_path / "iso.pdf"
    doc.write_bytes(b"%PDF-1.4")
    body = (f"[run]\nmanual_evidence_only = true\n[[dpa]]\nprofile = 'dioss'\n"
            f"[[manual_evidence]]\npath = '{doc}'\ntitle = 'ISO'\n{keys}")
    assert problem(tmp_path, body).startswith(f"[[manual_evidence]] #1: {expected}")


def test_an_attestation_needs_a_reviewer_and_a_validity(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    for keys, expected in (("iso = ['A.5.30']\nvalid_until = 2030-01-01\n", "needs a `reviewer`"),
                           ("iso = ['A.5.30']\nreviewer = 'A'\n", "needs `valid_until` or `max_age_days`"),
                           ("max_age_days = 30\n", "max_age_days needs the document's `date`")):
        cfg.write_text(f"[[manual_evidence]]\npath = 'x.pdf'\ntitle = 'ISO'\n{keys}")
        with pytest.raises(ConfigError, match=expected):
            load_config(cfg, REGISTRY)


def test_the_command_line_stops_with_exit_4_and_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "audit.toml"
    cfg.write_text("[history]\nenabled = false\n" + ssh_host(tmp_path, key_file="'keys/missing'"))
    for command in (["run", "--config", str(cfg), "--out", str(tmp_path / "pack")], ["check", "--config", str(cfg)]):
        proc = run_cli(*command)
        assert proc.returncode == 4, proc.stderr
        assert proc.stderr.splitlines() == [
            f"auditpack: configuration error: {cfg}: [[ssh.hosts]] #1 (name = \"backup-1\"): "
            f"key_file: '{tmp_path}/keys/missing' does not exist"]
        assert proc.stdout == ""
    assert not (tmp_path / "pack").exists()


def test_keygen_creates_missing_folders_or_says_why_in_one_line(tmp_path: Path) -> None:
    private, public = tmp_path / "keys" / "pack.pem", tmp_path / "keys" / "pack.pub.pem"
    proc = run_cli("keygen", "--private", str(private), "--public", str(public))
    assert proc.returncode == 0, proc.stderr
    assert private.stat().st_mode & 0o777 == 0o600 and (tmp_path / "keys").stat().st_mode & 0o077 == 0
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    (tmp_path / "file").write_text("")
    proc = run_cli("keygen", "--private", str(tmp_path / "file" / "k.pem"), "--public", str(tmp_path / "k.pub"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [f"auditpack: cannot write the key pair: {tmp_path / 'file'}: File exists"]
