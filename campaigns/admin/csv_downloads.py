"""CSV files the console hands out: a campaign's recipients, an import's rejected rows, a sample import file.
Cells a spreadsheet would run as a formula are written with a leading `'`."""

import csv
import itertools

from django.http import Http404, StreamingHttpResponse

from campaigns.services.contacts.consent_export import spreadsheet_cell

SAMPLE_IMPORT = [
    ("phone", "first_name", "last_name", "sms_consent", "tags"),
    ("+12125550100", "Alex", "Smith", "yes", "vip;newsletter"),
    ("(212) 555-0101", "Sam", "Jones", "no", ""),
]
REJECTED_SESSION_KEY = "sms_import_rejected"
MAX_REJECTED_KEPT = 10_000


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, rows, *, text_columns: tuple[int, ...] = ()) -> StreamingHttpResponse:
    """Stream `rows` (an iterable of sequences, the header first) as a CSV download; the cells of
    `text_columns` (free text: names, reasons) are never run as a formula."""
    writer = csv.writer(_Echo())
    lines = (writer.writerow([_text(cell, i in text_columns) for i, cell in enumerate(row)]) for row in rows)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _text(cell, free_text: bool) -> str:
    text = "" if cell is None else cell.isoformat() if hasattr(cell, "isoformat") else str(cell)
    return spreadsheet_cell(text) if free_text else text


def sample_import_view(request):
    return csv_response("contacts-sample.csv", SAMPLE_IMPORT)


def rejected_rows_keep(request, rejected: list[dict]) -> None:
    """Keep the last import's rejected rows in the session (never in a URL) for their download."""
    request.session[REJECTED_SESSION_KEY] = [
        [row["line"], row.get("phone", ""), row.get("error", "")] for row in rejected[:MAX_REJECTED_KEPT]]


def rejected_rows_view(request):
    rows = request.session.get(REJECTED_SESSION_KEY)
    if rows is None:
        raise Http404
    return csv_response("contacts-rejected.csv", [("csv_line", "phone", "reason"), *rows], text_columns=(1, 2))


RECIPIENT_COLUMNS = ("phone", "contact__first_name", "contact__last_name", "status", "segments", "sent_at",
                     "delivered_at", "error")


def recipients_csv(queryset, filename: str) -> StreamingHttpResponse:
    """The recipients of `queryset` (already scoped to the merchant's shop), streamed in id order."""
    header = ("phone", "first_name", "last_name", "status", "segments", "sent_at", "delivered_at", "error")
    rows = queryset.order_by("id").values_list(*RECIPIENT_COLUMNS).iterator(chunk_size=2000)
    return csv_response(filename, itertools.chain([header], rows), text_columns=(1, 2, 7))
