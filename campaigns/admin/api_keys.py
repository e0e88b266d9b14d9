"""API keys, for superusers only: who holds which key, when it was last used, and revoking one at once."""

from django.contrib import admin, messages

from campaigns.api.auth import api_keys_revoke
from campaigns.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "shop", "name", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("shop",)
    search_fields = ("prefix", "shop__domain", "name")
    fields = ("prefix", "shop", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False  # a key is shown once, when made: `manage.py create_api_key DOMAIN`

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: the row says who held it and when it was last used

    @admin.action(description="Revoke the selected keys now", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = api_keys_revoke(key_ids=list(queryset.values_list("id", flat=True)))
        self.message_user(request, f"Revoked {revoked} key(s); they are refused from now on.", messages.SUCCESS)
