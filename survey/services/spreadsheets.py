"""Text cells that spreadsheet programs show as text and never run as formulas.

Every file of ours that people open in Excel, LibreOffice or Google Sheets (results, anonymised
responses, invitation links) passes its text cells through :func:`neutralise`.
"""

from __future__ import annotations

__all__ = ["FORMULA_PREFIXES", "neutralise"]

#: Cell beginnings a spreadsheet would read as a formula (CSV/XLSX injection): the four signs,
#: the tab and carriage return that some programs skip before them, and the full-width signs
#: that spreadsheets in East Asian locales accept in their place.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value):
    """``value`` with an apostrophe in front if it is text starting like a formula; else as it is.

    The apostrophe is what spreadsheet programs themselves use to mark a cell as text, so
    ``=HYPERLINK(...)`` shows as ``'=HYPERLINK(...)`` and does nothing.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
