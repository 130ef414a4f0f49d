"""Meta-tests over the registries: the promises that hold for every check, collector,
mapping and configuration key, present and future."""

from __future__ import annotations

import ast
import re
import tomllib
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from auditpack.catalogs import load_catalogs
from auditpack.checks import Check
from auditpack.config import CoreConfig, Policy, load_config
from auditpack.engine import evaluate
from auditpack.model import (
    AttemptStatus,
    Basis,
    ErrorReason,
    Evidence,
    EvidenceRecord,
    Measure,
    Provenance,
    Resource,
    Status,
    record_kinds,
)
from auditpack.registry import default_registry
from helpers import FIXED_NOW

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = default_registry()
CHECKS = REGISTRY.sorted_checks()
FORBIDDEN_IN_PURE_STAGES = {"boto3", "botocore", "hcloud", "paramiko", "socket", "ssl", "requests", "urllib3",
                            "subprocess", "http", "urllib.request", "moto"}
READ_ONLY_AWS = re.compile(r"^[a-z0-9-]+:(List|Get|Describe)[A-Za-z0-9]*$")
AWS_READ_EXCEPTIONS = {"sts:AssumeRole", "sts:GetCallerIdentity", "iam:GenerateCredentialReport"}


def test_built_in_plugins_load_without_errors() -> None:
    assert REGISTRY.broken == []
    assert set(REGISTRY.collectors) >= {"aws", "hetzner", "ssh", "tls"}


@pytest.mark.parametrize("chk", CHECKS, ids=lambda c: c.id)
def test_check_identity(chk: Check) -> None:
    assert chk.id == chk.func.__name__, "one name for function, registry key and id"
    assert chk.id.startswith(str(chk.measure) + "_"), "checks are named <measure>_<resource>_<expected_state>"
    assert chk.title and chk.remediation, "every check says what it checks and how to fix a failure"
    assert chk.needs, "a check declares the evidence it needs"
    assert load_catalogs().controls_for(chk.id, chk.measure), "every check maps to at least one control"


def test_check_ids_are_unique_across_modules() -> None:
    assert len({c.id for c in CHECKS}) == len(CHECKS)


def test_every_needed_and_optional_record_is_produced_by_some_collector() -> None:
    produced = {record for cls in REGISTRY.collectors.values() for record in cls.produces}
    for chk in CHECKS:
        for record in (*chk.needs, *chk.optional):
            assert record in produced, f"{chk.id} reads {record.kind}: no collector produces it"


def test_every_produced_record_is_registered_under_its_kind() -> None:
    kinds = record_kinds()
    for cls in REGISTRY.collectors.values():
        for record in cls.produces:
            assert kinds.get(record.kind) is record, f"{cls.id} produces {record!r}, not the registered {record.kind}"


@pytest.mark.parametrize("cid", sorted(REGISTRY.collectors))
def test_collectors_declare_what_they_need_and_produce(cid: str) -> None:
    cls = REGISTRY.collectors[cid]
    assert cls.produces, f"{cid} declares no evidence kinds"
    assert cls.permissions and all(cls.permissions.values()), f"{cid} declares no permissions"
    assert cls.config_section and cls.config_model is not None
    assert cls.provider


def test_aws_permissions_are_read_only() -> None:
    actions = REGISTRY.collectors["aws"].permissions.get("aws_iam", ())
    assert actions
    for action in actions:
        assert READ_ONLY_AWS.match(action) or action in AWS_READ_EXCEPTIONS, action


@pytest.mark.parametrize("chk", CHECKS, ids=lambda c: c.id)
def test_every_check_gives_error_for_errored_evidence_and_is_not_called_with_it(chk: Check) -> None:
    """The error case of every check: the engine's gate, exercised per check."""
    kind = chk.needs[0].kind
    resource = Resource("test", "thing", "test:thing-1", "thing-1", None, "scope-1")
    broken = Evidence(kind=kind, resource=resource, status=AttemptStatus.ERROR,
                      provenance=Provenance("test", "t", FIXED_NOW, "scope-1", "Test:Read"),
                      error="AccessDenied", reason=ErrorReason.PERMISSION_DENIED)
    findings = evaluate([broken], [chk], Policy(), FIXED_NOW, load_catalogs())
    assert [(f.status, f.resource.id) for f in findings] == [(Status.ERROR, "test:thing-1")]
    assert "AccessDenied" in findings[0].message and findings[0].evidence == (broken.path,)


@pytest.mark.parametrize("chk", CHECKS, ids=lambda c: c.id)
def test_every_check_declares_its_basis_and_never_claims_more_than_its_records(chk: Check) -> None:
    """Observed, declared or attested is decided where the fact is born: the check declares
    it (``@check(basis=...)`` is required), its records can only weaken it."""
    assert isinstance(chk.basis, Basis), f"{chk.id} declares no basis"
    assert chk.basis in chk.bases
    needed = {b for cls in chk.needs for b in cls.bases}
    if needed and Basis.OBSERVED not in needed:  # nothing it needs can be observed
        assert chk.basis is not Basis.OBSERVED, f"{chk.id} claims observed but reads only {sorted(needed)} records"
    # the error case carries a basis too (an unread fact is no observation of anything)
    kind = chk.needs[0].kind
    broken = Evidence(kind=kind, resource=Resource("test", "thing", "t:1", scope="s"), status=AttemptStatus.ERROR,
                      provenance=Provenance("test", "t", FIXED_NOW, "s", "Test:Read"), error="x",
                      reason=ErrorReason.TIMEOUT)
    [finding] = evaluate([broken], [chk], Policy(), FIXED_NOW, load_catalogs())
    assert finding.basis in chk.bases


def test_every_record_class_declares_a_basis_it_can_say_per_record() -> None:
    for kind, cls in record_kinds().items():
        assert cls.bases and all(isinstance(b, Basis) for b in cls.bases), kind
        if len(cls.bases) > 1:
            assert cls.fact_basis is not EvidenceRecord.fact_basis, f"{kind} carries several bases: say which"


def test_a_check_without_a_basis_is_refused_with_a_message_naming_it() -> None:
    from auditpack.checks import check
    from auditpack.evidence.aws import EbsVolume

    def encryption_at_rest_thing_encrypted(ctx):  # type: ignore[no-untyped-def]
        return []

    with pytest.raises(TypeError, match=r"check encryption_at_rest_thing_encrypted \(.*\) declares no basis: add "
                                        r"basis=Basis.OBSERVED"):
        check(title="t", measure=Measure.ENCRYPTION_AT_REST, needs=(EbsVolume,))(encryption_at_rest_thing_encrypted)


def test_a_record_class_with_several_bases_must_say_which_one_a_record_has() -> None:
    with pytest.raises(TypeError, match="override fact_basis"):
        class Mixed(EvidenceRecord, basis=(Basis.OBSERVED, Basis.DECLARED)):  # noqa: F841
            name: str


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("folder", ["checks", "reports"])
def test_checks_and_reports_do_no_io_imports(folder: str) -> None:
    for path in sorted((ROOT / folder).rglob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            assert name not in FORBIDDEN_IN_PURE_STAGES and top not in FORBIDDEN_IN_PURE_STAGES, \
                f"{path.relative_to(ROOT)} imports {name}: checks and reports never do I/O"


def test_every_package_folder_is_installed_under_the_auditpack_namespace() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    setuptools = pyproject["tool"]["setuptools"]
    mapping = setuptools["package-dir"]
    listed = set(setuptools["packages"])
    assert all(name == "auditpack" or name.startswith("auditpack.") for name in listed)
    for package, folder in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            name = ".".join([package, *rel.parts]) if rel.parts else package
            assert name in listed, f"{init.parent} is not listed in pyproject's packages"


def _fields(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> set[str]:
    seen = seen or set()
    names: set[str] = set()
    for name, field in model.model_fields.items():
        names.add(name)
        for arg in [field.annotation, *typing.get_args(field.annotation)]:
            for inner in [arg, *typing.get_args(arg)]:
                if isinstance(inner, type) and issubclass(inner, BaseModel) and inner not in seen:
                    seen.add(inner)
                    names |= _fields(inner, seen)
    return names


def test_config_example_validates_and_documents_every_key() -> None:
    example = ROOT / "config.example.toml"
    config = load_config(example, REGISTRY)
    assert set(config.sections) >= {"aws", "hetzner", "ssh", "tls"}
    text = example.read_text()
    models: list[type[BaseModel]] = [CoreConfig]
    models += [cls.config_model for cls in REGISTRY.collectors.values() if cls.config_model is not None]
    for model in models:
        for name in _fields(model):
            assert re.search(rf"^\s*#?\s*{re.escape(name)}\s*=", text, re.M) or \
                re.search(rf"^\s*#?\s*\[+[a-z._]*\b{re.escape(name)}\]+", text, re.M), \
                f"config.example.toml does not document the key {name!r} ({model.__name__})"


def test_every_measure_maps_to_controls_that_exist() -> None:
    cats = load_catalogs()
    for measure in Measure:
        refs = cats.controls_for("no-such-check", measure)
        assert refs, measure
        for ref in refs:
            assert cats.describe(ref).title


def test_mapping_names_only_existing_checks() -> None:
    cats = load_catalogs()
    unknown = set(cats.checks) - {c.id for c in CHECKS}
    assert not unknown, f"mapping.toml maps checks that do not exist: {sorted(unknown)}"


def test_every_check_defined_in_the_check_packages_is_registered() -> None:
    """A check in a submodule (checks/aws/backups.py) counts only if its package's entry
    point names it: a forgotten re-export would silently never run."""
    import importlib
    import pkgutil

    import auditpack.checks

    defined = set()
    for info in pkgutil.walk_packages(auditpack.checks.__path__, "auditpack.checks."):
        module = importlib.import_module(info.name)
        defined |= {v.id for v in vars(module).values() if isinstance(v, Check) and v.source == info.name}
    assert defined and defined <= set(REGISTRY.checks), sorted(defined - set(REGISTRY.checks))


def _code_strings(tree: ast.AST) -> set[str]:
    """String constants of a module except docstrings."""
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings}


def test_checks_read_records_typed_never_by_kind_string_cast_or_getattr() -> None:
    """Kind strings are on-disk names owned by the record classes; checks name the classes
    and read typed records (ctx.evidence.records / .of), so no cast, getattr or Any is needed."""
    kinds = set(record_kinds())
    for path in sorted((ROOT / "checks").rglob("*.py")):
        tree = ast.parse(path.read_text())
        where = path.relative_to(ROOT)
        assert not _code_strings(tree) & kinds, f"{where} spells evidence kinds: {sorted(_code_strings(tree) & kinds)}"
        calls = {node.func.id for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
        assert not calls & {"cast", "getattr"}, f"{where} calls {sorted(calls & {'cast', 'getattr'})}"
        asserts = [node for node in ast.walk(tree) if isinstance(node, ast.Assert)]
        assert not asserts, f"{where} asserts at line {asserts[0].lineno}: narrow with records(), not assert"
        record_reads = [node for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == "record"
                        and not (isinstance(node.value, ast.Name) and node.value.id == "self")]
        untyped = [n.lineno for n in record_reads if not _inside_isinstance(tree, n)
                   and path != ROOT / "checks" / "__init__.py"]  # EvidenceView itself does the typing
        assert not untyped, f"{where} reads ev.record untyped at lines {untyped}: use records() or ev.fact"


def _inside_isinstance(tree: ast.AST, target: ast.AST) -> bool:
    """``isinstance(ev.record, X)`` and the narrowed ``ev.record.x`` in the same condition."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.BoolOp)):
            test = node.test if isinstance(node, ast.If) else node
            if any(isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == "isinstance"
                   for c in ast.walk(test)) and any(c is target for c in ast.walk(test)):
                return True
    return False


def test_no_test_reads_the_shared_folder_beside_the_checkout() -> None:
    """A fresh clone runs every test: the shared reference files a test compares with are
    copied into tests/ (tests/data/controls.json, tests/data/dpa/*.txt, tests/findings.schema.json)."""
    outside = re.compile(r"""parents\[[2-9]\]|["'][^"'\s]*\.\./shared|["']/work/shared|["']shared["']\s*[,)]""")
    readers = [f"{p.name}:{n}" for p in sorted((ROOT / "tests").glob("*.py"))
               for n, line in enumerate(p.read_text("utf-8").splitlines(), 1) if outside.search(line)]
    assert readers == []
