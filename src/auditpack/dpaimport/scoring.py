"""Score a drafted DPA profile against a hand-written gold profile (issue 12's measure).

Recall and precision are over (clause, measure) pairs. A drafted clause matches a gold clause
when the refs agree, the draft being at most one level coarser ("Artikel 3.2" matches the
gold "Artikel 3.2 a)"; "…, bullet 5" matches "…, bullet 5.4"), or when their quotes overlap
(a shared run of five words, or the same short quote). A gold pair counts as found when a
matching drafted clause promises that measure; a drafted pair counts as right when a
matching gold clause promises it. Register names, breach deadline, residency and deletion
deadline are compared as values. Used by bench/dpa.py and by the tests.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from ..profiles import Clause, Profile, Subprocessor, load_profile

ARTICLE_WORD = re.compile(r"^(?:artikel|article|art\.?|clause|section|sectie|afdeling|paragraaf|klausel|§)\s*(?=\d)",
                          re.I)
ANNEX_WORD = re.compile(r"^(annex|annexe|bijlage|appendix|schedule|anlage|exhibit|attachment|aanhangsel)\s+(\S+)$",
                        re.I)
MEMBER_WORD = re.compile(r"\b(?:lid|leden|abs\.?|absatz)\s+(?=\d)", re.I)
ORDINAL = re.compile(r"(?<=\d)(?:er|re|ère)\b")
COUNTED = re.compile(r"^(bullet|paragraph|row)\s+(\d+(?:\.\d+)*)$", re.I)
SHINGLE = 5


def ref_path(ref: str) -> tuple[str, ...]:
    """A ref as its levels: "Artikel 6.2 a)" -> ("6", "2", "a"); "Audits, paragraph 2" ->
    ("audits", "paragraph 2"); "Bijlage 1, 1.A, bullet 3" -> ("bijlage 1", "1", "a", "bullet 3")."""
    path: list[str] = []
    for part in (p.strip() for p in ref.split(",")):
        if not part:
            continue
        if m := COUNTED.match(part):
            first, *rest = m.group(2).split(".")
            path.append(f"{m.group(1).lower()} {first}")
            path.extend(rest)
            continue
        if m := ANNEX_WORD.match(part):
            path.append(f"{m.group(1).lower()} {m.group(2).lower().rstrip('.')}")
            continue
        bare = ARTICLE_WORD.sub("", part)
        bare = MEMBER_WORD.sub("", ORDINAL.sub("", bare))  # "4 lid 1" is "4.1", "1er" is "1"
        if re.match(r"^[\d(]|^[a-z]{1,4}[).]?(\s|$)", bare, re.I) and not re.match(r"^[a-z]{2,}\s+[a-z]", bare, re.I):
            path.extend(t.lower() for t in re.findall(r"\d+|[A-Za-z]+", bare))
        else:
            path.append(" ".join(re.findall(r"\w+", part.casefold())))
    return tuple(path)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def quotes_overlap(a: str, b: str) -> bool:
    """Whether two quotes cite the same text: a shared run of five words, or, for short
    quotes, the same words."""
    def shingles(text: str) -> set[tuple[str, ...]]:
        out: set[tuple[str, ...]] = set()
        for piece in text.split("…"):
            words = _words(piece)
            out.update(tuple(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))
        return out

    wa, wb = _words(a), _words(b)
    if len(wa) < SHINGLE or len(wb) < SHINGLE:
        return bool(wa) and wa == wb
    return bool(shingles(a) & shingles(b))


def clauses_match(draft: Clause, gold: Clause) -> bool:
    d, g = ref_path(draft.ref), ref_path(gold.ref)
    return d == g or (len(g) > 1 and d == g[:-1]) or quotes_overlap(draft.quote, gold.quote)


def _norm_name(name: str) -> str:
    return " ".join(_words(name))


def names_match(draft: Subprocessor, gold: Subprocessor) -> bool:
    """The same register entry: equal names after normalising, one name inside the other
    on word boundaries ("Postmark" / "Postmark (ActiveCampaign LLC)"), or a gold alias."""
    d = _norm_name(draft.name)
    if not d:
        return False
    for name in (gold.name, *gold.providers):
        g = _norm_name(name)
        if g and (d == g or f" {g} " in f" {d} " or f" {d} " in f" {g} "):
            return True
    return False


@dataclass
class Score:
    document: str
    recall: float
    precision: float
    gold_pairs: int
    drafted_pairs: int
    found_pairs: int
    right_pairs: int
    breach_deadline_ok: bool
    breach_deadline: list[int | None]  # [drafted, gold]
    residency_ok: bool
    deletion_days_ok: bool
    register_found: int
    register_expected: int
    register_extra: int
    seconds: float | None = None
    missed: list[str] = field(default_factory=list)  # "ref: measure" of gold pairs not found
    wrong: list[str] = field(default_factory=list)  # "ref: measure" of drafted pairs with no gold support

    def as_json(self, *, details: int = 12) -> dict[str, Any]:
        data = asdict(self)
        data["recall"] = round(self.recall, 3)
        data["precision"] = round(self.precision, 3)
        if self.seconds is not None:
            data["seconds"] = round(self.seconds, 3)
        data["missed"] = self.missed[:details]
        data["wrong"] = self.wrong[:details]
        return data


def score(draft: Profile, gold: Profile, *, document: str = "", seconds: float | None = None) -> Score:
    matches = {(i, j) for i, d in enumerate(draft.clauses) for j, g in enumerate(gold.clauses) if clauses_match(d, g)}
    gold_pairs = [(j, m) for j, g in enumerate(gold.clauses) for m in dict.fromkeys(g.measures)]
    draft_pairs = [(i, m) for i, d in enumerate(draft.clauses) for m in dict.fromkeys(d.measures)]
    found = [(j, m) for j, m in gold_pairs
             if any(m in draft.clauses[i].measures for i, jj in matches if jj == j)]
    right = [(i, m) for i, m in draft_pairs
             if any(m in gold.clauses[j].measures for ii, j in matches if ii == i)]
    missed = [f"{gold.clauses[j].ref}: {m}" for j, m in gold_pairs if (j, m) not in set(found)]
    wrong = [f"{draft.clauses[i].ref}: {m}" for i, m in draft_pairs if (i, m) not in set(right)]

    def same(key: str) -> bool:
        return draft.parameters.get(key) == gold.parameters.get(key)

    register_found = sum(1 for g in gold.subprocessors if any(names_match(d, g) for d in draft.subprocessors))
    register_extra = sum(1 for d in draft.subprocessors if not any(names_match(d, g) for g in gold.subprocessors))
    return Score(
        document=document,
        recall=len(found) / len(gold_pairs) if gold_pairs else 1.0,
        precision=len(right) / len(draft_pairs) if draft_pairs else (1.0 if not gold_pairs else 0.0),
        gold_pairs=len(gold_pairs), drafted_pairs=len(draft_pairs), found_pairs=len(found), right_pairs=len(right),
        breach_deadline_ok=same("breach_deadline_hours"),
        breach_deadline=[draft.parameters.get("breach_deadline_hours"), gold.parameters.get("breach_deadline_hours")],
        residency_ok=same("residency"), deletion_days_ok=same("deletion_days"),
        register_found=register_found, register_expected=len(gold.subprocessors), register_extra=register_extra,
        seconds=seconds, missed=missed, wrong=wrong,
    )


def load_gold(ref: str) -> Profile:
    """A gold profile: a TOML path, or "builtin:<name>" for a built-in profile."""
    return load_profile(ref.removeprefix("builtin:"))
