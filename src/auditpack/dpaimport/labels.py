"""The numbering labels a DPA puts in front of its parts, recognised in one place.

A label is what makes a line an article ("Artikel 3.", "Clause 7 –"), a member ("3.1",
"2.1."), a lettered sub-clause ("a)", "(a)", "a.", "(ii)"), an annex ("Bijlage D –",
"Annex II", "Schedule 1") or a bullet ("-", "•", "·"). The segmenter decides from context
whether a label really starts a new part; this module only says what the label is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

LabelKind = Literal["annex", "word", "number", "letter", "bullet"]

ANNEX_WORDS = ("Annex", "Annexe", "Bijlage", "Appendix", "Schedule", "Anlage", "Exhibit", "Attachment", "Aanhangsel")
# the parts an annex is divided into ("Schedule 1, Part B – Approved Sub-processors"), as English
# law firms write them; cited with the annex: "Schedule 1, Part B"
PART_WORDS = ("Part", "Deel", "Teil", "Partie")
ARTICLE_WORDS = ("Artikel", "Article", "Art.", "Clause", "Section", "Sectie", "Afdeling", "Paragraph", "Paragraaf",
                 "Klausel", "Clausule")

# how a member "1." restarting under an article is cited: Dutch law cites "artikel 4 lid 1";
# other article words take the number in brackets ("Article 4(1)", "§ 4 (1)")
MEMBER_WORDS = {"Artikel": "lid {}", "Art.": "({})"}


def _words(words: tuple[str, ...]) -> str:
    variants = {w for word in words for w in (word, word.upper())}
    return "|".join(re.escape(w) for w in sorted(variants, key=len, reverse=True))


_SEP = r"\s*(?:[-–—:]\s*|\.\s+|\s)"
ANNEX = re.compile(
    rf"^({_words(ANNEX_WORDS)})\s+((?:\d{{1,2}}|[A-Z]|[IVXLC]{{1,6}})(?:\.\d{{1,2}})?)(?!\w)(?!\.\w)\.?(?:{_SEP}(.*)|\s*)$")
WORD = re.compile(
    rf"^({_words(ARTICLE_WORDS)}|§)\s*(\d{{1,3}}(?:er|re|ère|[a-z])?(?:\.\d{{1,3}})*)(?![\w])\.?(?:{_SEP}(.*)|\s*)$")
ORDINAL = re.compile(r"(?<=\d)(?:er|re|ère)$")  # French "Article 1er": the first article
NUMBER = re.compile(r"^(\d{1,3}(?:\.(?:\d{1,3}|[A-Z](?![a-z])))*)(\.|\))?(?:\s+|(?<=[.)])(?=[A-Z(\"“]))(.*)$")
LETTER = re.compile(
    r"^(\((?:[a-z]{1,2}|[ivxlc]{1,6}|[A-Z]|\d{1,2})\)|(?:[a-z]{1,2}|[ivxlc]{1,6}|[A-Z])\)|(?:[a-z]|[ivx]{1,4})\.)\s+(.*)$")
BULLET = re.compile(r"^([-–—•·▪◦●○■□◆◇➢➤►*+‣⁃\uf0b7\uf0a7\uf076\uf0d8\uf0fc])\s*(.*)$")
ROMAN = re.compile(r"^[ivxlc]+$")
SECTION_ROMAN = re.compile(r"^([IVX]{1,5})\.\s+([A-Z].*)$")  # "II. OBLIGATIONS OF THE PROCESSOR"


@dataclass(frozen=True)
class Label:
    kind: LabelKind
    shown: str  # how the label appears in a reference: "Bijlage D", "Artikel 3", "3.1", "a)", "(ii)"
    rest: str  # the text after the label
    number: tuple[str, ...] = ()  # numeric components for "word"/"number" labels
    explicit_end: bool = False  # the number ended in "." or ")" ("2.1." / "1)"), not bare ("10 dagen")
    style: str = ""  # letters: the punctuation pattern, e.g. "(x)", "x)", "x."

    @property
    def letter(self) -> str:
        return self.shown.strip("().").lower()


def _title_word(word: str) -> str:
    return word if word in ("§", "Art.") else word[0] + word[1:].lower()


def parse_label(text: str) -> Label | None:
    """The label at the start of ``text`` (already left-stripped), or None."""
    if m := ANNEX.match(text):
        return Label("annex", f"{_title_word(m.group(1))} {m.group(2)}", (m.group(3) or "").strip())
    if m := WORD.match(text):
        number = m.group(2)
        return Label("word", f"{_title_word(m.group(1))} {number}", (m.group(3) or "").strip(),
                     number=tuple(ORDINAL.sub("", number).split(".")), explicit_end=True)
    if (m := SECTION_ROMAN.match(text)) and len(m.group(2).split()) <= 12 and not m.group(2).endswith((".", ";")):
        return Label("number", m.group(1), m.group(2).strip(), number=(m.group(1),), explicit_end=True)
    if m := NUMBER.match(text):
        number = m.group(1)
        rest = m.group(3).strip()
        if not rest:
            return None
        end = m.group(2) or ""
        if end == ")" and "." not in number:  # "1) encrypt ..." is a list point, like "a)"
            return Label("letter", number + ")", rest, style="n)")
        shown = number
        return Label("number", shown, rest, number=tuple(number.split(".")),
                     explicit_end=bool(end) or "." in number)
    if m := LETTER.match(text):
        raw = m.group(1)
        shown = raw[:-1] if raw.endswith(".") else raw
        style = "(x)" if raw.startswith("(") else ("x)" if raw.endswith(")") else "x.")
        if raw[1:-1].isdigit():
            style = "(n)"  # "(1)" under a lettered point, as the EU's clauses number them
        return Label("letter", shown, m.group(2).strip(), style=style)
    if m := BULLET.match(text):
        rest = m.group(2).strip()
        if m.group(1) in "-–—*+" and (not text[1:2].isspace() or not rest):
            return None  # "-5%" or "*VOEG NAAM IN*" is not a bullet
        return Label("bullet", "•", rest)
    return None


def is_roman(letter: str, previous: str | None) -> bool:
    """Whether a letter label is a roman numeral: "ii" is; "i" is unless it follows "h";
    "v" and "x" are when they follow a roman numeral ("iv", "ix")."""
    if not ROMAN.match(letter):
        return False
    if len(letter) > 1:
        return True
    if previous is not None and len(previous) == 1 and ord(letter) == ord(previous) + 1:
        return False
    if letter == "i":
        return True
    return previous is not None and ROMAN.match(previous) is not None and len(previous) > 1
