"""Are two packs' findings the same, byte for byte, apart from what is random in each run?

Used to show that a change kept behaviour: write the demo pack (``auditpack demo --out``) or
the AWS benchmark's pack (``bench/aws.py --keep DIR``) before and after the change, then

    python bench/same_findings.py BEFORE/findings.json AFTER/findings.json
    python bench/same_findings.py BEFORE AFTER     # pack folders: also context.json, evidence/index.json

prints ONE JSON line: whether the files are identical as they are, whether they are after
only the random parts are replaced by placeholders (the rules and how often each applied are
listed), whether the findings are in the same order, and the first difference if any.

Random in a run, and nothing else, is normalised:

- the run's id, its times and the collectors' durations;
- timestamps (a run's clock: the demo makes its certificates at start-up, moto stamps
  creation times) and the age of a backup a finding states (``age_hours``, "0.1 h old"): the
  demo and the benchmark make their backups at start-up, so the age is how long the start took;
- loopback ports (also a probe's "on port N") and temporary folders (the demo's servers);
- the ids moto draws at random (vpc-…, vol-…, load balancer and listener suffixes, UUIDs);
- the 12-hex digest in evidence file names, a hash of a resource id (random where the id is),
  and the 8-hex prefix of an attached document's name in manual/, a hash of its source path
  (the demo writes its documents into a temporary folder);
- in evidence/index.json (pack folders) each payload's ``raw_sha256``: a hash over raw API
  answers that carry those random ids and times.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

RULES: tuple[tuple[str, re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    ("timestamp", re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    ("elapsed_hours", re.compile(r'"age_hours": -?\d+(?:\.\d+)?'), '"age_hours": "<elapsed>"'),
    ("elapsed_hours_by_backup", re.compile(r'"age_hours": \{[^{}]*\}'),
     lambda m: re.sub(r'(": )-?\d+(?:\.\d+)?', r'\1"<elapsed>"', m.group(0))),
    ("elapsed_in_message", re.compile(r"\b-?\d+(?:\.\d+)? (h|hours) old\b"), r"<elapsed> \1 old"),
    ("raw_sha256", re.compile(r'"raw_sha256": "[0-9a-f]{64}"'), '"raw_sha256": "<digest>"'),
    ("uuid", re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    ("moto_id", re.compile(r"\b(vpc|vol|snap|sg|subnet|igw|rtb|acl|eni|i|ami|nat|eipalloc|dopt|fs|fsap|fsmt|key|"
                           r"db|rtbassoc|vpce|pl|tgw|lt)-[0-9a-f]{8,17}\b"), r"\1-<id>"),
    ("load_balancer_id", re.compile(r"((?:loadbalancer|listener|targetgroup)/(?:app/|net/|gwy/)?[^/\"]+/)[0-9a-f]{16}"),
     r"\1<id>"),
    ("listener_id", re.compile(r"(/<id>/)[0-9a-f]{16}\b"), r"\1<id>"),
    ("loopback_port", re.compile(r"(127\.0\.0\.1|localhost|\.test)([:_])\d{2,5}\b"), r"\1\2<port>"),
    ("probe_port", re.compile(r"(on port )\d{2,5}\b"), r"\1<port>"),
    ("temporary_folder", re.compile(r"/tmp/[A-Za-z0-9_.-]*?(?:tmp|-)[a-z0-9_]{8}\b"), "/tmp/<tmp>"),
    ("evidence_file_digest", re.compile(r"-[0-9a-f]{12}\.json\b"), "-<digest>.json"),
    ("manual_file_digest", re.compile(r"\bmanual/(dpa-[a-z0-9_-]+-)?[0-9a-f]{8}-"), r"manual/\1<digest>-"),
)
RUN_RANDOM = ("id", "started_at", "finished_at")


def normalise(text: str, counts: Counter[str]) -> str:
    for name, pattern, replacement in RULES:
        text, n = pattern.subn(replacement, text)
        counts[name] += n
    return text


def _run(run: dict[str, Any], counts: Counter[str]) -> str:
    run = dict(run)
    for key in RUN_RANDOM:
        if key in run:
            run[key] = f"<{key}>"
            counts[f"run.{key}"] += 1
    run["collectors"] = [{**c, "seconds": "<seconds>"} for c in run.get("collectors", ())]
    counts["run.collectors.seconds"] += len(run["collectors"])
    return normalise(json.dumps(run, sort_keys=True), counts)


def compare(before: Path, after: Path) -> dict[str, Any]:
    raw = [before.read_bytes(), after.read_bytes()]
    docs = [json.loads(b) for b in raw]
    counts: Counter[str] = Counter()
    runs = [_run(d.get("run", {}), counts) for d in docs]
    rest = [{k: v for k, v in d.items() if k not in ("run", "findings")} for d in docs]
    lists = [[normalise(json.dumps(f, sort_keys=True, ensure_ascii=False), counts) for f in d["findings"]]
             for d in docs]
    same_order = lists[0] == lists[1]
    same = runs[0] == runs[1] and rest[0] == rest[1] and sorted(lists[0]) == sorted(lists[1])
    result: dict[str, Any] = {
        "before": str(before), "after": str(after),
        "findings": [len(x) for x in lists],
        "identical_bytes": raw[0] == raw[1],
        "same_after_normalising": same,
        "same_order": same_order,
        "normalised": dict(sorted(counts.items())),
    }
    if not same:
        if runs[0] != runs[1]:
            result["first_difference"] = {"run": runs}
        else:
            a, b = sorted(lists[0]), sorted(lists[1])
            result["first_difference"] = next(
                ({"before": x, "after": y} for x, y in zip(a, b, strict=False) if x != y),
                {"only_in": "before" if len(a) > len(b) else "after"})
    return result


OTHER_DOCUMENTS = ("context.json", "evidence/index.json")


def _document(path: Path, counts: Counter[str]) -> list[str]:
    """A pack document as normalised lines (its run as in findings.json; list items in any order)."""
    data = json.loads(path.read_bytes())
    items = data if isinstance(data, list) else [data]
    out = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("run"), dict):
            item = {**item, "run": _run(item["run"], counts)}
        out.append(normalise(json.dumps(item, sort_keys=True, ensure_ascii=False), counts))
    return sorted(out)


def compare_packs(before: Path, after: Path) -> dict[str, Any]:
    """``compare`` of the findings, and whether the pack's other model documents are the same."""
    result = compare(before / "findings.json", after / "findings.json")
    counts: Counter[str] = Counter()
    same = {name: _document(before / name, counts) == _document(after / name, counts) for name in OTHER_DOCUMENTS}
    result["other_documents_same_after_normalising"] = same
    result["other_documents_normalised"] = dict(sorted(counts.items()))
    result["same_after_normalising"] = result["same_after_normalising"] and all(same.values())
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    before, after = Path(argv[0]), Path(argv[1])
    result = compare_packs(before, after) if before.is_dir() else compare(before, after)
    print(json.dumps(result, sort_keys=True))
    return 0 if result["same_after_normalising"] else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
