"""Outside strings made safe to *look at*: bidirectional controls shown, not obeyed, and
very long values clipped in the documents meant for reading.

Escaping (HTML, Markdown, CSV formulas) keeps outside text from becoming markup; this
module keeps it from lying visually. A right-to-left override (U+202E) in a bucket name can
make ``evil‮txt.exe`` read as ``evilexe.txt``, so every bidi control is replaced by a visible
``<U+202E>`` marker. A 100 KB unbroken name would make a table row 1.6 million pixels wide,
so report.html and report.md show the first :data:`DISPLAY_LIMIT` characters and say where
the full value is (findings.csv and findings.json keep it whole).
"""

from __future__ import annotations

import re

DISPLAY_LIMIT = 1000
# embedding/override/isolate controls and the implicit marks (Unicode TR 9)
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def show_bidi(text: str) -> str:
    """Replace every bidirectional control character by a visible ``<U+XXXX>`` marker."""
    return BIDI_CONTROLS.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def clip(text: str, limit: int = DISPLAY_LIMIT) -> str:
    """At most ``limit`` characters, with a note of how many were left out and where they are."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more characters: the full value is in findings.csv/findings.json]"


def for_reading(text: str) -> str:
    return clip(show_bidi(text))
