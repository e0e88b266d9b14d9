"""What the contact page shows of its consent record, and the record's download (JSON as the API, or CSV)."""

from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from campaigns.models import Contact
from campaigns.services.contacts.consent_export import (
    consent_export_csv,
    contact_consent_export,
    contact_consent_history,
)


def consent_history_table(contact: Contact) -> str:
    """The consent events of the contact's phone in its shop, oldest first (`contact_consent_history`)."""
    _, events = contact_consent_history(shop=contact.shop, contact_id=contact.pk)
    if not events:
        return "No consent recorded."
    rows = ((e["action"], e["source"], e["detail"], timezone.localtime(e["occurred_at"]).isoformat(" ", "seconds"))
            for e in events)
    return format_html(
        '<table class="sms-consent-history"><tr><th>action</th><th>source</th><th>detail</th><th>time</th></tr>'
        "{}</table>",
        format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
    )


def consent_export_links(contact: Contact) -> str:
    url = reverse("admin:campaigns_contact_consent", args=[contact.pk])
    return format_html('<a href="{}?format=json">Download JSON</a> · <a href="{}?format=csv">Download CSV</a>',
                       url, url)


def consent_export_response(contact: Contact, fmt: str) -> HttpResponse:
    """The contact's consent record as a file: the API's JSON (`?format=json`, the default) or CSV."""
    export = contact_consent_export(shop=contact.shop, contact_id=contact.pk)
    name = f"consent-{contact.phone.lstrip('+')}"
    if fmt == "csv":
        response = HttpResponse(consent_export_csv(export), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    response = JsonResponse(export)
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response
