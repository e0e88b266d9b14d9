"""Shop scoping: a merchant (staff user with a ShopMembership) sees and changes only their shop's rows."""

from django.contrib import admin
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from campaigns.models import Shop, ShopMembership


def merchant_shop_id(request) -> int | None:
    """The shop a merchant belongs to; None for a superuser (who sees every shop) or a user of no shop."""
    if request.user.is_superuser:
        return None
    membership = ShopMembership.objects.filter(user_id=request.user.pk).only("shop_id").first()
    return membership.shop_id if membership else 0


def merchant_shop(request) -> Shop | None:
    shop_id = merchant_shop_id(request)
    return Shop.objects.filter(id=shop_id).first() if shop_id else None


def shop_lookup(model, shop_id: int) -> dict:
    """The filter keeping `model`'s rows of one shop (through its campaign when it has no shop of its own)."""
    if model is Shop:
        return {"id": shop_id}
    names = {f.name for f in model._meta.get_fields()}
    return {"shop_id": shop_id} if "shop" in names else {"campaign__shop_id": shop_id}


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows (a bounded subquery), so a million-row list never runs a full COUNT(*)."""

    CAP = 10_000

    @cached_property
    def count(self):
        return self.object_list.order_by().values("pk")[: self.CAP].count()


class ScopedFilter(admin.RelatedFieldListFilter):
    """A foreign-key filter offering only the merchant's shop's objects."""

    def field_choices(self, field, request, model_admin):
        shop_id = merchant_shop_id(request)
        if shop_id is None:
            return super().field_choices(field, request, model_admin)
        return field.get_choices(include_blank=False, limit_choices_to=shop_lookup(field.related_model, shop_id))


class ShopScopedAdmin(admin.ModelAdmin):
    """Querysets, foreign-key choices, filters and new rows limited to the merchant's shop.

    `shop_path` is the lookup from the model to its shop id. Objects of another shop are simply not in the
    queryset, so opening them by URL answers as Django does for a missing object.
    """

    shop_path = "shop_id"
    superuser_only_fields = ("shop",)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        shop_id = merchant_shop_id(request)
        return queryset if shop_id is None else queryset.filter(**{self.shop_path: shop_id})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        shop_id = merchant_shop_id(request)
        if shop_id is not None:
            model = db_field.related_model
            kwargs["queryset"] = model.objects.filter(**shop_lookup(model, shop_id))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if merchant_shop_id(request) is None:
            return filters
        return [f for f in filters if f not in self.superuser_only_fields]

    def get_list_display(self, request):
        display = super().get_list_display(request)
        if merchant_shop_id(request) is None:
            return display
        return [f for f in display if f not in self.superuser_only_fields]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if merchant_shop_id(request) is None:
            return fields
        return [f for f in fields if f not in self.superuser_only_fields]

    def get_exclude(self, request, obj=None):
        if merchant_shop_id(request) is None:
            return super().get_exclude(request, obj)
        return [*(super().get_exclude(request, obj) or ()), *self.superuser_only_fields]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if merchant_shop_id(request) is None:
            return fields
        return [f for f in fields if f not in self.superuser_only_fields]

    def shop_for(self, request, obj):
        """The shop a new or changed object belongs to: the merchant's own, or the one a superuser chose."""
        shop_id = merchant_shop_id(request)
        return Shop.objects.get(id=shop_id) if shop_id else obj.shop


class ReadOnlyAdmin(ShopScopedAdmin):
    """Listed and opened, never added, changed or deleted from the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
