"""Write dpa-ferrycroft.docx: an Irish-English DPA whose clause numbers exist only in Word's
automatic numbering and whose security measures and sub-processors are Word tables.

Run from the repository: ``python tests/data/dpa/make_docx_ferrycroft.py`` (needs python-docx,
in the ``test`` extra). The committed .docx is what the tests read; this script shows how it was
made. One multi-level list numbers the whole body: "%1." on the clause headings (Heading 1),
"%1.%2" on the clauses, "(%3)" on the lettered points. Annex 2 (technical and organisational
measures) is a two-column table Category | Measure, Annex 3 (sub-processors) a three-column
table Name | Service | Location whose locations are cities or cloud regions.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from word_numbering import abstract_num, num, number

OUT = Path(__file__).with_name("dpa-ferrycroft.docx")

# (kind, text): 0 = numbered clause heading, 1 = clause "N.M", 2 = point "(a)",
# "title" = the document title, "h" = an unnumbered heading, "p" = a plain paragraph,
# "t:NAME" = the table NAME.
CONTENT: list[tuple[int | str, str]] = [
    ("title", "Data Processing Agreement"),
    ("p", "This Data Processing Agreement (the \u201cDPA\u201d) is made on the date of the last signature below "
          "BETWEEN:"),
    ("p", "(1) FERRYCROFT LABS LIMITED, a company incorporated in Ireland with registered number 612477, whose "
          "registered office is at 14 Grand Canal Quay, Dublin 2, D02 XK75, Ireland (\u201cFerrycroft\u201d); and"),
    ("p", "(2) the entity identified as the customer in the Order Form (the \u201cCustomer\u201d),"),
    ("p", "each a \u201cParty\u201d and together the \u201cParties\u201d."),
    ("h", "Background"),
    ("p", "(A) Ferrycroft provides Ferrycroft Recruit, a hosted applicant tracking system, to the Customer under "
          "the Subscription Agreement entered into between the Parties (the \u201cAgreement\u201d)."),
    ("p", "(B) In providing Ferrycroft Recruit, Ferrycroft processes personal data of job applicants, referees "
          "and the Customer\u2019s hiring staff on behalf of the Customer."),
    ("p", "(C) The Parties wish to set out the terms on which that processing takes place, so as to comply with "
          "Article 28 of the GDPR and the Data Protection Act 2018 (Ireland)."),
    ("p", "IT IS AGREED as follows:"),

    (0, "Definitions and Interpretation"),
    (1, "In this DPA the following words and expressions have the following meanings, unless the context "
        "requires otherwise:"),
    (2, "\u201cApplicable Data Protection Law\u201d means the GDPR, the Data Protection Act 2018 (Ireland), the "
        "ePrivacy Regulations 2011 and any other law relating to the protection of personal data that applies "
        "to the processing of Customer Personal Data under the Agreement;"),
    (2, "\u201cBusiness Day\u201d means a day other than a Saturday, Sunday or public holiday in Ireland;"),
    (2, "\u201cCustomer Personal Data\u201d means the personal data described in Annex 1 that Ferrycroft "
        "processes on behalf of the Customer in providing the Services;"),
    (2, "\u201cGDPR\u201d means Regulation (EU) 2016/679 of the European Parliament and of the Council;"),
    (2, "\u201cPersonal Data Breach\u201d means a breach of security leading to the accidental or unlawful "
        "destruction, loss, alteration, unauthorised disclosure of, or access to, Customer Personal Data;"),
    (2, "\u201cServices\u201d means Ferrycroft Recruit and the related support and professional services "
        "described in the Agreement;"),
    (2, "\u201cStandard Contractual Clauses\u201d means the standard contractual clauses annexed to Commission "
        "Implementing Decision (EU) 2021/914, as amended or replaced from time to time;"),
    (2, "\u201cSub-processor\u201d means any third party engaged by Ferrycroft to process Customer Personal Data;"
        " and"),
    (2, "\u201cSupervisory Authority\u201d means the Data Protection Commission or any other authority competent "
        "under Applicable Data Protection Law."),
    (1, "The terms \u201ccontroller\u201d, \u201cprocessor\u201d, \u201cdata subject\u201d, \u201cpersonal "
        "data\u201d and \u201cprocessing\u201d have the meanings given to them in the GDPR."),
    (1, "Headings are for convenience only and do not affect the interpretation of this DPA. References to "
        "Clauses and Annexes are to the clauses of and annexes to this DPA, and the Annexes form part of it."),
    (1, "Words in the singular include the plural and vice versa. The words \u201cincluding\u201d and "
        "\u201cin particular\u201d are illustrative and do not limit the generality of the preceding words."),

    (0, "Scope and Roles of the Parties"),
    (1, "This DPA applies to all processing of Customer Personal Data carried out by Ferrycroft, or by any "
        "Sub-processor on its behalf, in connection with the Services."),
    (1, "The Customer is the controller and Ferrycroft is the processor of the Customer Personal Data. The "
        "subject matter, nature and purpose of the processing, the types of personal data and the categories "
        "of data subjects are set out in Annex 1."),
    (1, "The Customer shall ensure that it has a lawful basis for the processing and that its instructions "
        "comply with Applicable Data Protection Law."),
    (1, "This DPA shall continue in force for so long as Ferrycroft processes Customer Personal Data, "
        "notwithstanding the expiry or termination of the Agreement."),

    (0, "Obligations of Ferrycroft"),
    (1, "Ferrycroft shall:"),
    (2, "process the Customer Personal Data only on the documented instructions of the Customer, including "
        "with regard to transfers of personal data to a third country or an international organisation, "
        "unless required to do so by Union or Member State law to which Ferrycroft is subject;"),
    (2, "inform the Customer without delay if, in its opinion, an instruction infringes Applicable Data "
        "Protection Law;"),
    (2, "not sell Customer Personal Data, nor use it for its own purposes, including for the training of "
        "ranking or matching models offered to other customers; and"),
    (2, "ensure that every person it authorises to process Customer Personal Data has committed himself or "
        "herself to confidentiality or is under an appropriate statutory obligation of confidentiality."),
    (1, "Ferrycroft shall grant access to Customer Personal Data only to those employees and contractors who "
        "need that access to provide, support or maintain the Services, and shall withdraw such access within "
        "twenty-four (24) hours of the person leaving Ferrycroft or changing role."),
    (1, "The Customer\u2019s documented instructions at the date of this DPA are the Agreement, this DPA and "
        "the Customer\u2019s use and configuration of the Services. Any further instruction shall be given in "
        "writing and, where it requires work beyond the Services, may be charged at Ferrycroft\u2019s then "
        "current rates."),

    (0, "Security of Processing"),
    (1, "Taking into account the state of the art, the costs of implementation and the nature, scope, context "
        "and purposes of the processing, as well as the risk for the rights and freedoms of natural persons, "
        "Ferrycroft shall implement appropriate technical and organisational measures to ensure a level of "
        "security appropriate to that risk."),
    (1, "Those measures shall include, as a minimum, the technical and organisational measures set out in "
        "Annex 2. Ferrycroft may update Annex 2 from time to time, provided that no update materially reduces "
        "the overall level of protection of Customer Personal Data."),
    (1, "Ferrycroft shall maintain, for the duration of the Agreement, a certification under ISO/IEC "
        "27001:2022 covering the information security management system through which the Services are "
        "provided."),
    (1, "Ferrycroft shall regularly test, assess and evaluate the effectiveness of its security measures and "
        "shall have an independent specialist carry out a penetration test of the Services at least once in "
        "every calendar year."),
    (1, "The Customer is responsible for the secure configuration of the user accounts it creates in the "
        "Services, including enabling single sign-on where its subscription allows."),

    (0, "Sub-processors"),
    (1, "The Customer grants Ferrycroft a general authorisation to engage Sub-processors. The Customer "
        "approves the Sub-processors listed in Annex 3 as at the date of this DPA."),
    (1, "Ferrycroft shall inform the Customer by email of any intended addition or replacement of a "
        "Sub-processor at least thirty (30) days before the new Sub-processor begins to process Customer "
        "Personal Data, and shall keep an up-to-date list of its Sub-processors in its trust centre."),
    (1, "The Customer may object to the intended change on reasonable grounds relating to data protection by "
        "notice in writing within fourteen (14) days of Ferrycroft\u2019s notice. If the Parties cannot resolve "
        "the objection in good faith, the Customer may terminate the affected Services without penalty."),
    (1, "Where Ferrycroft engages a Sub-processor, it shall impose on that Sub-processor, by way of a written "
        "contract, data protection obligations that offer at least the same level of protection as those set "
        "out in this DPA."),
    (1, "Ferrycroft shall remain fully liable to the Customer for the performance of each Sub-processor\u2019s "
        "obligations."),

    (0, "Personal Data Breaches"),
    (1, "Ferrycroft shall notify the Customer of any Personal Data Breach without undue delay and in any "
        "event within 48 hours after becoming aware of it."),
    (1, "The notification shall be sent to the contact designated by the Customer in the Services and shall, "
        "to the extent then known, contain:"),
    (2, "a description of the nature of the Personal Data Breach, including the categories and approximate "
        "number of data subjects and of personal data records concerned;"),
    (2, "the name and contact details of Ferrycroft\u2019s data protection officer or another contact point "
        "where more information can be obtained;"),
    (2, "a description of the likely consequences of the Personal Data Breach; and"),
    (2, "a description of the measures taken or proposed to be taken to address the Personal Data Breach and "
        "to mitigate its possible adverse effects."),
    (1, "Where and in so far as it is not possible to provide all the information at the same time, "
        "Ferrycroft shall provide it in phases without further undue delay."),
    (1, "Ferrycroft shall take all reasonable steps to contain and remedy each Personal Data Breach and shall "
        "document every Personal Data Breach, including the facts relating to it, its effects and the "
        "remedial action taken."),
    (1, "The Customer is responsible for notifying the Supervisory Authority and the data subjects concerned "
        "where Applicable Data Protection Law so requires. A notification by Ferrycroft under this Clause is "
        "not an acknowledgement of fault or liability."),

    (0, "Assistance to the Customer"),
    (1, "Ferrycroft shall forward to the Customer, within five (5) Business Days of receipt, any request from "
        "a data subject relating to Customer Personal Data, and shall not respond to it except on the "
        "Customer\u2019s instructions."),
    (1, "Taking into account the nature of the processing, Ferrycroft shall assist the Customer by "
        "appropriate technical and organisational measures, insofar as possible, in fulfilling its obligation "
        "to respond to requests for the exercise of data subjects\u2019 rights."),
    (1, "Ferrycroft shall provide reasonable assistance to the Customer with any data protection impact "
        "assessment and prior consultation of the Supervisory Authority relating to the Services."),

    (0, "Audits and Information"),
    (1, "Ferrycroft shall make available to the Customer all information necessary to demonstrate "
        "compliance with Article 28 of the GDPR and this DPA, and shall allow for and contribute to audits, "
        "including inspections, conducted by the Customer or by another auditor mandated by the Customer."),
    (1, "On request, Ferrycroft shall provide the Customer with a copy of its current ISO/IEC 27001 "
        "certificate and of its most recent SOC 2 Type II report, which the Customer shall treat as "
        "confidential information."),
    (1, "Where the Customer reasonably considers that the documents referred to in Clause 8.2 do not suffice, "
        "it may carry out an audit of Ferrycroft\u2019s processing of Customer Personal Data, provided that:"),
    (2, "the Customer gives Ferrycroft at least twenty-one (21) days\u2019 prior written notice of the audit, "
        "its scope and the identity of any third-party auditor;"),
    (2, "no more than one audit takes place in any period of twelve (12) months, save where a Supervisory "
        "Authority requires it or following a Personal Data Breach; and"),
    (2, "the audit is carried out during Ferrycroft\u2019s normal business hours, causes the minimum "
        "disruption to its business and is conducted by auditors bound by a duty of confidentiality."),
    (1, "Each Party shall bear its own costs of an audit, save where the audit reveals a material breach of "
        "this DPA by Ferrycroft, in which case Ferrycroft shall reimburse the Customer\u2019s reasonable costs."),

    (0, "Location of Processing and International Transfers"),
    (1, "Ferrycroft shall host and store Customer Personal Data only in data centres located in the "
        "European Economic Area."),
    (1, "Ferrycroft shall not transfer Customer Personal Data to a country outside the European Economic "
        "Area, nor permit any Sub-processor to do so, without the prior written consent of the Customer. "
        "Any transfer so permitted shall be made only to a country benefiting from an adequacy decision of "
        "the European Commission or under the Standard Contractual Clauses, supplemented where necessary by "
        "additional measures."),
    (1, "If Ferrycroft receives a legally binding request from a public authority for disclosure of Customer "
        "Personal Data, it shall, unless prohibited by law, notify the Customer promptly and shall challenge "
        "the request where there are reasonable grounds to consider it unlawful."),

    (0, "Return and Deletion of Customer Personal Data"),
    (1, "For thirty (30) days after the termination or expiry of the Agreement, the Customer may export "
        "Customer Personal Data from the Services in a structured, commonly used and machine-readable format."),
    (1, "Ferrycroft shall delete all Customer Personal Data from its production systems within sixty (60) "
        "days after the termination or expiry of the Agreement."),
    (1, "Copies of Customer Personal Data held in backups shall be overwritten in the ordinary backup cycle "
        "and shall in any event be purged no later than ninety (90) days after the termination or expiry of "
        "the Agreement."),
    (1, "Upon the Customer\u2019s written request, Ferrycroft shall confirm in writing that it has complied "
        "with this Clause 10."),
    (1, "Clauses 10.2 and 10.3 do not apply to Customer Personal Data that Ferrycroft is required to retain "
        "under Union or Member State law, which Ferrycroft shall keep confidential and process only for the "
        "purpose for which its retention is required."),

    (0, "Liability"),
    (1, "Each Party\u2019s liability arising out of or in connection with this DPA is subject to the "
        "exclusions and limitations of liability set out in the Agreement."),
    (1, "Nothing in this DPA limits a Party\u2019s liability to data subjects under Article 82 of the GDPR."),

    (0, "Term and Precedence"),
    (1, "This DPA takes effect on the date on which the Agreement takes effect and ends when Ferrycroft has "
        "deleted or returned all Customer Personal Data in accordance with Clause 10."),
    (1, "In the event of a conflict between this DPA and the Agreement, this DPA prevails in respect of the "
        "processing of Customer Personal Data. In the event of a conflict between this DPA and the Standard "
        "Contractual Clauses, the Standard Contractual Clauses prevail."),
    (1, "If any provision of this DPA is found to be invalid or unenforceable, the remainder of this DPA "
        "shall remain in full force and effect."),

    (0, "Governing Law and Jurisdiction"),
    (1, "This DPA and any dispute or claim arising out of or in connection with it are governed by the laws "
        "of Ireland."),
    (1, "The courts of Ireland shall have exclusive jurisdiction to settle any such dispute or claim."),

    ("p", "Signed for and on behalf of FERRYCROFT LABS LIMITED: ______________________  Name: Aoife Brennan, "
          "Chief Operating Officer  Date: __________"),
    ("p", "Signed for and on behalf of the CUSTOMER: ______________________  Name: ______________  "
          "Date: __________"),

    ("h", "Annex 1 \u2013 Description of the Processing"),
    ("p", "Subject matter and duration: the provision of Ferrycroft Recruit to the Customer for the term of "
          "the Agreement and the period of deletion under Clause 10."),
    ("p", "Nature and purpose: hosting, storage, structuring, search and transmission of applications; "
          "scheduling of interviews; reporting on the Customer\u2019s hiring process; customer support."),
    ("p", "Categories of data subjects: job applicants and candidates, referees, and the Customer\u2019s "
          "employees and contractors who use the Services."),
    ("p", "Types of personal data: names, contact details, curricula vitae, cover letters, employment and "
          "education history, interview notes and scores, right-to-work status where the Customer records it, "
          "and usage and log data of users."),
    ("p", "Special categories: none are required by the Services. Where an applicant includes such data in a "
          "free-text field, it is processed only as part of the application."),
    ("p", "Frequency: continuous for the term of the Agreement."),

    ("h", "Annex 2 \u2013 Technical and Organisational Measures"),
    ("p", "The following measures apply to the Services and to all Customer Personal Data, whichever "
          "Ferrycroft entity or Sub-processor processes it."),
    ("t:measures", ""),

    ("h", "Annex 3 \u2013 Sub-processors"),
    ("p", "The Customer authorises the following Sub-processors at the date of this DPA:"),
    ("t:subprocessors", ""),
    ("p", "The current list is also published at https://trust.ferrycroft.io/subprocessors."),
]

TABLES: dict[str, list[tuple[str, ...]]] = {
    "measures": [
        ("Category", "Measure"),
        ("Information security management",
         "An information security management system certified to ISO/IEC 27001:2022, owned by the Head of "
         "Security and reviewed by senior management at least once a year."),
        ("Physical security",
         "Customer Personal Data is hosted only in AWS data centres, where physical entry is restricted to "
         "authorised staff by badge and biometric controls and monitored by CCTV around the clock. "
         "Ferrycroft\u2019s offices hold no Customer Personal Data."),
        ("Access control",
         "Role-based access on the principle of least privilege; single sign-on with multi-factor "
         "authentication using hardware security keys for all staff; access rights reviewed every quarter."),
        ("Logging and monitoring",
         "Administrative actions and every access to Customer Personal Data by Ferrycroft staff are logged "
         "centrally; logs are retained for twelve (12) months and protected against alteration."),
        ("Encryption",
         "Data in transit over public networks is encrypted with TLS 1.2 or higher, with HSTS enforced; data "
         "at rest, including databases, object storage and backups, is encrypted with AES-256 using keys "
         "managed in AWS KMS."),
        ("Network security",
         "Production systems run in private subnets behind a web application firewall; inbound traffic is "
         "denied by default and administrative access is possible only through a hardened bastion host."),
        ("Vulnerability management",
         "Dependencies and container images are scanned on every build and weekly in production; critical "
         "vulnerabilities are remediated within seventy-two (72) hours and high ones within fourteen (14) days."),
        ("Backups",
         "Databases are backed up continuously with point-in-time recovery and copied daily to a second AWS "
         "region in the European Union; backups are kept for thirty-five (35) days."),
        ("Business continuity",
         "Restoration of a complete backup into an isolated environment is tested at least every quarter and "
         "the results are documented; the recovery time objective is four (4) hours."),
        ("Incident management",
         "A documented incident response procedure with an on-call rotation around the clock; security "
         "incidents are triaged, escalated to the Head of Security and reviewed after closure."),
        ("Personnel",
         "Background screening where permitted by law and security awareness training at onboarding and "
         "once a year thereafter."),
        ("Secure development",
         "Every code change is peer reviewed before it is merged; production data is never used for "
         "development or testing."),
        ("Sub-processor management",
         "Ferrycroft reviews the security of each Sub-processor before engaging it and at least once a year "
         "thereafter."),
    ],
    "subprocessors": [
        ("Name", "Service", "Location"),
        ("Amazon Web Services EMEA SARL", "Hosting, databases and backup storage", "AWS eu-central-1 and eu-west-1"),
        ("Intercom R&D Unlimited Company", "In-app messaging and customer support", "Dublin"),
        ("Algolia SAS", "Search index of candidate profiles", "Paris"),
        ("Twilio Ireland Limited", "SMS interview reminders", "Dublin"),
        ("Checkly GmbH", "Uptime and synthetic monitoring", "Berlin"),
        ("Bunny Way d.o.o.", "Content delivery for candidate documents", "Ljubljana"),
        ("Ferrycroft Labs B.V.", "Customer support and second-line engineering", "Amsterdam"),
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
    doc.styles["Normal"].font.size = Pt(11)
    numbering = doc.part.numbering_part.element
    first_num = numbering.find(qn("w:num"))  # abstractNum elements must come before num elements
    clauses = abstract_num(70, [("decimal", "%1.", "720"), ("decimal", "%1.%2", "720"),
                             ("lowerLetter", "(%3)", "1440")], hanging="720")
    if first_num is not None:
        first_num.addprevious(clauses)
    else:
        numbering.append(clauses)
    numbering.append(num(70, 70))
    for kind, text in CONTENT:
        if kind == "title":
            doc.add_heading(text, level=0)
        elif kind == "h":
            if text.startswith("Annex"):
                doc.add_page_break()
            doc.add_heading(text, level=1)
        elif kind == "p":
            doc.add_paragraph(text)
        elif isinstance(kind, str) and kind.startswith("t:"):
            _table(doc, TABLES[kind[2:]])
        elif kind == 0:
            number(doc.add_heading(text, level=1), 70, 0)
        else:
            assert isinstance(kind, int)
            number(doc.add_paragraph(text), 70, kind)
    doc.core_properties.title = "Ferrycroft Labs: Data Processing Agreement"
    doc.save(OUT)


if __name__ == "__main__":
    main()
