"""Which of the 16 measures each block of a DPA promises, and why.

Deterministic and explainable: every tag names the lexicon rules and the words of the
document that fired them (``data/dpa_lexicon.toml``). The unit is the sentence, so a block
that mixes the controller's duty with the processor's promise (Voxio 7.1) keeps only the
promise. A sentence is no promise when it sits under a definitions or boilerplate heading,
speaks of liability, costs or law, or has the controller as its subject (except for the
controller's rights, e.g. to audit). A general clause ("appropriate technical and
organisational measures") promises no measure in particular: only specific words tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ..model import Measure
from .labels import ANNEX_WORDS
from .lexicon import CompiledRule, FoldedText, Hit, Lexicon, Patterns, folded_text, load_lexicon
from .model import Block, Document

_ABBREVIATIONS = frozenset({
    "art", "artikel", "o.a", "oa", "bijv", "e.g", "i.e", "etc", "enz", "nr", "no", "lid", "par", "cf", "vs", "ca",
    "resp", "incl", "ltd", "inc", "b.v", "n.v", "bv", "nv", "z.g", "m.b.t", "i.v.m", "t.a.v", "jo", "sub", "p",
})
_DEFINED_TERM = re.compile(r"\((?:[^()\"“”]{0,30}\s)?[\"“‘'][^\"”’()]{1,60}[\"”’']\s*\)")
_ITEM_REF = re.compile(r"(?:\s\(?[a-z]{1,4}\)|\s[a-z]{1,4}|, bullet \d+)$")  # a list item's ref: "9.2 (a)", "3 a)"
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9À-Ý])")
_ANNEX_NAMES = frozenset(w.casefold() for w in ANNEX_WORDS)
# "Nature and purpose: …", "Soorten Persoonsgegevens: …": a label, then its value; the SCCs'
# Annex I.B asks long questions ("Categories of data subjects whose personal data is
# transferred:", "The period for which the personal data will be retained:"): under a
# description heading the answer after such a label is the entry, the question promises nothing
_LONG_LABEL = re.compile(r"^[^\W\d_][^:.;!?]{0,120}:\s", re.UNICODE)
_LABEL_END = re.compile(r"\([a-z0-9]{1,2}|[a-z0-9]|\d{1,2}|[ivx]{2,4}")
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+", re.IGNORECASE)  # an address, no promise of HTTPS


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text``; a period after a known abbreviation ends nothing."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        before = text[start:m.start()].rstrip(".!?\"”’)")
        words = [w.casefold() for w in before.rsplit(None, 2)[-2:]]
        last = words[-1] if words else ""
        # "(a. …" or "o.a." ends nothing, but "… described in Exhibit B. Corvana may …" does
        named_annex = len(words) > 1 and words[-2] in _ANNEX_NAMES
        # a label ("(a.", "b.", "12.", "ii.") ends nothing; a two-letter word does ("… gecertificeerd is.")
        if last.rstrip(".") in _ABBREVIATIONS or (_LABEL_END.fullmatch(last) and not named_annex):
            continue
        spans.append((start, m.start()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


@dataclass(frozen=True)
class MeasureTag:
    measure: Measure
    confidence: float
    phrases: tuple[str, ...]  # the document's words that fired
    reasons: tuple[str, ...]  # "lexicon: 'ssl'", "heading 'Audits'"


@dataclass(frozen=True)
class SentenceTag:
    text: str
    start: int  # offsets inside the block text
    end: int
    measures: tuple[MeasureTag, ...]
    obligation: bool  # words of commitment ("shall", "zal", "moet", ...)
    excluded: str | None  # why this sentence is no promise, when it is not
    general: bool  # a general security clause ("appropriate technical and organisational measures")


@dataclass(frozen=True)
class BlockTags:
    block: Block
    sentences: tuple[SentenceTag, ...]
    measures: tuple[MeasureTag, ...]  # merged over the promising sentences, strongest first
    excluded: str | None = None  # why the whole block is no promise
    parent: int | None = None  # index of the lead-in block this one hangs under
    leftover: tuple[SentenceTag, ...] = field(default_factory=tuple)
    listed: tuple[Measure, ...] = ()  # measures a lead-in promises through the list under it

    @property
    def promised(self) -> tuple[Measure, ...]:
        return tuple(t.measure for t in self.measures)


def _heading_text(block: Block) -> str:
    return block.heading or ""


_TITLE_SMALL_WORDS = {"of", "and", "or", "the", "to", "for", "by", "in", "on", "with", "a", "an", "under",
                      "van", "en", "de", "het", "op", "voor", "bij", "met"}


def _run_in_title(block: Block, spans: list[tuple[int, int]], lex: Lexicon) -> str | None:
    """The bold title a US-style clause opens with ("4.2 Sub-processor List and Notice. The
    current list …"): a first "sentence" of a few capitalised words, no verb of commitment,
    followed by the clause's text."""
    if block.kind != "paragraph" or len(spans) < 2:
        return None
    first = block.text[spans[0][0]:spans[0][1]].strip()
    words = first.rstrip(".").split()
    if not first.endswith(".") or not 1 <= len(words) <= 6 or not words[0][:1].isupper():
        return None
    if not all(w[:1].isupper() or w.casefold() in _TITLE_SMALL_WORDS for w in words):
        return None
    return None if lex.obligation.any(folded_text(first)) else first


def _block_exclusion(block: Block, lex: Lexicon) -> str | None:
    inner = folded_text(_heading_text(block))
    every = folded_text(" / ".join(block.headings))
    if lex.definitions_heading.any(every):
        return "definitions"
    if lex.boilerplate_heading.any(inner):
        return f"boilerplate section ({block.heading})"
    return None


def _describes_processing(block: Block, lex: Lexicon) -> bool:
    every = folded_text(" / ".join(block.headings))
    return (any(lex.description_heading.any(folded_text(h)) for h in block.headings)
            and not lex.measures_heading.any(every))


def _near(groups: list[list[Hit]], near: int | None) -> list[Hit] | None:
    """One hit per group, all within ``near`` words of each other, or None."""
    if near is None:
        return [h for g in groups for h in g]
    best: list[Hit] | None = None
    for anchor in groups[0]:
        picked = [anchor]
        for g in groups[1:]:
            close = [h for h in g if abs(h.word - anchor.word) <= near]
            if not close:
                break
            picked.append(min(close, key=lambda h: abs(h.word - anchor.word)))
        else:
            if max(h.word for h in picked) - min(h.word for h in picked) <= near:
                return picked
            best = best or None
    return best


def _fire(rule: CompiledRule, sentence: FoldedText, context: list[FoldedText]) -> list[Hit] | None:
    groups: list[list[Hit]] = []
    for g in rule.groups:  # most rules fail on their first group: stop there
        found = g.find(sentence)
        if not found:
            return None
        groups.append(found)
    if rule.none.any(sentence):
        return None
    if rule.heading is not None and not rule.heading.any(context[1]):
        return None
    picked = _near(groups, rule.near)
    if picked is None:
        return None
    for g in rule.context:
        found = g.find(sentence) or next((h for h in (g.find(c) for c in context) if h), [])
        if not found:
            return None
        picked.append(found[0])
    return picked


def _leans(lex: Lexicon, heading: FoldedText) -> set[Measure]:
    if lex.no_lean_heading.any(heading):
        return set()  # "Non-compliance with the Clauses and termination" is about remedies
    return {m.measure for m in lex.measures if m.heading.any(heading)}


class Tagger:
    """Tags a document's blocks with the measures they promise."""

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lex = lexicon or load_lexicon()
        # the SCC annexes' fixed questions, matched in any case and spacing
        self._form_questions = re.compile("|".join(
            r"\s+".join(re.escape(w) for w in q.split()) for q in self.lex.source.cues.form_questions), re.IGNORECASE)

    def tag_document(self, document: Document) -> tuple[BlockTags, ...]:
        out: list[BlockTags] = []
        blocks = document.blocks
        for i, block in enumerate(blocks):
            parent = self._parent(blocks, i)
            lead_in = out[parent] if parent is not None else None
            tags = self.tag_block(block, lead_in)
            out.append(replace(tags, parent=parent) if parent is not None else tags)
        return self._annex_incorporations(self._lead_ins(tuple(out)))

    def _lead_ins(self, tags: tuple[BlockTags, ...]) -> tuple[BlockTags, ...]:
        """A lead-in that opens its list in the same sentence ("XIS neemt passende maatregelen,
        waaronder:", "the Processor shall:") promises what its items promise; each item stays a
        clause of its own. A lead-in with a measure of its own keeps only that."""
        out = list(tags)
        children: dict[int, list[BlockTags]] = {}
        for t in tags:
            if t.parent is not None:
                children.setdefault(t.parent, []).append(t)
        for i, all_items in children.items():
            t = tags[i]
            # only items the document numbers as the lead-in's parts ("6.3" -> "6.3, bullet 1"); under
            # an unnumbered heading the bullets are counted from the heading, not from the paragraph
            # that opens them ("Welke maatregelen?, paragraph 1" -> "Welke maatregelen?, bullet 3")
            items = [item for item in all_items if item.block.ref.startswith(t.block.ref)
                     or (item.block.kind == "bullet" and _opens_heading_bullets(t.block, item.block))]
            if t.excluded is not None or t.measures or not t.block.text.rstrip().endswith(":"):
                continue
            last = t.sentences[-1] if t.sentences else None
            if last is None or last.excluded is not None:
                continue
            promised = [item for item in items if item.excluded is None and item.measures]
            # items that have a measure only from their heading ("De melding bevat minstens: a) de
            # aard van het lek …") describe what the lead-in promises: the lead-in's own measure
            # and so do the items of a lead-in that says what something contains ("… shall contain:")
            described = bool(promised) and (all(not m.phrases for item in promised for m in item.measures)
                                            or self.lex.contents.any(folded_text(last.text)))
            if not (last.obligation or last.general or described):
                continue
            union: dict[Measure, MeasureTag] = {}
            for item in promised:
                for m in item.measures:
                    old = union.get(m.measure)
                    refs = (old.phrases if old else ()) + (item.block.ref,)
                    union[m.measure] = MeasureTag(m.measure, round(min(max(m.confidence, old.confidence if old else 0),
                                                                       0.8), 2), refs,
                                                  (f"its list promises it ({', '.join(refs)})",))
            if union:
                out[i] = replace(t, measures=tuple(union.values()), listed=() if described else tuple(union),
                                 leftover=tuple(x for x in t.leftover if x is not last))
        return tuple(out)

    def _annex_incorporations(self, tags: tuple[BlockTags, ...]) -> tuple[BlockTags, ...]:
        """A clause that incorporates an annex of measures ("Verwerker heeft hiertoe de in
        Bijlage 2 benoemde beveiligingsmaatregelen genomen", "the measures specified in Annex
        III") promises what that annex's items promise, and only that: a general clause
        without such a reference promises no measure in particular. The annex's items stay
        clauses of their own (the convention of the built-in profiles, e.g. voxio's Artikel
        6.1); each measure names the items it comes from, for the reviewer."""
        out = list(tags)
        # a register's rows name the sub-processors' services, not measures
        register_rows = {j for j, o in enumerate(tags) if o.block.kind == "table_row" and Measure.SUBPROCESSOR_LIST
                         in _leans(self.lex, folded_text(o.block.heading or ""))}
        for i, t in enumerate(tags):
            if t.excluded is not None or t.block.kind == "table_row":
                continue
            for s in t.sentences:
                if s.excluded is not None or s.measures or not (s.general or s.obligation):
                    continue
                said = folded_text(s.text)
                if self.lex.assistance.any(said) or self.lex.revision.any(said):
                    continue
                for name in self._annexes_named(s.text):
                    items: dict[Measure, list[tuple[str, float]]] = {}
                    for j, o in enumerate(tags):
                        if o is t or o.excluded is not None or j in register_rows or not any(
                                _same_annex(h, name) for h in o.block.headings[:1] + (o.block.ref,)):
                            continue
                        for m in o.measures:
                            items.setdefault(m.measure, []).append((o.block.ref, m.confidence))
                    if not items:
                        continue
                    incorporated = tuple(
                        MeasureTag(measure, round(min(max(c for _, c in found), 0.7), 2), (name,),
                                   (f"incorporates {name}, whose items promise it ({'; '.join(r for r, _ in found)})",))
                        for measure, found in items.items())
                    mine = {m.measure for m in out[i].measures}
                    added = tuple(m for m in incorporated if m.measure not in mine)
                    out[i] = replace(out[i], measures=out[i].measures + added,
                                     # the incorporating sentence is the clause's quote
                                     sentences=tuple(replace(x, measures=x.measures + added) if x is s else x
                                                     for x in out[i].sentences),
                                     leftover=tuple(x for x in out[i].leftover if x is not s))
        return tuple(out)

    def _annexes_named(self, text: str) -> list[str]:
        words = "|".join(re.escape(w) for w in self.lex.source.cues.annex)
        return [f"{m.group(1)} {m.group(2)}" for m in re.finditer(
            rf"\b({words})\s+([0-9]{{1,2}}|[IVX]{{1,5}}|[A-Z])\b", text, re.IGNORECASE)]

    @staticmethod
    def _parent(blocks: tuple[Block, ...], i: int) -> int | None:
        """The nearest earlier block of the same section at a lower level (a lead-in)."""
        block = blocks[i]
        if block.kind == "heading":
            return None
        if _ITEM_REF.search(block.ref):
            # "Such notification shall contain, at least:" then "(a) …", "(b) …" at the same depth
            j = i - 1
            while j >= 0 and _ITEM_REF.search(blocks[j].ref) and blocks[j].level == block.level \
                    and blocks[j].headings == block.headings and blocks[j].kind != "heading":
                j -= 1
            lead = blocks[j] if j >= 0 else None
            if lead is not None and lead.kind != "heading" and lead.headings == block.headings \
                    and lead.level >= block.level and lead.text.rstrip().endswith(":"):
                return j
        if block.level == 0:
            return None
        for j in range(i - 1, -1, -1):
            other = blocks[j]
            if other.headings != block.headings or other.kind == "heading":
                return None
            if other.level < block.level:
                return j
        return None

    def tag_block(self, block: Block, lead_in: BlockTags | None = None) -> BlockTags:
        lex = self.lex
        if block.kind == "heading":
            return BlockTags(block, (), (), excluded="heading")
        excluded = _block_exclusion(block, lex)
        describes = _describes_processing(block, lex)
        heading = folded_text(_heading_text(block))
        leans = _leans(lex, heading)
        if excluded is None and describes and len(block.text.split()) < lex.scoring.fragment_words:
            excluded = f"a service or purpose named under '{block.heading}', not a promise"
        entry = _LONG_LABEL.match(block.text)
        answer_obliges = entry is not None and lex.obligation.any(folded_text(block.text[entry.end():]))
        if excluded is None and describes and entry is not None and not answer_obliges:
            # "Aard en doel van de Verwerking: het hosten …, het maken van back-ups …" describes
            excluded = f"an entry of the description under '{block.heading}', not a promise"
        if excluded is None and entry is not None and block.kind != "table_row" and \
                Measure.SUBPROCESSOR_LIST in leans and not answer_obliges:
            # a field of a register entry ("Description of the processing: hosting …, storage of
            # backups", "Dienst: back-up") names a sub-processor's service, as a register row does
            excluded = f"a field of a register entry under '{block.heading}', not a promise"
        if excluded is None and block.kind == "table_row" and describes and \
                not lex.obligation.any(folded_text(block.text)):
            # a row of a table of data categories and purposes ("Back-upgegevens | een kopie … |
            # back-up en herstel na een storing") describes the data, as a labelled entry does
            excluded = f"a row of the description under '{block.heading}', not a promise"
        context = [folded_text(block.text), heading]
        if lead_in is not None:
            context.append(folded_text(lead_in.block.text))
        listed = lead_in is not None and (lead_in.excluded is None) and (
            any(s.obligation for s in lead_in.sentences) or bool(lead_in.measures)
            or lead_in.block.text.rstrip().endswith(":"))
        spans = split_sentences(block.text)
        title = _run_in_title(block, spans, lex)
        title_leans: set[Measure] = set()
        if title is not None:
            # "9.3 Backups. Customer Personal Data held in backups will be deleted …": the run-in
            # title is the clause's heading, not a sentence that promises backups on its own
            folded_title = folded_text(title)
            if excluded is None and (lex.boilerplate.any(folded_title) or lex.boilerplate_heading.any(folded_title)):
                excluded = f"a clause titled '{title.rstrip('.')}' (liability, costs or law)"
            # a limit on where the data is must be written out ("only in the EEA"): a title
            # "Processing Locations." or "Hosting Location." limits nothing by itself
            title_leans = _leans(lex, folded_title) - {Measure.EEA_RESIDENCY}
            leans = leans | title_leans
        sentences: list[SentenceTag] = []
        for n, (start, end) in enumerate(spans):
            text = block.text[start:end].strip()
            if n == 0 and title is not None:
                sentences.append(SentenceTag(text, start, end, (), False, "a run-in title", False))
                continue
            sentences.append(self._tag_sentence(text, start, end, context, leans, excluded, listed, heading))
        if title is not None and title_leans and excluded is None and not any(s.measures for s in sentences):
            # "On-site Audits. Where …, or where required by a supervisory authority, Customer may
            # conduct an audit …": the clause's own title names its measure where its words did not
            for k, s in enumerate(sentences[1:], 1):
                if s.excluded is None and not s.general and not lex.negation.any(folded_text(s.text)):
                    why = (f"run-in title '{title.rstrip('.')}' leans to it",)
                    sentences[k] = replace(s, measures=tuple(MeasureTag(m, lex.scoring.heading_lean, (), why)
                                                             for m in sorted(title_leans, key=list(Measure).index)))
                    break
        merged: dict[Measure, MeasureTag] = {}
        for s in sentences:
            for t in s.measures:
                old = merged.get(t.measure)
                if old is None:
                    merged[t.measure] = t
                else:
                    merged[t.measure] = MeasureTag(
                        t.measure, max(old.confidence, t.confidence),
                        tuple(dict.fromkeys(old.phrases + t.phrases)), tuple(dict.fromkeys(old.reasons + t.reasons)))
        measures = tuple(sorted(merged.values(), key=lambda t: (-t.confidence, list(Measure).index(t.measure))))
        leftover = tuple(s for s in sentences if s.obligation and s.excluded is None and not s.measures
                         and not s.general) if excluded is None and not _describes_processing(block, lex) else ()
        return BlockTags(block, tuple(sentences), measures, excluded, None, leftover)

    def _tag_sentence(self, text: str, start: int, end: int, context: list[FoldedText], leans: set[Measure],
                      block_excluded: str | None, listed: bool, heading: FoldedText) -> SentenceTag:
        lex = self.lex
        # a term defined in brackets ('("personal data breach")', '(hierna: "Datalek")') names the
        # term and a web address ("https://…/subprocessors") is where something is: no promise
        folded = folded_text(self._form_questions.sub(" ", _URL.sub(" ", _DEFINED_TERM.sub(" ", text))))
        obligation = lex.obligation.any(folded) or listed
        general = lex.general.any(folded)
        if block_excluded is not None:
            return SentenceTag(text, start, end, (), obligation, block_excluded, general)
        # about liability, costs or law: the words open the sentence ("The Processor's total
        # liability ...", "De kosten van de audit ..."), not a tail ("..., and remains liable")
        boiler = [h for h in lex.boilerplate.find(folded) if h.word <= 12]
        if boiler:
            return SentenceTag(text, start, end, (), obligation, f"liability, costs or law ('{boiler[0].phrase}')",
                               general)
        # an exception to a duty ("De geheimhoudingsplicht geldt niet voor zover …") promises nothing
        exception = [h for h in lex.exception.find(folded) if h.word <= 6]
        if exception:
            return SentenceTag(text, start, end, (), obligation, f"an exception to a duty ('{exception[0].phrase}')",
                               general)
        # something placed outside the agreement ("… are outside the scope of this Agreement") without a commitment
        outside = lex.out_of_scope.find(folded)
        if outside and not obligation:
            return SentenceTag(text, start, end, (), obligation, f"outside the agreement ('{outside[0].phrase}')",
                               general)
        # a term of this agreement defined ("… within the meaning of this provision are …") without a commitment
        definition = lex.definition.find(folded)
        if definition and not lex.obligation.any(folded):
            return SentenceTag(text, start, end, (), obligation, f"a definition ('{definition[0].phrase}')", general)
        # advice to the controller ("Dat raden we sterk aan", "We recommend that you enable …")
        advice = [h for h in lex.advice.find(folded) if h.word <= 6]
        if advice:
            return SentenceTag(text, start, end, (), obligation, f"advice to the controller ('{advice[0].phrase}')",
                               general)
        responsible = self._responsible_controller(folded)
        if responsible:
            return SentenceTag(text, start, end, (), obligation,
                               f"the controller's own responsibility ('{responsible[0].phrase}')", general)
        allowed: set[Measure] | None = None
        opens_subordinate = any(h.word == 0 for h in lex.subordinate.find(folded))
        owned = {h.word for h in lex.possessive.find(folded)}  # "Customer Personal Data": a noun, no subject
        controller = [h for h in lex.controller.find(folded) if h.word <= 1 and not opens_subordinate
                      and not (owned & {h.word + len(h.phrase.split()), h.word + 1})]
        controller += self._inverted_controller(text)
        if controller:
            if lex.right.any(folded):
                allowed = set(lex.source.cues.controller_right_measures)
                # the controller's right is the processor's promise to allow it ("De Klant kan
                # binnen veertien dagen bezwaar maken" under "Subverwerkers"): its heading counts
                obligation = True
            else:
                return SentenceTag(text, start, end, (), obligation,
                                   f"the controller's own duty ('{controller[0].phrase}')", general)
        tags: list[MeasureTag] = []
        for ml in lex.measures:
            if allowed is not None and ml.measure not in allowed:
                continue
            weights: list[float] = []
            phrases: list[str] = []
            reasons: list[str] = []
            for n, rule in enumerate(ml.rules, 1):
                hits = _fire(rule, folded, context)
                if hits is None:
                    continue
                w = rule.weight + (lex.scoring.heading_boost if ml.measure in leans else 0.0)
                weights.append(min(w, 0.99))
                phrases.extend(h.phrase for h in hits)
                reasons.append(f"rule {n}: " + " + ".join(f"'{h.pattern}'" for h in hits))
            if weights:
                miss = 1.0
                for w in weights:
                    miss *= 1.0 - w
                conf = round(min(1.0 - miss, 0.99), 2)
                if conf >= lex.scoring.threshold:
                    if ml.measure in leans:
                        reasons.append(f"heading '{heading.original}'")
                    tags.append(MeasureTag(ml.measure, conf, tuple(dict.fromkeys(phrases)), tuple(reasons)))
        # a sentence that points at an annex ("… shall set out in Annex III …") has its content
        # there: the heading alone does not make it a promise (the reference becomes a note)
        # nor a duty turned down ("Verwerker meldt een Datalek niet zelf aan de toezichthouder")
        if not tags and obligation and not general and leans and not self._annexes_named(text) \
                and not lex.negation.any(folded):
            # not a measure whose own words matched but so did its "none" (vetoed by the lexicon)
            vetoed = {ml.measure for ml in lex.measures if ml.measure in leans and any(
                rule.groups and rule.groups[0].any(folded) and rule.none.any(folded) for rule in ml.rules)}
            for m in sorted(leans - vetoed, key=list(Measure).index):
                if allowed is None or m in allowed:
                    tags.append(MeasureTag(m, lex.scoring.heading_lean, (),
                                           (f"heading '{heading.original}' leans to it",)))
        return SentenceTag(text, start, end, tuple(tags), obligation, None, general)


    def _responsible_controller(self, folded: FoldedText) -> list[Hit]:
        """The controller named as the one responsible, wherever it stands: "Bij een VPS … is
        Opdrachtgever zelf verantwoordelijk voor …", "Het is aan Opdrachtgever om te beoordelen …"."""
        after = {h.word for h in self.lex.responsible.find(folded)}
        before = {h.word + len(h.phrase.split()) for h in self.lex.responsible_before.find(folded)}
        out: list[Hit] = []
        for h in self.lex.controller.find(folded):
            end = h.word + len(h.phrase.split())
            if after & {end, end + 1} or before & {h.word, h.word - 1}:
                out.append(h)
        return out

    def _inverted_controller(self, text: str) -> list[Hit]:
        """Dutch inversion after a subordinate clause: "Indien ..., moet de Klant ..." has the
        controller as its subject although it is not the first word."""
        out: list[Hit] = []
        for m in re.finditer(r",\s*(\w+)\s+(.{1,60})", text):
            verb = folded_text(m.group(1))
            if self.lex.no_inversion.any(verb):
                continue  # "…, shall keep the Customer informed": English does not invert
            if not (self.lex.obligation.any(verb) or self.lex.right.any(verb)):
                continue
            out += [h for h in self.lex.controller.find(folded_text(m.group(2))) if h.word <= 1]
        return out


def _opens_heading_bullets(lead: Block, item: Block) -> bool:
    """Whether ``item`` is a bullet of the unnumbered heading whose paragraph ``lead`` opens it.
    Not in an annex: there the clause that incorporates the annex promises its items, and the
    annex's opening sentence ("Verwerker heeft de volgende maatregelen genomen:") is no clause."""
    parent = lead.parent or ""
    return bool(parent) and folded_text(parent.split(" ")[0]).folded not in _ANNEX_NAMES and \
        lead.ref.startswith(f"{parent}, paragraph ") and item.ref.startswith(f"{parent}, bullet ")


def _same_annex(text: str, name: str) -> bool:
    """"Bijlage 2: Beveiligingsmaatregelen" and "Annex II, row 3" belong to "Bijlage 2" / "Annex II"."""
    a, b = folded_text(text).folded, folded_text(name).folded
    return a == b or a.startswith(b + " ")


def tag_document(document: Document, lexicon: Lexicon | None = None) -> tuple[BlockTags, ...]:
    return Tagger(lexicon).tag_document(document)


__all__ = ["BlockTags", "MeasureTag", "Patterns", "SentenceTag", "Tagger", "split_sentences", "tag_document"]
