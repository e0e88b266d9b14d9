"""CSV import of contacts (phone, first_name, last_name, sms_consent, tags separated by ;) via contacts_bulk_upsert."""

import csv
import io

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse

from campaigns.admin.scoping import merchant_shop_id
from campaigns.models import Shop
from campaigns.services.contacts.upsert import CONSENT_SOURCE_CSV, MAX_BULK_ROWS, contacts_bulk_upsert
from campaigns.services.errors import validation_error_text

TRUE, FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n", ""}


class ImportForm(forms.Form):
    shop = forms.ModelChoiceField(queryset=Shop.objects.all())
    file = forms.FileField(help_text="CSV with a header: phone, first_name, last_name, sms_consent, tags (a;b).")


def _consent(value: str) -> object:
    """yes/no words as booleans; anything else is passed on, and the service rejects it with its reason."""
    word = value.strip().lower()
    return True if word in TRUE else False if word in FALSE else value


def csv_rows(text: str) -> list[dict]:
    """Contact objects as the API takes them, one per CSV line; missing columns are left out."""
    rows = []
    for line in csv.DictReader(io.StringIO(text)):
        line = {(k or "").strip().lower(): (v or "").strip() for k, v in line.items()}
        row = {k: line[k] for k in ("phone", "first_name", "last_name") if k in line}
        if "sms_consent" in line:
            row["sms_consent"] = _consent(line["sms_consent"])
        if line.get("tags"):
            row["tags"] = [tag.strip() for tag in line["tags"].split(";") if tag.strip()]
        rows.append(row)
    return rows


def import_rows(*, shop: Shop, rows: list[dict], detail: str = "") -> dict:
    """Upsert in chunks the service accepts, consent changes recorded with source `csv` (who: `detail`);
    rejected rows carry their CSV line number (header is line 1)."""
    report = {"created": 0, "updated": 0, "rejected": []}
    for start in range(0, len(rows), MAX_BULK_ROWS):
        result = contacts_bulk_upsert(shop=shop, rows=rows[start:start + MAX_BULK_ROWS], source=CONSENT_SOURCE_CSV,
                                      detail=detail)
        report["created"] += result.created
        report["updated"] += result.updated
        report["rejected"] += [{**r, "line": start + r["index"] + 2} for r in result.rejected]
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
            report = import_rows(shop=form.cleaned_data["shop"], rows=csv_rows(text), detail=detail)
        except UnicodeDecodeError:
            form.add_error("file", "The file is not UTF-8 text.")
        except ValidationError as exc:
            form.add_error("file", validation_error_text(exc))
    context = {**model_admin.admin_site.each_context(request), "form": form, "report": report,
               "opts": model_admin.model._meta, "title": "Import contacts from CSV"}
    return TemplateResponse(request, "admin/campaigns/contact_import.html", context)
