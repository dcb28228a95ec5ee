"""Workbooks for tests: real ones written by openpyxl, and hostile ones made by editing their XML."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable

from openpyxl import Workbook

#: The first sheet of a workbook openpyxl writes.
SHEET = "xl/worksheets/sheet1.xml"


def workbook_bytes(rows: Iterable[Iterable]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def edit_part(data: bytes, part: str, change: Callable[[str], str]) -> bytes:
    """The workbook ``data`` with the XML text of ``part`` passed through ``change``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == part:
                content = change(content.decode("utf-8")).encode("utf-8")
            target.writestr(info.filename, content)
    return out.getvalue()


def with_dimension(data: bytes, ref: str) -> bytes:
    """The workbook with its first sheet claiming the size ``ref`` (e.g. ``A1:XFD1048576``)."""

    def change(xml: str) -> str:
        return re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{ref}"', xml, count=1)

    return edit_part(data, SHEET, change)


def with_doctype(data: bytes, declarations: str, cell_text: str, replacement: str) -> bytes:
    """The workbook with a DOCTYPE of ``declarations`` on its sheet and ``cell_text`` replaced."""

    def change(xml: str) -> str:
        return f"<!DOCTYPE worksheet [{declarations}]>" + xml.replace(cell_text, replacement)

    return edit_part(data, SHEET, change)


#: Entities that each expand the one before ten times ("billion laughs", here only a thousand).
LAUGHS = (
    '<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
)
#: An entity that would read a file of the server.
EXTERNAL = '<!ENTITY secret SYSTEM "file:///etc/passwd">'
