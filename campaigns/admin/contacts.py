"""The contact admin: opt-out state, tags and consent history visible, changes through the contact services
(consent changes recorded with source `admin`), CSV import, consent record download."""

from django.contrib import admin, messages
from django.http import Http404
from django.urls import path

from campaigns.admin import contact_display as display
from campaigns.admin.contacts_import import import_view
from campaigns.admin.messages import run_service
from campaigns.admin.scoping import ShopScopedAdmin
from campaigns.models import Contact
from campaigns.services.contacts.upsert import CONSENT_SOURCE_ADMIN, contact_update, contact_upsert

EDITED_FIELDS = ("phone", "first_name", "last_name", "sms_consent", "tags")
CONSENT_RECORD = ("consent_history", "consent_export")


class OptedOutFilter(admin.SimpleListFilter):
    title = "opted out"
    parameter_name = "opted_out"

    def lookups(self, request, model_admin):
        return (("yes", "Opted out"), ("no", "Not opted out"))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(opted_out_at__isnull=self.value() == "no")
        return queryset


@admin.register(Contact)
class ContactAdmin(ShopScopedAdmin):
    list_display = ("phone", "first_name", "last_name", "shop", "sms_consent", "opted_out_at", "tag_list")
    list_filter = ("sms_consent", OptedOutFilter, "shop")
    search_fields = ("phone", "first_name", "last_name")
    fields = ("shop", *EDITED_FIELDS, "consent_at", "consent_source", "opted_out_at", "timezone", *CONSENT_RECORD)
    readonly_fields = ("consent_at", "consent_source", "opted_out_at", "timezone", *CONSENT_RECORD)
    show_full_result_count = False
    change_list_template = "admin/campaigns/contact_changelist.html"

    @admin.display(description="tags")
    def tag_list(self, obj):
        return ", ".join(obj.tags or [])

    @admin.display(description="consent history")
    def consent_history(self, obj):
        return display.consent_history_table(obj)

    @admin.display(description="consent record")
    def consent_export(self, obj):
        return display.consent_export_links(obj)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj else [f for f in fields if f not in CONSENT_RECORD]

    def save_model(self, request, obj, form, change):
        """Through contact_upsert / contact_update, as the API does, a consent change recorded with source
        `admin` and the user's name; a refusal is shown, nothing saved."""
        data = {name: form.cleaned_data[name] for name in EDITED_FIELDS if name in form.changed_data or not change}
        who = {"source": CONSENT_SOURCE_ADMIN, "detail": f"by {request.user.get_username()}"}
        if change:
            saved = []
            ok = run_service(request, "Save", lambda: saved.append(contact_update(contact=obj, data=data, **who)),
                             "saved.")
        else:
            shop, saved = self.shop_for(request, obj), []
            ok = run_service(request, "Create", lambda: saved.append(contact_upsert(shop=shop, data=data, **who)),
                             "saved.")
            if ok:
                obj.pk, obj._state.adding = saved[0].contact.pk, False
        if not ok:
            request.sms_refused = True
        elif saved[0].kept_opted_out:
            messages.warning(request, "The contact replied STOP and stays opted out: only their own START (or a "
                                      "newer Shopify consent) gives consent back.")

    def message_user(self, request, message, *args, **kwargs):
        if not getattr(request, "sms_refused", False):
            super().message_user(request, message, *args, **kwargs)

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            return self.response_post_save_add(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def get_urls(self):
        view = self.admin_site.admin_view(lambda request: import_view(self, request))
        export = self.admin_site.admin_view(self.consent_export_view)
        return [
            path("import/", view, name="campaigns_contact_import"),
            path("<int:contact_id>/consent/", export, name="campaigns_contact_consent"),
            *super().get_urls(),
        ]

    def consent_export_view(self, request, contact_id):
        """The contact's consent record as a download; another shop's contact is not found."""
        contact = self.get_queryset(request).filter(id=contact_id).first()
        if contact is None or not self.has_view_or_change_permission(request, contact):
            raise Http404
        return display.consent_export_response(contact, request.GET.get("format", "json"))
