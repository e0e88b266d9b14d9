"""CSV import of contacts (phone, first_name, last_name, sms_consent, tags separated by ;) via contacts_bulk_upsert."""

import csv
import io
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse

from campaigns.admin.csv_downloads import rejected_rows_keep
from campaigns.admin.scoping import merchant_shop_id
from campaigns.models import Shop
from campaigns.services.contacts.upsert import CONSENT_SOURCE_CSV, MAX_BULK_ROWS, contacts_bulk_upsert
from campaigns.services.errors import validation_error_text

TRUE, FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n", ""}


MAX_IMPORT_BYTES = 10 * 1024 * 1024  # about 150,000 contacts; a larger list is split, or sent through the API
_EXTRA_CELLS = "\x00extra"  # DictReader's key for cells beyond the header (no header can be named so)


class ImportForm(forms.Form):
    shop = forms.ModelChoiceField(queryset=Shop.objects.all())
    file = forms.FileField(help_text="CSV with a header: phone, first_name, last_name, sms_consent, tags (a;b). "
                                     f"UTF-8, at most {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(f"The file is {upload.size / 1024 / 1024:.1f} MB; at most "
                                  f"{MAX_IMPORT_BYTES // (1024 * 1024)} MB can be imported at once. Split it.")
        return upload


def _consent(value: str) -> object:
    """yes/no words as booleans; anything else is passed on, and the service rejects it with its reason."""
    word = value.strip().lower()
    return True if word in TRUE else False if word in FALSE else value


class UnreadableCsv(ValueError):
    """The file is no CSV the csv module can read; the message names the line."""


@dataclass
class CsvRows:
    """Contact objects as the API takes them, the CSV line each starts on, and the lines refused already."""

    rows: list[dict] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)


def _contact(line: dict) -> dict:
    line = {(k or "").strip().lower(): (v or "").strip() for k, v in line.items()}
    row = {k: line[k] for k in ("phone", "first_name", "last_name") if k in line}
    if "sms_consent" in line:
        row["sms_consent"] = _consent(line["sms_consent"])
    if line.get("tags"):
        row["tags"] = [tag.strip() for tag in line["tags"].split(";") if tag.strip()]
    return row


def csv_rows(text: str) -> CsvRows:
    """Each CSV record read into a contact object; a record with more cells than the header is rejected with
    its line (the line it ends on). A file the csv module cannot read (a field over its limit) is an
    UnreadableCsv naming the line, raised before anything is imported."""
    parsed = CsvRows()
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey=_EXTRA_CELLS)
    try:
        for line in reader:
            extra = line.pop(_EXTRA_CELLS, None)
            if extra is not None:
                error = f"{len(extra)} more cell(s) than the header has columns."
                phone = (line.get("phone") or "")[:32]
                parsed.rejected.append({"line": reader.line_num, "phone": phone, "error": error})
            else:
                parsed.rows.append(_contact(line))
                parsed.lines.append(reader.line_num)
    except csv.Error as exc:
        line = reader.line_num + 1  # the line being read when it failed
        raise UnreadableCsv(f"Line {line}: the CSV cannot be read ({exc}). Nothing was imported.") from exc
    return parsed


def import_rows(*, shop: Shop, parsed: CsvRows, detail: str = "") -> dict:
    """Upsert in chunks the service accepts, consent changes recorded with source `csv` (who: `detail`).
    Every row of the file is counted once: created, updated, a duplicate (a later row has the same phone,
    in any chunk: the last one is written) or rejected (with its CSV line; header is line 1), so they add up
    to `rows`. `without_consent` (written rows saying no to texts) and `kept_opted_out` (rows asking for
    consent that a reply STOP refused) describe some of the imported ones."""
    report = {"rows": len(parsed.rows) + len(parsed.rejected), "created": 0, "updated": 0, "duplicates": 0,
              "rejected": list(parsed.rejected), "kept_opted_out": 0}
    rows, written, declined = parsed.rows, set(), set()
    for start in range(0, len(rows), MAX_BULK_ROWS):
        result = contacts_bulk_upsert(shop=shop, rows=rows[start:start + MAX_BULK_ROWS], source=CONSENT_SOURCE_CSV,
                                      detail=detail)
        again = len(result.phones & written)  # written by an earlier chunk: updated now, a duplicate in the file
        written |= result.phones
        declined = (declined - result.phones) | result.phones_without_consent  # a phone's last row decides
        report["created"] += result.created
        report["updated"] += result.updated - again
        report["duplicates"] += result.duplicates + again
        report["kept_opted_out"] += result.kept_opted_out
        report["rejected"] += [{**r, "line": parsed.lines[start + r["index"]]} for r in result.rejected]
    report["rejected"].sort(key=lambda r: r["line"])
    report["imported"], report["without_consent"] = report["created"] + report["updated"], len(declined)
    return report


def import_view(model_admin, request):
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    shop_id = merchant_shop_id(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if shop_id is not None:
        form.fields["shop"].queryset = Shop.objects.filter(id=shop_id)
        form.fields["shop"].initial = shop_id
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            text = form.cleaned_data["file"].read().decode("utf-8-sig")
            detail = f"{form.cleaned_data['file'].name} by {request.user.get_username()}"
            report = import_rows(shop=form.cleaned_data["shop"], parsed=csv_rows(text), detail=detail)
            rejected_rows_keep(request, report["rejected"])
        except UnicodeDecodeError as exc:
            form.add_error("file", f"The file is not UTF-8 text (byte {exc.start + 1} is not); save it as "
                                   "CSV UTF-8 and import it again. Nothing was imported.")
        except UnreadableCsv as exc:
            form.add_error("file", str(exc))
        except ValidationError as exc:
            form.add_error("file", validation_error_text(exc))
    context = {**model_admin.admin_site.each_context(request), "form": form, "report": report,
               "opts": model_admin.model._meta, "title": "Import contacts from CSV"}
    return TemplateResponse(request, "admin/campaigns/contact_import.html", context)
