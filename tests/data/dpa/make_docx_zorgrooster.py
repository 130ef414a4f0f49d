"""Write dpa-zorgrooster.docx: a Dutch healthcare SaaS's Verwerkersovereenkomst with a care
provider (the "Zorgaanbieder") whose article numbers exist only in Word's automatic numbering.

Run from the repository: ``python tests/data/dpa/make_docx_zorgrooster.py`` (needs python-docx,
in the ``test`` extra). The committed .docx is what the tests read; this script shows how it was
made. One multi-level list numbers the body: "Artikel %1" on the article headings (Heading 1),
"%1.%2" on the members, "%3." on the lettered points. Bijlage 2 (Beveiligingsmaatregelen) is a
two-column Word table Onderwerp | Maatregel, Bijlage 3 (Subverwerkers) a Word table
Subverwerker | Dienst | Locatie van de verwerking.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from word_numbering import abstract_num, num, number

OUT = Path(__file__).with_name("dpa-zorgrooster.docx")

# (kind, text): 0 = article heading "Artikel N", 1 = member "N.M", 2 = point "a.",
# "title" = the document title, "h" = an unnumbered heading, "p" = a plain paragraph,
# "t:NAME" = the table NAME.
CONTENT: list[tuple[int | str, str]] = [
    ("title", "Verwerkersovereenkomst ZorgRooster"),
    ("p", "DE ONDERGETEKENDEN:"),
    ("p", "1. de zorgaanbieder die in de Overeenkomst als afnemer van ZorgRooster is genoemd, hierna te noemen: "
          "\u201cZorgaanbieder\u201d;"),
    ("p", "2. Zorgrooster B.V., statutair gevestigd te Utrecht, kantoorhoudende aan de Catharijnesingel 47, "
          "3511 GC Utrecht, ingeschreven in het Handelsregister van de Kamer van Koophandel onder nummer "
          "71830294, rechtsgeldig vertegenwoordigd door haar statutair bestuurder, hierna te noemen: "
          "\u201cVerwerker\u201d;"),
    ("p", "hierna gezamenlijk te noemen: \u201cPartijen\u201d en ieder afzonderlijk \u201cPartij\u201d."),
    ("h", "Overwegingen"),
    ("p", "A. Verwerker levert aan Zorgaanbieder de webapplicatie ZorgRooster voor het roosteren van "
          "zorgpersoneel en het plannen van poliklinische spreekuren, operatiecapaciteit en "
          "patiëntafspraken, op basis van de tussen Partijen gesloten overeenkomst (de \u201cOvereenkomst\u201d)."),
    ("p", "B. Bij het gebruik van ZorgRooster worden persoonsgegevens verwerkt van medewerkers van "
          "Zorgaanbieder en van patiënten, waaronder gegevens over gezondheid en het burgerservicenummer "
          "(BSN). Zorgaanbieder is daarvoor verwerkingsverantwoordelijke; Verwerker is verwerker in de zin "
          "van artikel 4, onderdeel 8, van de AVG."),
    ("p", "C. Zorgaanbieder heeft als zorgaanbieder verplichtingen op grond van de Wet op de geneeskundige "
          "behandelingsovereenkomst (WGBO), de Wet aanvullende bepalingen verwerking persoonsgegevens in de "
          "zorg (Wabvpz) en de Wet gebruik burgerservicenummer in de zorg, en verlangt van haar "
          "leveranciers dat zij voldoen aan NEN 7510, NEN 7512 en NEN 7513."),
    ("p", "D. Partijen wensen in deze verwerkersovereenkomst (de \u201cVerwerkersovereenkomst\u201d) hun "
          "afspraken over de verwerking van persoonsgegevens vast te leggen, zoals bedoeld in artikel 28, "
          "derde lid, van de AVG."),
    ("p", "VERKLAREN TE ZIJN OVEREENGEKOMEN ALS VOLGT:"),

    (0, "Definities"),
    (1, "In deze Verwerkersovereenkomst hebben de volgende begrippen de hierna vermelde betekenis:"),
    (2, "AVG: de Algemene Verordening Gegevensbescherming (Verordening (EU) 2016/679);"),
    (2, "Betrokkene: de geïdentificeerde of identificeerbare natuurlijke persoon op wie de persoonsgegevens "
        "betrekking hebben, waaronder medewerkers en patiënten van Zorgaanbieder;"),
    (2, "Datalek: een inbreuk in verband met persoonsgegevens als bedoeld in artikel 4, onderdeel 12, van de "
        "AVG;"),
    (2, "NEN 7510: de norm NEN 7510-1:2017+A1:2020 \u201cMedische informatica \u2013 Informatiebeveiliging "
        "in de zorg\u201d;"),
    (2, "NEN 7513: de norm NEN 7513:2024 \u201cMedische informatica \u2013 Logging \u2013 Vastleggen van "
        "acties op elektronische patiëntdossiers\u201d;"),
    (2, "Patiëntgegevens: persoonsgegevens van patiënten van Zorgaanbieder, waaronder het BSN en gegevens "
        "over gezondheid, die in ZorgRooster worden verwerkt;"),
    (2, "Subverwerker: een derde die door Verwerker wordt ingeschakeld voor de verwerking van "
        "persoonsgegevens ten behoeve van Zorgaanbieder;"),
    (2, "TPM: een Third Party Mededeling, een verklaring van een onafhankelijke IT-auditor (RE) over de "
        "opzet, het bestaan en de werking van de beveiligingsmaatregelen van Verwerker."),
    (1, "Begrippen die in de AVG zijn gedefinieerd, hebben in deze Verwerkersovereenkomst dezelfde "
        "betekenis."),

    (0, "Onderwerp en reikwijdte"),
    (1, "Deze Verwerkersovereenkomst is van toepassing op alle verwerkingen van persoonsgegevens die "
        "Verwerker ten behoeve van Zorgaanbieder uitvoert in het kader van de Overeenkomst."),
    (1, "De aard en het doel van de verwerking, de soorten persoonsgegevens en de categorieën van "
        "Betrokkenen zijn beschreven in Bijlage 1."),
    (1, "Zorgaanbieder staat ervoor in dat zij een grondslag heeft voor de verwerking van de "
        "persoonsgegevens en dat het vastleggen van het BSN in ZorgRooster in overeenstemming is met de "
        "Wet gebruik burgerservicenummer in de zorg."),
    (1, "Bij strijdigheid tussen deze Verwerkersovereenkomst en de Overeenkomst gaat deze "
        "Verwerkersovereenkomst voor."),

    (0, "Verwerking op instructie"),
    (1, "Verwerker verwerkt de persoonsgegevens uitsluitend op basis van schriftelijke instructies van "
        "Zorgaanbieder, ook wat betreft de doorgifte van persoonsgegevens aan een derde land of een "
        "internationale organisatie, tenzij een op Verwerker van toepassing zijnde wettelijke bepaling hem "
        "tot verwerking verplicht."),
    (1, "Verwerker stelt Zorgaanbieder onmiddellijk in kennis indien naar zijn mening een instructie in "
        "strijd is met de AVG of met andere wetgeving inzake gegevensbescherming."),
    (1, "Verwerker gebruikt het BSN uitsluitend voor het eenduidig koppelen van afspraken aan het "
        "elektronisch patiëntdossier van Zorgaanbieder en niet voor andere doeleinden."),
    (1, "Verwerker verleent Zorgaanbieder bijstand bij het beantwoorden van verzoeken van Betrokkenen om "
        "uitoefening van hun rechten en bij het uitvoeren van een gegevensbeschermingseffectbeoordeling."),

    (0, "Geheimhouding"),
    (1, "Verwerker zorgt ervoor dat iedere medewerker die toegang heeft tot de persoonsgegevens een "
        "geheimhoudingsverklaring heeft ondertekend."),
    (1, "Medewerkers van Verwerker hebben geen toegang tot Patiëntgegevens, behalve voor zover dat voor een "
        "door Zorgaanbieder gemeld verzoek om ondersteuning strikt noodzakelijk is en dan alleen voor de "
        "duur van dat verzoek."),
    (1, "De geheimhoudingsplicht geldt niet voor zover een wettelijk voorschrift of een rechterlijke "
        "uitspraak Verwerker tot bekendmaking verplicht."),

    (0, "Beveiliging"),
    (1, "Verwerker treft passende technische en organisatorische maatregelen om de persoonsgegevens te "
        "beveiligen tegen verlies of onrechtmatige verwerking, rekening houdend met de stand van de "
        "techniek, de uitvoeringskosten en de aard van de persoonsgegevens, zoals bedoeld in artikel 32 "
        "van de AVG."),
    (1, "Verwerker neemt ten minste de beveiligingsmaatregelen die zijn beschreven in Bijlage 2."),
    (1, "Verwerker voldoet aan NEN 7510 en beschikt gedurende de looptijd van de Overeenkomst over een "
        "geldig certificaat volgens NEN 7510 en ISO/IEC 27001, afgegeven door een geaccrediteerde "
        "certificerende instelling."),
    (1, "Verwerker legt iedere raadpleging, wijziging en verwijdering van Patiëntgegevens in ZorgRooster "
        "vast overeenkomstig NEN 7513, met ten minste de identiteit van de gebruiker, het tijdstip, de "
        "handeling en de betrokken patiënt."),
    (1, "Verwerker stelt Zorgaanbieder in staat de loggegevens van ZorgRooster zelf te raadplegen en "
        "levert op verzoek binnen vijf werkdagen een overzicht van de toegang tot de gegevens van een "
        "bepaalde patiënt."),
    (1, "De uitwisseling van gegevens tussen ZorgRooster en het ziekenhuisinformatiesysteem van "
        "Zorgaanbieder verloopt overeenkomstig NEN 7512 over een versleutelde verbinding met wederzijdse "
        "authenticatie op basis van certificaten."),
    (1, "Zorgaanbieder is zelf verantwoordelijk voor het aanmaken en intrekken van de accounts van haar "
        "eigen medewerkers en voor het toekennen van de juiste rollen in ZorgRooster."),
    (1, "Verwerker mag de maatregelen uit Bijlage 2 aanpassen aan nieuwe ontwikkelingen, mits het "
        "beveiligingsniveau daardoor niet afneemt."),

    (0, "Datalekken"),
    (1, "Verwerker informeert Zorgaanbieder zonder onredelijke vertraging, uiterlijk 24 uur nadat hij een "
        "Datalek heeft ontdekt, via het daarvoor door Zorgaanbieder opgegeven contactadres."),
    (1, "De melding bevat ten minste:"),
    (2, "de aard van het Datalek en het tijdstip waarop het is ontstaan en ontdekt;"),
    (2, "de categorieën en het geschatte aantal Betrokkenen en persoonsgegevens, met vermelding of "
        "Patiëntgegevens of het BSN zijn getroffen;"),
    (2, "de waarschijnlijke gevolgen van het Datalek;"),
    (2, "de maatregelen die Verwerker heeft genomen of voorstelt om het Datalek te verhelpen en de "
        "gevolgen ervan te beperken;"),
    (2, "de naam en contactgegevens van de contactpersoon van Verwerker voor het Datalek."),
    (1, "Verwerker neemt alle redelijke maatregelen om het Datalek te beëindigen en de gevolgen te beperken "
        "en houdt Zorgaanbieder op de hoogte van nieuwe ontwikkelingen."),
    (1, "Het melden van een Datalek aan de Autoriteit Persoonsgegevens en aan de Betrokkenen is "
        "voorbehouden aan Zorgaanbieder; Verwerker doet zelf geen melding."),
    (1, "Verwerker registreert alle beveiligingsincidenten en Datalekken, met de feiten, de gevolgen en de "
        "genomen maatregelen, en stelt dit register op verzoek aan Zorgaanbieder ter beschikking."),

    (0, "Subverwerkers"),
    (1, "Zorgaanbieder geeft Verwerker toestemming voor het inschakelen van de Subverwerkers die zijn "
        "opgenomen in Bijlage 3."),
    (1, "Verwerker informeert Zorgaanbieder ten minste vier weken voordat hij een nieuwe Subverwerker "
        "inschakelt of een Subverwerker vervangt. Zorgaanbieder kan binnen veertien dagen na die "
        "kennisgeving gemotiveerd bezwaar maken."),
    (1, "Verwerker legt iedere Subverwerker schriftelijk ten minste dezelfde verplichtingen op als die "
        "welke voor Verwerker uit deze Verwerkersovereenkomst voortvloeien."),
    (1, "Verwerker blijft jegens Zorgaanbieder volledig aansprakelijk voor de nakoming van de "
        "verplichtingen van de Subverwerker."),

    (0, "Doorgifte"),
    (1, "Verwerker verwerkt de persoonsgegevens uitsluitend in datacenters binnen de Europese "
        "Economische Ruimte en laat ze ook door Subverwerkers uitsluitend daar verwerken."),
    (1, "Doorgifte van persoonsgegevens naar een land buiten de Europese Economische Ruimte is alleen "
        "toegestaan met voorafgaande schriftelijke toestemming van Zorgaanbieder en met inachtneming van "
        "hoofdstuk V van de AVG."),
    (1, "Ontvangt Verwerker een verzoek van een overheidsinstantie van buiten de Europese Economische "
        "Ruimte om persoonsgegevens te verstrekken, dan informeert hij Zorgaanbieder daarover, tenzij "
        "dat wettelijk verboden is, en verstrekt hij geen gegevens zonder toestemming van Zorgaanbieder."),

    (0, "Audit"),
    (1, "Verwerker stelt Zorgaanbieder alle informatie ter beschikking die nodig is om de nakoming van de "
        "verplichtingen uit artikel 28 van de AVG en deze Verwerkersovereenkomst aan te tonen."),
    (1, "Verwerker laat ten minste eenmaal per jaar door een onafhankelijke IT-auditor een onderzoek "
        "uitvoeren naar de beveiliging van ZorgRooster, dat uitmondt in een TPM."),
    (1, "Verwerker verstrekt Zorgaanbieder op verzoek de meest recente TPM en het geldige NEN "
        "7510-certificaat."),
    (1, "Indien de TPM naar het redelijke oordeel van Zorgaanbieder onvoldoende zekerheid biedt, mag "
        "Zorgaanbieder ten hoogste eenmaal per kalenderjaar een audit laten uitvoeren door een "
        "onafhankelijke deskundige die tot geheimhouding is verplicht, na een schriftelijke aankondiging "
        "van ten minste dertig dagen."),
    (1, "De kosten van een audit komen voor rekening van Zorgaanbieder, tenzij de audit tekortkomingen "
        "aan het licht brengt die aan Verwerker zijn toe te rekenen."),
    (1, "Verwerker herstelt de bij een audit geconstateerde tekortkomingen binnen een redelijke termijn en "
        "informeert Zorgaanbieder over de voortgang."),

    (0, "Duur en beëindiging"),
    (1, "Deze Verwerkersovereenkomst geldt zolang de Overeenkomst van kracht is en daarna zolang "
        "Verwerker persoonsgegevens van Zorgaanbieder verwerkt."),
    (1, "Na het einde van de Overeenkomst kan Zorgaanbieder gedurende dertig dagen alle gegevens uit "
        "ZorgRooster exporteren in een gangbaar formaat (CSV of HL7 FHIR)."),
    (1, "Verwerker verwijdert alle persoonsgegevens van Zorgaanbieder binnen drie (3) maanden na het "
        "einde van de Overeenkomst uit ZorgRooster, tenzij een wettelijke verplichting hem tot "
        "langere bewaring verplicht."),
    (1, "Kopieën van de persoonsgegevens in back-ups worden uiterlijk zes weken na de verwijdering uit "
        "de productieomgeving overschreven."),
    (1, "Verwerker bevestigt de verwijdering op verzoek schriftelijk aan Zorgaanbieder."),
    (1, "Het bewaren van het medisch dossier gedurende de bewaartermijn van de WGBO is een "
        "verantwoordelijkheid van Zorgaanbieder; ZorgRooster is geen dossier in de zin van de WGBO."),

    (0, "Aansprakelijkheid"),
    (1, "De aansprakelijkheid van Partijen voor schade die voortvloeit uit een tekortkoming in de nakoming "
        "van deze Verwerkersovereenkomst is beperkt zoals bepaald in de Overeenkomst."),
    (1, "De beperking van aansprakelijkheid geldt niet bij opzet of bewuste roekeloosheid van Verwerker "
        "of zijn leidinggevenden."),

    (0, "Slotbepalingen"),
    (1, "Wijzigingen van deze Verwerkersovereenkomst zijn alleen geldig als Partijen ze schriftelijk zijn "
        "overeengekomen."),
    (1, "Op deze Verwerkersovereenkomst is Nederlands recht van toepassing. Geschillen worden voorgelegd "
        "aan de bevoegde rechter van de rechtbank Midden-Nederland."),

    ("p", "Aldus overeengekomen en ondertekend:"),
    ("p", "Zorgaanbieder: ______________________    Verwerker: Zorgrooster B.V. ______________________"),

    ("h", "Bijlage 1 Specificatie van de verwerking"),
    ("p", "Doel van de verwerking: het roosteren van zorgpersoneel, het plannen van spreekuren, "
          "operatiecapaciteit en patiëntafspraken, en het versturen van roosterwijzigingen en "
          "afspraakherinneringen."),
    ("p", "Categorieën van Betrokkenen: medewerkers van Zorgaanbieder (artsen, verpleegkundigen, "
          "planners), inhuurkrachten en patiënten."),
    ("p", "Persoonsgegevens van medewerkers: naam, personeelsnummer, functie, BIG-registratienummer, "
          "contractgegevens, beschikbaarheid, verlof en verzuim (zonder medische gegevens), gewerkte diensten."),
    ("p", "Persoonsgegevens van patiënten: naam, geboortedatum, BSN, patiëntnummer, telefoonnummer, "
          "afspraakgegevens, het specialisme en de aard van de afspraak (gegevens over gezondheid)."),
    ("p", "Bewaartermijnen: roostergegevens zolang de Overeenkomst loopt; loggegevens volgens NEN 7513 "
          "gedurende vijf jaar."),
    ("p", "Contactpersoon van Verwerker: de Security Officer, privacy@zorgrooster.nl."),

    ("h", "Bijlage 2 Beveiligingsmaatregelen"),
    ("p", "Verwerker treft in ieder geval de volgende maatregelen:"),
    ("t:measures", ""),

    ("h", "Bijlage 3 Subverwerkers"),
    ("p", "Zorgaanbieder geeft toestemming voor het inschakelen van de volgende Subverwerkers:"),
    ("t:subprocessors", ""),
]

TABLES: dict[str, list[tuple[str, ...]]] = {
    "measures": [
        ("Onderwerp", "Maatregel"),
        ("Informatiebeveiligingsbeleid",
         "Verwerker beschikt over een managementsysteem voor informatiebeveiliging dat is gecertificeerd "
         "volgens NEN 7510 en ISO/IEC 27001. Het beleid wordt jaarlijks door de directie vastgesteld."),
        ("Fysieke beveiliging",
         "De datacenters van de hostingpartij zijn gecertificeerd volgens ISO/IEC 27001 en NEN 7510 en "
         "beschikken over toegangscontrole met pas en biometrie, camerabewaking en beveiligingspersoneel "
         "dat 24 uur per dag aanwezig is."),
        ("Toegangsbeveiliging",
         "Medewerkers van Zorgaanbieder melden zich aan via de single sign-on van Zorgaanbieder; beheerders "
         "van Verwerker gebruiken een persoonlijk account met tweefactorauthenticatie."),
        ("Autorisatie",
         "Rechten worden toegekend op basis van rollen (planner, teamleider, medewerker); Patiëntgegevens "
         "zijn alleen zichtbaar voor rollen die deze voor hun taak nodig hebben. De autorisaties van "
         "beheerders worden elk kwartaal gecontroleerd."),
        ("Logging (NEN 7513)",
         "Iedere raadpleging, wijziging en verwijdering van Patiëntgegevens wordt gelogd met gebruiker, "
         "tijdstip en handeling; de logbestanden worden onveranderbaar opgeslagen en vijf jaar bewaard."),
        ("Versleuteling",
         "Al het gegevensverkeer met ZorgRooster is versleuteld met TLS 1.2 of hoger; databases en back-ups "
         "worden versleuteld opgeslagen met AES-256."),
        ("Netwerkbeveiliging",
         "De productieomgeving is door firewalls gescheiden van kantoor- en testomgevingen; alleen de "
         "noodzakelijke poorten zijn open en inkomend verkeer wordt gefilterd door een web application "
         "firewall."),
        ("Kwetsbaarhedenbeheer",
         "Wekelijks worden geautomatiseerde kwetsbaarheidsscans uitgevoerd en kritieke beveiligingsupdates "
         "worden binnen 48 uur geïnstalleerd. Eenmaal per jaar voert een externe partij een penetratietest "
         "uit."),
        ("Back-up",
         "Dagelijks wordt een volledige back-up gemaakt naar een tweede datacenter; back-ups worden 35 dagen "
         "bewaard."),
        ("Continuïteit",
         "Het terugzetten van een back-up wordt ten minste elk halfjaar getest en het resultaat wordt "
         "vastgelegd. De maximale hersteltijd bedraagt vier uur."),
        ("Incidentbeheer",
         "Beveiligingsincidenten worden volgens een vastgelegde procedure gemeld, geregistreerd, "
         "afgehandeld en geëvalueerd; de storingsdienst is dag en nacht bereikbaar."),
        ("Personeel",
         "Nieuwe medewerkers overleggen een Verklaring Omtrent het Gedrag (VOG) en volgen jaarlijks een "
         "training in informatiebeveiliging en privacy."),
        ("Ontwikkeling",
         "In test- en acceptatieomgevingen worden geen Patiëntgegevens gebruikt; iedere wijziging van de "
         "programmatuur wordt door een tweede ontwikkelaar beoordeeld."),
        ("Mobiele app",
         "De app voor medewerkers slaat geen Patiëntgegevens op het toestel op; na vijftien minuten zonder "
         "activiteit wordt de sessie beëindigd."),
    ],
    "subprocessors": [
        ("Subverwerker", "Dienst", "Locatie van de verwerking"),
        ("Previder B.V.", "Hosting en beheer van de infrastructuur (private cloud)", "Hengelo, Nederland"),
        ("NorthC Datacenters B.V.", "Tweede datacenter voor back-ups", "Almere, Nederland"),
        ("Spryng B.V.", "Verzending van sms-herinneringen aan medewerkers en patiënten", "Nederland"),
        ("Mailjet SAS", "Verzending van e-mailnotificaties", "Parijs, Frankrijk"),
        ("TOPdesk Nederland B.V.", "Registratie van supportmeldingen", "Delft, Nederland"),
    ],
}


def _table(doc: object, rows: list[tuple[str, ...]]) -> None:
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            cell = table.cell(r, c)
            cell.text = text
            if r == 0:
                for run in cell.paragraphs[0].runs:
                    run.bold = True


def main() -> None:
    doc = Document()
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(10)
    numbering = doc.part.numbering_part.element
    first_num = numbering.find(qn("w:num"))  # abstractNum elements must come before num elements
    articles = abstract_num(60, [("decimal", "Artikel %1", "1080"), ("decimal", "%1.%2", "720"),
                                 ("lowerLetter", "%3.", "1080")], hanging="720")
    if first_num is not None:
        first_num.addprevious(articles)
    else:
        numbering.append(articles)
    numbering.append(num(60, 60))
    for kind, text in CONTENT:
        if kind == "title":
            doc.add_heading(text, level=0)
        elif kind == "h":
            if text.startswith("Bijlage"):
                doc.add_page_break()
            doc.add_heading(text, level=1)
        elif kind == "p":
            doc.add_paragraph(text)
        elif isinstance(kind, str) and kind.startswith("t:"):
            _table(doc, TABLES[kind[2:]])
        elif kind == 0:
            number(doc.add_heading(text, level=1), 60, 0)
        else:
            assert isinstance(kind, int)
            number(doc.add_paragraph(text), 60, kind)
    doc.core_properties.title = "Zorgrooster: Verwerkersovereenkomst"
    doc.save(OUT)


if __name__ == "__main__":
    main()
