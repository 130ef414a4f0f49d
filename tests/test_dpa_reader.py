"""Reading DPAs for the importer: formats, Word numbering, PDF text layers, refs, bad input.

The corpus (tests/data/dpa/corpus.toml) holds the three seeds and four DPAs written in other
styles, each with a hand-written gold profile: every gold ref must come out of the reader as
a block ref, holding the gold quote. The PDFs and .docx files read here are real files
(reportlab, Word XML), read back through the real parsers.
"""

from __future__ import annotations

import re
import tomllib
import zipfile
from pathlib import Path

import pytest

from auditpack.dpaimport.language import detect_language
from auditpack.dpaimport.model import Document, DocumentError
from auditpack.dpaimport.reader import read_document
from auditpack.profiles import Profile, load_profile

CORPUS = Path(__file__).parent / "data" / "dpa"
DOCUMENTS = tomllib.loads((CORPUS / "corpus.toml").read_text("utf-8"))["document"]


def _gold(entry: dict[str, str]) -> Profile:
    gold = entry["gold"]
    return load_profile(gold.removeprefix("builtin:")) if gold.startswith("builtin:") else \
        load_profile(str(CORPUS / gold))


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


@pytest.mark.parametrize("entry", DOCUMENTS, ids=[d["file"] for d in DOCUMENTS])
def test_every_gold_ref_is_a_block_holding_its_quote(entry: dict[str, str]) -> None:
    document = read_document(CORPUS / entry["file"])
    blocks = {b.ref: b for b in document.blocks}
    for clause in _gold(entry).clauses:
        assert clause.ref in blocks, f"{entry['file']}: no block {clause.ref!r}"
        block = blocks[clause.ref]
        for piece in clause.quote.split("…"):
            assert _words(piece) in _words(block.text), f"{clause.ref}: {piece!r} not in {block.text!r}"
            assert _words(piece) in _words(document.text[block.start:block.end])


@pytest.mark.parametrize("entry", DOCUMENTS, ids=[d["file"] for d in DOCUMENTS])
def test_refs_are_unique_and_language_is_detected(entry: dict[str, str]) -> None:
    document = read_document(CORPUS / entry["file"])
    refs = [b.ref for b in document.blocks]
    assert len(refs) == len(set(refs))
    assert document.language == _gold(entry).profile.language


def test_the_seeds_refs_follow_the_documented_convention() -> None:
    dioss = {b.ref: b for b in read_document(CORPUS / "dpa-dioss.txt").blocks}
    # sub-bullets inferred from the colon of the item above them, closed by the item ending in "."
    assert dioss["Technische en organisatorische maatregelen, bullet 5.4"].text.startswith("Back-up-")
    assert dioss["Technische en organisatorische maatregelen, bullet 6"].text.startswith("Hosting vindt plaats")
    assert dioss["Technische en organisatorische maatregelen, bullet 10.6"].parent == \
        "Technische en organisatorische maatregelen, bullet 10"
    # a heading with one paragraph is that paragraph's ref; with two, "paragraph N"
    assert dioss["Beëindiging"].kind == "paragraph"
    assert dioss["Audits, paragraph 2"].headings[-1] == "Audits"
    # the annex register is a table with a header row
    rows = [b for b in dioss.values() if b.parent == "Bijlage D" and b.kind == "table_row"]
    assert rows[0].header[0] == "Naam" and rows[0].cells[0] == "Hetzner Online"
    assert [r.cells[0] for r in rows[:6]] == ["Hetzner Online", "Vultr", "Borgbase", "Time4VPS", "Twilio", "Ringring"]
    assert rows[0].cells[4] == "Industriestr. 25 91710 Gunzenhausen, Germany"  # a cell over two lines
    # the signature block after the register is no part of Bijlage D
    assert len(rows) == 6 and dioss["Signatures, row 1"].cells[0] == "DIOSS SMART SOLUTIONS NV"

    voxio = read_document(CORPUS / "dpa-voxio.txt")
    vrefs = {b.ref: b for b in voxio.blocks}
    assert not any("Inhoudsopgave" in b.text or b.text.endswith(".....") for b in voxio.blocks)  # TOC dropped
    assert vrefs["Artikel 7.3, bullet 4"].text.startswith("de maatregelen die de Verwerker")
    # a page break inside 4.2 ("- verwerkingen voor ...") continues the clause, it is no bullet
    assert "Artikel 4.2, bullet 1" not in vrefs
    assert "verwerkingen voor doeleinden die niet" in vrefs["Artikel 4.2"].text
    assert vrefs["Bijlage 1, 1.C, bullet 1"].text == "NAW-gegevens"

    xis = {b.ref: b for b in read_document(CORPUS / "dpa-xis-smstools.txt").blocks}
    # double-spaced, hard-wrapped: the wrapped "10 dagen" is not clause 10, a hyphen after capitals stays
    assert "Audits moeten 10 dagen op voorhand" in xis["5.3"].text
    assert "AVG-conforme garanties" in xis["6.5"].text
    assert not any("smstools.be/" in b.text for b in xis.values())  # the page footer is gone


def test_word_automatic_numbering_survives_although_the_numbers_are_not_in_the_text() -> None:
    path = CORPUS / "dpa-noordlicht.docx"
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("word/document.xml").decode("utf-8")
    text = " ".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml))
    assert "w:numPr" in xml
    assert "Artikel 2" not in text and "2.2" not in text and "a)" not in text
    document = read_document(path)
    refs = {b.ref: b for b in document.blocks}
    assert refs["Artikel 2"].kind == "heading" and refs["Artikel 2"].text == "Beveiliging"
    assert refs["Artikel 2.2 e)"].text.startswith("iedere nacht een back-up")
    assert refs["Artikel 7.1"].text.startswith("Binnen 30 dagen")
    assert "Artikel 2. Beveiliging\n" in document.text  # the reviewer sees Word's numbers
    assert "\n2.2. De Verwerker draagt er in ieder geval zorg voor dat:\n" in document.text
    assert refs["Bijlage B, bullet 2"].text.startswith("Kwetsbaarheidsscans")
    row = refs["Bijlage A, row 3"]
    assert row.kind == "table_row" and row.cells == ("Mailgun Technologies Inc.", "E-mail", "Verenigde Staten")
    assert row.header == ("Naam", "Dienst", "Locatie")


def _docx(tmp_path: Path, body: str, numbering: str = "", styles: str = "") -> Path:
    """A minimal real .docx: the parts Word needs, with the given body and numbering."""
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    path = tmp_path / "numbered.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                    'package/2006/content-types"/>')
        zf.writestr("word/document.xml", f'<?xml version="1.0"?><w:document {ns}><w:body>{body}</w:body></w:document>')
        if numbering:
            zf.writestr("word/numbering.xml", f'<?xml version="1.0"?><w:numbering {ns}>{numbering}</w:numbering>')
        if styles:
            zf.writestr("word/styles.xml", f'<?xml version="1.0"?><w:styles {ns}>{styles}</w:styles>')
    return path


def _p(text: str, num: int | None = None, ilvl: int = 0, style: str | None = None) -> str:
    ppr = ""
    if style:
        ppr += f'<w:pStyle w:val="{style}"/>'
    if num is not None:
        ppr += f'<w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num}"/></w:numPr>'
    return f"<w:p><w:pPr>{ppr}</w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"


def _lvl(ilvl: int, fmt: str, text: str, start: int = 1) -> str:
    return (f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
            f'<w:lvlText w:val="{text}"/></w:lvl>')


def test_word_numbering_formats_restarts_and_style_numbering(tmp_path: Path) -> None:
    numbering = (
        '<w:abstractNum w:abstractNumId="1">' + _lvl(0, "decimal", "%1.") + _lvl(1, "decimal", "%1.%2")
        + _lvl(2, "lowerRoman", "(%3)") + "</w:abstractNum>"
        + '<w:abstractNum w:abstractNumId="2">' + _lvl(0, "upperLetter", "Annex %1", start=1) + "</w:abstractNum>"
        + '<w:num w:numId="1"><w:abstractNumId w:val="1"/></w:num>'
        + '<w:num w:numId="2"><w:abstractNumId w:val="2"/></w:num>')
    styles = ('<w:style w:styleId="Heading1"><w:name w:val="heading 1"/>'
              '<w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style>')
    body = "".join([
        _p("Security", style="Heading1"),  # numbered through its style: "1."
        _p("The Processor shall:", 1, 1),
        _p("encrypt data at rest;", 1, 2),
        _p("encrypt data in transit.", 1, 2),
        _p("Audits", style="Heading1"),  # "2.": the level below restarts
        _p("The Controller may audit once a year.", 1, 1),
        _p("Sub-processors", 2, 0),
    ])
    document = read_document(_docx(tmp_path, body, numbering, styles))
    refs = {b.ref: b for b in document.blocks}
    assert refs["1"].text == "Security" and refs["2"].text == "Audits"
    assert refs["1.1 (ii)"].text == "encrypt data in transit."
    assert refs["2.1"].text == "The Controller may audit once a year."
    assert refs["Annex A"].kind == "heading"


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("empty.txt", b"", "empty"),
    ("blob.txt", bytes(range(256)) * 4, "binary"),
    ("contract.odt", b"PK\x03\x04 whatever", "unknown file type '.odt'"),
    ("broken.docx", b"PK\x03\x04 not really a zip", "not a readable .docx"),
    ("fake.pdf", b"%PDF-1.7\n garbage without objects", "not a readable PDF"),
    ("only-spaces.md", b"   \n\n  \n", "no text"),
])
def test_bad_input_is_one_line_document_error(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError) as raised:
        read_document(path)
    assert reason in raised.value.reason
    assert "\n" not in raised.value.reason


def test_docx_without_a_document_part_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "not word")
    with pytest.raises(DocumentError, match="no word/document.xml"):
        read_document(path)


def _pdf(path: Path, lines: list[str], *, encrypt: object = None, text: bool = True) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), pagesize=A4, encrypt=encrypt)
    if text:
        for i, line in enumerate(lines):
            canvas.drawString(72, 760 - 14 * i, line)
    else:  # a "scan": only graphics, no text layer
        canvas.rect(72, 400, 300, 300, fill=1)
    canvas.showPage()
    canvas.save()
    return path


def test_encrypted_and_scanned_pdfs_are_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="encrypted"):
        read_document(_pdf(tmp_path / "locked.pdf", ["1.1 The Processor shall encrypt data."], encrypt="s3cret"))
    with pytest.raises(DocumentError, match="no text layer"):
        read_document(_pdf(tmp_path / "scan.pdf", [], text=False))


def test_a_pdf_restricted_only_by_an_owner_password_is_read(tmp_path: Path) -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption

    path = _pdf(tmp_path / "restricted.pdf", ["1. Security", "1.1 The Processor encrypts personal data at rest."],
                encrypt=StandardEncryption("", ownerPassword="owner-only", canPrint=0))
    blocks = {b.ref: b for b in read_document(path).blocks}
    assert blocks["1.1"].text == "The Processor encrypts personal data at rest."


def test_pdf_text_layer_loses_furniture_and_hyphenation() -> None:
    document = read_document(CORPUS / "dpa-brightwave.pdf")
    assert document.title == "Brightwave Cloud Services: Data Processing Agreement"
    assert "Page 1 of" not in document.text and "v2.3" not in document.text
    refs = {b.ref: b for b in document.blocks}
    # "Sub-proces-" / "sor" at a line end, and a clause continued over a page break
    assert "fourteen days' prior notice of any new Sub-processor, during which" in refs["Clause 5.2"].text
    assert refs["Clause 4.1"].text.endswith("no later than 72 hours after becoming aware of it.")
    assert refs["Clause 3.2 (iii), bullet 3"].parent == "Clause 3.2 (iii)"
    assert refs["Schedule 2, row 3"].cells == ("Cloudflare Inc.", "Content delivery", "United States")


def test_text_tables_tab_separated_and_aligned(tmp_path: Path) -> None:
    path = tmp_path / "dpa.txt"
    path.write_text(
        "Annex 3 - Sub-processors\n\n"
        "Name\tService\tLocation\n"
        "Hetzner Online GmbH\tHosting\tGermany\n"
        "Twilio Inc.\tSMS\tUnited States\n\n"
        "Annex 4 - Other processors\n\n"
        "Name              Service            Location\n"
        "Scaleway SAS      Object storage     France (Paris)\n"
        "Brevo             E-mail             EEA\n", "utf-8")
    blocks = {b.ref: b for b in read_document(path).blocks}
    assert blocks["Annex 3, row 2"].cells == ("Twilio Inc.", "SMS", "United States")
    assert blocks["Annex 3, row 2"].header == ("Name", "Service", "Location")
    assert blocks["Annex 4, row 1"].cells == ("Scaleway SAS", "Object storage", "France (Paris)")
    assert blocks["Annex 4, row 1"].table != blocks["Annex 3, row 1"].table


def test_hanging_indents_are_points_not_tables(tmp_path: Path) -> None:
    path = tmp_path / "dpa.txt"
    path.write_text(
        "4.2    The Processor shall:\n"
        "(a)    encrypt data at rest;\n"
        "(b)    log access;\n"
        "(c)    test restores.\n", "utf-8")
    refs = [(b.ref, b.kind, b.text) for b in read_document(path).blocks]
    assert refs == [("4.2", "paragraph", "The Processor shall:"), ("4.2 (a)", "paragraph", "encrypt data at rest;"),
                    ("4.2 (b)", "paragraph", "log access;"), ("4.2 (c)", "paragraph", "test restores.")]


def test_table_of_contents_and_lettered_styles(tmp_path: Path) -> None:
    path = tmp_path / "dpa.txt"
    path.write_text(
        "Table of contents\n"
        "1. Security .......... 2\n"
        "2. Breaches .......... 3\n\n"
        "1. Security\n"
        "1.1 The Processor shall:\n"
        "(a) encrypt personal data;\n"
        "(b) keep logs, including:\n"
        "(i) administrator logins;\n"
        "(ii) changes to access rights;\n"
        "(c) take backups.\n"
        "2. Breaches\n"
        "2.1 The Processor notifies breaches within 48 hours.\n"
        "2.2 The notice states:\n"
        "1) the nature of the breach;\n"
        "2) its likely consequences.\n", "utf-8")
    document = read_document(path)
    refs = [b.ref for b in document.blocks]
    assert refs == ["1", "1.1", "1.1 (a)", "1.1 (b)", "1.1 (b) (i)", "1.1 (b) (ii)", "1.1 (c)", "2", "2.1", "2.2",
                    "2.2 1)", "2.2 2)"]
    assert document.blocks[0].kind == "heading"


@pytest.mark.parametrize(("text", "language"), [
    ("De Verwerker zal de persoonsgegevens uitsluitend verwerken binnen de Europese Economische Ruimte.", "nl"),
    ("The Processor shall notify the Controller of any personal data breach without undue delay.", "en"),
    ("Der Auftragsverarbeiter verarbeitet die Daten nur auf dokumentierte Weisung des Verantwortlichen.", "de"),
    ("Le sous-traitant traite les données uniquement sur instruction documentée du responsable.", "fr"),
])
def test_language_is_detected(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_document_offsets_point_at_each_block() -> None:
    document: Document = read_document(CORPUS / "dpa-lumenfold.md")
    for block in document.blocks:
        assert block.text in document.text[block.start:block.end] or block.kind == "table_row"


def test_roman_sections_number_their_members(tmp_path: Path) -> None:
    path = tmp_path / "dpa.txt"
    path.write_text(
        "I. DEFINITIONS\n"
        "1. Personal data has the meaning of the GDPR.\n"
        "II. OBLIGATIONS OF THE PROCESSOR\n"
        "1. The Processor encrypts personal data at rest.\n"
        "2. The Processor keeps access logs for a year.\n", "utf-8")
    refs = [b.ref for b in read_document(path).blocks]
    assert refs == ["I", "I.1", "II", "II.1", "II.2"]


def test_running_headers_and_page_numbers_of_a_text_export_are_dropped(tmp_path: Path) -> None:
    page = ("ACME Verwerkersovereenkomst v2 – vertrouwelijk\n\n"
            "{n}.1 De Verwerker meldt een datalek binnen 24 uur.\n\n"
            "Pagina {n} van 3\n")
    path = tmp_path / "dpa.txt"
    path.write_text("".join(page.format(n=n) for n in (1, 2, 3)), "utf-8")
    document = read_document(path)
    assert [b.ref for b in document.blocks] == ["1.1", "2.1", "3.1"]
    assert "vertrouwelijk" not in document.text and "Pagina" not in document.text


def test_word_list_styles_number_and_nest(tmp_path: Path) -> None:
    from docx import Document as WordDocument

    word = WordDocument()
    word.add_heading("Security measures", level=1)
    word.add_paragraph("The processor implements:")
    word.add_paragraph("encryption of data at rest;", style="List Number")
    word.add_paragraph("access logging.", style="List Number")
    word.add_heading("Sub-processors", level=1)
    word.add_paragraph("Hetzner Online GmbH, Germany", style="List Bullet")
    word.add_paragraph("backups in Falkenstein", style="List Bullet 2")
    path = tmp_path / "styles.docx"
    word.save(str(path))
    refs = {b.ref: b.text for b in read_document(path).blocks}
    # numbers come from the List Number style's numbering; a list under an unnumbered heading keeps its name
    assert refs["Security measures, 2"] == "access logging."
    # List Bullet 2 is indented further by its numbering level: a sub-bullet
    assert refs["Sub-processors, bullet 1.1"] == "backups in Falkenstein"
