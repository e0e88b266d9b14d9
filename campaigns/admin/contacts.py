"""The contact admin: opt-out state and tags visible, changes through the contact services, CSV import."""

from django.contrib import admin
from django.urls import path

from campaigns.admin.contacts_import import import_view
from campaigns.admin.messages import run_service
from campaigns.admin.scoping import ShopScopedAdmin
from campaigns.models import Contact
from campaigns.services.contacts import contact_update, contact_upsert

EDITED_FIELDS = ("phone", "first_name", "last_name", "sms_consent", "tags")


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
    fields = ("shop", *EDITED_FIELDS, "consent_at", "consent_source", "opted_out_at", "timezone")
    readonly_fields = ("consent_at", "consent_source", "opted_out_at", "timezone")
    show_full_result_count = False
    change_list_template = "admin/campaigns/contact_changelist.html"

    @admin.display(description="tags")
    def tag_list(self, obj):
        return ", ".join(obj.tags or [])

    def save_model(self, request, obj, form, change):
        """Through contact_upsert / contact_update, as the API does; a refusal is shown, nothing saved."""
        data = {name: form.cleaned_data[name] for name in EDITED_FIELDS if name in form.changed_data or not change}
        if change:
            ok = run_service(request, "Save", lambda: contact_update(contact=obj, data=data), "saved.")
        else:
            shop, saved = self.shop_for(request, obj), []
            ok = run_service(request, "Create", lambda: saved.append(contact_upsert(shop=shop, data=data)), "saved.")
            if ok:
                obj.pk, obj._state.adding = saved[0][0].pk, False
        if not ok:
            request.sms_refused = True

    def message_user(self, request, message, *args, **kwargs):
        if not getattr(request, "sms_refused", False):
            super().message_user(request, message, *args, **kwargs)

    def response_add(self, request, obj, post_url_continue=None):
        if obj.pk is None:
            return self.response_post_save_add(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def get_urls(self):
        view = self.admin_site.admin_view(lambda request: import_view(self, request))
        return [path("import/", view, name="campaigns_contact_import"), *super().get_urls()]
