"""Draft a DPA profile from the agreement itself (``auditpack dpa import``).

Pipeline: ``reader`` turns a .txt/.md/.docx/.pdf file into a :class:`~.model.Document` of
numbered blocks; the tagger, parameter and register extractors turn blocks into a draft
profile that a person reviews before it is used. See docs/profiles.md.
"""
