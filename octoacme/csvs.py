"""CSV downloads made safe for spreadsheets and readable in Excel.

Text that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
return) gets a leading apostrophe, so a cell typed as `=HYPERLINK(...)` shows as text.
"""

from __future__ import annotations

from django.http import HttpResponse, StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a CSV without it as the local 8-bit code page and garbles accented names.
BOM = "\ufeff"
CONTENT_TYPE = "text/csv; charset=utf-8"


def safe(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def attachment(response: HttpResponse | StreamingHttpResponse, filename: str) -> None:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'


class Line:
    """csv.writer's file: hands back each line instead of keeping it."""

    def write(self, line: str) -> str:
        return line
