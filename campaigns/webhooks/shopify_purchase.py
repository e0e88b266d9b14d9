"""GET /shopify/purchases/{id}/return?charge_id=…: Shopify sends the merchant back here after approving or
declining a credit pack. The purchase is checked with the Admin API (never trusted from the query), then the
merchant lands on the admin's "Buy credits" page showing it."""

from django.http import HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from campaigns.api.errors import json_error
from campaigns.services.errors import DomainError
from campaigns.services.purchases.settle import credit_purchase_returned


@require_GET
def purchase_return(request, purchase_id: int):
    try:
        purchase = credit_purchase_returned(purchase_id=purchase_id, charge_id=request.GET.get("charge_id", ""))
    except DomainError as exc:
        return json_error(exc.reason, exc.detail, 404)
    return HttpResponseRedirect(f"{reverse('admin:campaigns_creditpurchase_buy')}?purchase={purchase.pk}")
