"""Credits in the admin: the merchant's "Buy credits" page (packs bought inside Shopify) and purchase history, and
the superuser's "Add credits" action on shops (a `topup`, as `manage.py add_credits`)."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from campaigns.admin.messages import run_service
from campaigns.admin.scoping import ReadOnlyAdmin, merchant_shop
from campaigns.models import CreditPurchase
from campaigns.services.errors import DomainError
from campaigns.services.purchases.buy import credit_purchase_start
from campaigns.services.purchases.packs import credit_packs
from campaigns.services.shops import MAX_CREDITS, shop_credits_add

HISTORY_ROWS = 20


class AddCreditsForm(forms.Form):
    credits = forms.IntegerField(min_value=1, max_value=MAX_CREDITS, help_text="Credits to add to each shop.")
    note = forms.CharField(max_length=200, required=False, help_text="Why (kept in the ledger).")


@admin.action(description="Add credits (top-up)")
def add_credits(modeladmin, request, queryset):
    """An intermediate page asks how many; each selected shop gets a `topup` when that form is posted."""
    if not request.user.is_superuser:
        messages.error(request, "Only a superuser adds credits.")
        return None
    form = AddCreditsForm(request.POST if "credits" in request.POST else None)
    if form.is_bound and form.is_valid():
        amount, note = form.cleaned_data["credits"], form.cleaned_data["note"]
        for shop in queryset:
            run_service(request, f"Add {amount} credits to {shop.domain}",
                        lambda s=shop: shop_credits_add(domain=s.domain, amount=amount, note=note), "done.")
        return None
    context = {**modeladmin.admin_site.each_context(request), "form": form, "shops": queryset,
               "opts": modeladmin.model._meta, "action": "add_credits", "title": "Add credits"}
    return TemplateResponse(request, "admin/campaigns/add_credits.html", context)


@admin.register(CreditPurchase)
class CreditPurchaseAdmin(ReadOnlyAdmin):
    """The purchase history; "Buy credits" is a page of its own (`buy/`)."""

    list_display = ("created_at", "shop", "credits", "price", "currency", "status", "test", "decided_at")
    list_filter = ("status", "shop")
    ordering = ("-id",)
    change_list_template = "admin/campaigns/creditpurchase_changelist.html"

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or merchant_shop(request) is not None

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def get_urls(self):
        return [path("buy/", self.admin_site.admin_view(self.buy_view), name="campaigns_creditpurchase_buy"),
                *super().get_urls()]

    def buy_view(self, request):
        """GET: packs, price per credit, balance and held credits, recent purchases. POST `pack`: the purchase
        is created in Shopify and the merchant sent to approve it there."""
        if not self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        shop = merchant_shop(request)
        if request.method == "POST":
            return self._buy(request, shop)
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET", "POST"])
        shown = request.GET.get("purchase", "")
        purchases = CreditPurchase.objects.filter(shop=shop).order_by("-id")[:HISTORY_ROWS] if shop else []
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "Buy credits",
                   "shop": shop, "packs": credit_packs(), "currency": settings.CREDIT_CURRENCY,
                   "purchases": purchases,
                   "returned": next((p for p in purchases if str(p.pk) == shown), None)}
        return TemplateResponse(request, "admin/campaigns/buy_credits.html", context)

    def _buy(self, request, shop):
        here = reverse("admin:campaigns_creditpurchase_buy")
        if shop is None:
            messages.error(request, "Credits are bought by a shop's merchant: sign in as one.")
            return HttpResponseRedirect(here)
        try:
            credits = int(request.POST.get("pack", ""))
            purchase = credit_purchase_start(shop=shop, credits=credits)
        except ValueError:
            messages.error(request, "Choose one of the packs.")
            return HttpResponseRedirect(here)
        except DomainError as exc:
            messages.error(request, f"Buying credits: refused ({exc.reason}) — {exc.detail}")
            return HttpResponseRedirect(here)
        return HttpResponseRedirect(purchase.confirmation_url)
