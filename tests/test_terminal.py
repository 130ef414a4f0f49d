"""What `auditpack check` prints, on hand-made findings: order, severity, wrapped hints,
the per-measure and per-DPA summary, and the meaning of the exit code."""

from __future__ import annotations

from view_support import _view

from auditpack.model import Finding, Measure, Resource, Severity, Status
from auditpack.terminal import item_lines, print_check


def _f(status: Status, severity: Severity, measure: Measure, check: str, remediation: str | None = None) -> Finding:
    return Finding(check=check, measure=measure, status=status, severity=severity, message=f"{check} says {status}",
                   resource=Resource(provider="aws", type="thing", id=f"id-{check}", name=f"name-{check}"),
                   remediation=remediation)


def test_failing_then_errored_each_by_severity_then_measure() -> None:
    findings = [
        _f(Status.FAIL, Severity.LOW, Measure.BACKUPS, "backups_a"),
        _f(Status.ERROR, Severity.CRITICAL, Measure.BACKUPS, "backups_b"),
        _f(Status.FAIL, Severity.HIGH, Measure.EEA_RESIDENCY, "eea_residency_c"),
        _f(Status.FAIL, Severity.HIGH, Measure.BACKUPS, "backups_d"),
        _f(Status.PASS, Severity.HIGH, Measure.BACKUPS, "backups_e"),
    ]
    lines: list[str] = []
    print_check(findings, _view([]), 3, False, lines.append, columns=80)
    heads = [line for line in lines if line[:5].strip() in ("FAIL", "ERROR", "PASS")]
    assert [h.split()[:2] + [h.split()[-1]] for h in heads] == [
        ["FAIL", "high", "backups_d"], ["FAIL", "high", "eea_residency_c"], ["FAIL", "low", "backups_a"],
        ["ERROR", "critical", "backups_b"]]
    assert lines[-1] == ("exit 3: INCOMPLETE: some evidence could not be collected (the ERROR items); "
                         "nothing above is a pass for them")


def test_hints_wrap_under_their_item() -> None:
    hint = "Turn on default encryption for every volume in every region, then re-create the old volumes " * 2
    lines = item_lines(_f(Status.FAIL, Severity.HIGH, Measure.ENCRYPTION_AT_REST, "encryption_x", hint), 60)
    assert lines[0].startswith("FAIL  high     Encryption at rest: encryption_x")
    hint_lines = lines[lines.index(next(x for x in lines if "hint:" in x)):]
    assert len(hint_lines) > 2 and all(len(x) <= 60 for x in lines)
    assert hint_lines[0].startswith("      hint: ")
    assert all(x.startswith(" " * 12) for x in hint_lines[1:])  # continuation lines under the hint's text


def test_summary_per_measure_and_per_dpa() -> None:
    from view_support import BULLET7, _finding

    view = _view([_finding("encryption_at_rest_x", "encryption_at_rest", "fail", "r1", clauses=(BULLET7,))])
    lines: list[str] = []
    print_check([], view, 1, False, lines.append)
    assert "No failing or errored findings." in lines
    row = next(x for x in lines if x.startswith("  Encryption at rest"))
    assert row.split()[3:5] == ["1", "0"] and row.endswith("Evidence of non-conformity")
    assert any(x.startswith("Per DPA: dioss (") for x in lines)
    assert any(x.split()[-1] == "1" and "Evidence of non-conformity" in x for x in lines if x.startswith("  Evidence"))
    assert lines[-1] == "exit 1: complete, with failing findings (not covered by an active waiver)"


def test_every_option_of_every_command_says_what_it_does() -> None:
    import argparse

    from auditpack.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in commands.choices.items():
        for action in sub._actions:
            if not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                assert action.help, f"auditpack {name}: {'/'.join(action.option_strings) or action.dest} has no help"
    check = " ".join(commands.choices["check"].format_help().split())
    assert "what the exit code means" in check and "json: the findings document" in check


def test_declared_and_attested_items_say_so_and_the_summary_counts_them() -> None:
    """A declaration is never shown as if it had been observed, at the terminal either."""
    from dataclasses import replace

    from view_support import BULLET7, _finding

    from auditpack.model import Basis

    def based(f: Finding, basis: str) -> Finding:
        return replace(f, basis=Basis(basis))

    declared = based(_f(Status.FAIL, Severity.HIGH, Measure.EEA_RESIDENCY, "eea_residency_declared"), "declared")
    attested = based(_f(Status.FAIL, Severity.HIGH, Measure.EEA_RESIDENCY, "eea_residency_attested"), "attested")
    observed = based(_f(Status.FAIL, Severity.HIGH, Measure.EEA_RESIDENCY, "eea_residency_observed"), "observed")
    assert "      basis: declared in the configuration, not observed" in item_lines(declared, 100)
    assert "      basis: attested by an attached document, not observed" in item_lines(attested, 100)
    assert not any("basis:" in line for line in item_lines(observed, 100))

    row = _finding("eea_residency_x", "eea_residency", "pass", "host-1", clauses=(BULLET7,))
    lines: list[str] = []
    print_check([], _view([{**row, "basis": "declared"}]), 0, False, lines.append)
    assert "Findings by basis: 1 declared in the configuration (not observed)" in lines
    assert any(x.startswith("Supported only by declarations or attestations, not by observation: 1 DPA clause")
               for x in lines)
    lines = []
    print_check([], _view([{**row, "basis": "observed"}]), 0, False, lines.append)
    assert "Findings by basis: 1 observed" in lines
    assert "No clause or control is supported only by declarations or attestations." in lines
