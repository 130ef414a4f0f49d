"""Write dpa-noordlicht.docx: a DPA whose numbers exist only in Word's automatic numbering.

Run from the repository: ``python tests/data/dpa/make_docx.py`` (needs python-docx, in the
``test`` extra). The committed .docx is what the tests read; this script shows how it was
made. Articles use a multi-level list ("Artikel %1." / "%1.%2." / "%3)"), the annex a bullet
list and a Word table, so the numbers are in numbering.xml (w:numPr), never in the text.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from word_numbering import abstract_num, num, number

OUT = Path(__file__).with_name("dpa-noordlicht.docx")

# (level, text): level 0 = article heading, 1 = member, 2 = lettered sub-clause,
# "b" = bullet, "p" = plain paragraph, "h" = unnumbered heading, "t" = the register table.
CONTENT: list[tuple[int | str, str]] = [
    ("h", "Verwerkersovereenkomst Noordlicht Planning"),
    ("p", "Deze verwerkersovereenkomst is gesloten tussen Noordlicht Software B.V., gevestigd te Groningen "
          "(de Verwerker), en de klant die de dienst Noordlicht Planning afneemt (de Verwerkingsverantwoordelijke)."),
    (0, "Onderwerp"),
    (1, "De Verwerker verwerkt persoonsgegevens uitsluitend in opdracht van de Verwerkingsverantwoordelijke "
        "en voor het leveren van de dienst Noordlicht Planning."),
    (1, "De Verwerker verwerkt de persoonsgegevens niet voor eigen doeleinden."),
    (0, "Beveiliging"),
    (1, "De Verwerker treft passende technische en organisatorische maatregelen, rekening houdend met de "
        "stand van de techniek en de risico's van de verwerking."),
    (1, "De Verwerker draagt er in ieder geval zorg voor dat:"),
    (2, "alle persoonsgegevens versleuteld worden opgeslagen, ook in back-ups;"),
    (2, "verbindingen met de dienst uitsluitend via TLS 1.2 of hoger verlopen;"),
    (2, "beheerders alleen met meerfactorauthenticatie toegang krijgen tot productiesystemen;"),
    (2, "alle toegang tot persoonsgegevens wordt gelogd en de logbestanden twaalf maanden worden bewaard;"),
    (2, "iedere nacht een back-up wordt gemaakt die maandelijks op herstelbaarheid wordt getest."),
    (1, "De Verwerker beschikt over een ISO 27001-certificaat en een ISAE 3402 type II-verklaring."),
    (0, "Datalekken"),
    (1, "De Verwerker informeert de Verwerkingsverantwoordelijke zonder onnodige vertraging, uiterlijk binnen "
        "24 uur na ontdekking, over een inbreuk in verband met persoonsgegevens."),
    (1, "De Verwerker verleent alle medewerking aan het onderzoek naar en het herstel van een datalek."),
    (0, "Subverwerkers"),
    (1, "De Verwerkingsverantwoordelijke stemt in met de inzet van de subverwerkers uit Bijlage A."),
    (1, "De Verwerker informeert de Verwerkingsverantwoordelijke vooraf over een nieuwe subverwerker; de "
        "Verwerkingsverantwoordelijke kan daartegen binnen twee weken bezwaar maken."),
    (0, "Locatie van de verwerking"),
    (1, "De Verwerker verwerkt de persoonsgegevens uitsluitend binnen de Europese Economische Ruimte."),
    (0, "Audit"),
    (1, "De Verwerkingsverantwoordelijke mag eenmaal per jaar, na een aankondiging van ten minste vier weken, "
        "een audit laten uitvoeren door een onafhankelijke deskundige."),
    (0, "Einde van de overeenkomst"),
    (1, "Binnen 30 dagen na het einde van de overeenkomst vernietigt de Verwerker alle persoonsgegevens, "
        "nadat hij de Verwerkingsverantwoordelijke een export ervan heeft bezorgd."),
    ("h", "Bijlage A – Subverwerkers"),
    ("p", "De Verwerker maakt gebruik van de volgende subverwerkers:"),
    ("t", ""),
    ("h", "Bijlage B – Aanvullende maatregelen"),
    ("b", "Netwerksegmentatie tussen productie-, test- en kantoornetwerken."),
    ("b", "Kwetsbaarheidsscans van alle internetdiensten elke week."),
    ("b", "Fysieke toegang tot het kantoor alleen met een persoonlijke toegangspas."),
]

REGISTER = [
    ("Naam", "Dienst", "Locatie"),
    ("Microsoft Ireland Operations Ltd", "Hosting (Azure)", "Nederland"),
    ("Mollie B.V.", "Betalingen", "Nederland"),
    ("Mailgun Technologies Inc.", "E-mail", "Verenigde Staten"),
]


def main() -> None:
    doc = Document()
    numbering = doc.part.numbering_part.element
    # abstractNum elements must come before num elements in numbering.xml
    first_num = numbering.find(qn("w:num"))
    articles = abstract_num(90, [("decimal", "Artikel %1.", "360"), ("decimal", "%1.%2.", "720"),
                              ("lowerLetter", "%3)", "1080")])
    bullets = abstract_num(91, [("bullet", "\u2022", "360")])
    for abstract in (articles, bullets):
        if first_num is not None:
            first_num.addprevious(abstract)
        else:
            numbering.append(abstract)
    numbering.append(num(90, 90))
    numbering.append(num(91, 91))
    for level, text in CONTENT:
        if level == "h":
            doc.add_heading(text, level=1)
        elif level == "p":
            doc.add_paragraph(text)
        elif level == "b":
            number(doc.add_paragraph(text), 91, 0)
        elif level == "t":
            table = doc.add_table(rows=len(REGISTER), cols=3)
            for r, row in enumerate(REGISTER):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        elif level == 0:
            number(doc.add_heading(text, level=2), 90, 0)
        else:
            assert isinstance(level, int)
            number(doc.add_paragraph(text), 90, level)
    doc.core_properties.title = "Verwerkersovereenkomst Noordlicht Planning"
    doc.save(OUT)


if __name__ == "__main__":
    main()
