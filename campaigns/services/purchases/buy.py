"""A credit pack bought inside Shopify: the purchase row and Shopify's one-time purchase made together."""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from campaigns.models import CreditPurchase, Shop, ShopifyInstall
from campaigns.services.errors import DomainError
from campaigns.services.purchases.packs import credit_pack
from campaigns.services.shopify_sync.install import shopify_client
from shopify import admin
from shopify.errors import AuthError, ShopifyError

logger = logging.getLogger(__name__)


def purchase_name(credits: int) -> str:
    """What the merchant sees on Shopify's confirmation page and invoice."""
    return f"{credits:,} SMS credits"


def purchase_return_url(purchase_id: int) -> str:
    """Where Shopify sends the merchant back (adding `charge_id`) after approving or declining."""
    return settings.SHOPIFY_APP_URL + reverse("shopify-purchase-return", args=[purchase_id])


def credit_purchase_start(*, shop: Shop, credits: int) -> CreditPurchase:
    """Start buying the pack of `credits` for `shop`: a `pending` CreditPurchase and Shopify's
    `appPurchaseOneTimeCreate` (a test charge on a development store or when SHOPIFY_TEST_CHARGES is set), the
    row committed only with Shopify's purchase id and confirmation URL: when Shopify fails, nothing is written.

    DomainError `invalid_pack` (no such pack), `not_installed` (not installed from Shopify, or its token is
    refused), `shopify_error` (Shopify refused or did not answer)."""
    pack = credit_pack(credits=credits)
    install = ShopifyInstall.objects.select_related("shop").filter(shop_id=shop.pk).first()
    if install is None or not install.connected:
        raise DomainError("not_installed", f"{shop.domain} is not installed from Shopify: credits are bought there.")
    try:
        client = shopify_client(install=install)
        test = settings.SHOPIFY_TEST_CHARGES or admin.shop_is_development(client)
        with transaction.atomic():
            purchase = CreditPurchase.objects.create(shop=shop, credits=pack.credits, price=pack.price,
                                                     currency=settings.CREDIT_CURRENCY, test=test)
            created = admin.purchase_create(client, name=purchase_name(pack.credits), amount=pack.price,
                                            currency=settings.CREDIT_CURRENCY,
                                            return_url=purchase_return_url(purchase.pk), test=test)
            if len(created.purchase_id) > 100 or len(created.confirmation_url) > 2000:
                raise ShopifyError("appPurchaseOneTimeCreate answered an id or confirmationUrl too long to keep")
            purchase.shopify_id, purchase.confirmation_url = created.purchase_id, created.confirmation_url
            purchase.save(update_fields=["shopify_id", "confirmation_url"])
    except IntegrityError as exc:
        logger.error("Shopify answered %s a purchase id already recorded for it", shop.domain)
        raise DomainError("shopify_error", "Shopify answered a purchase id already recorded; nothing was charged.") \
            from exc
    except AuthError as exc:
        logger.warning("Shopify refused the token of %s while buying credits: %s", shop.domain, exc)
        raise DomainError("not_installed", f"Shopify refused {shop.domain}'s access token: install the app again.") \
            from exc
    except ShopifyError as exc:
        logger.warning("Buying %s credits for %s failed at Shopify: %s", credits, shop.domain, exc)
        raise DomainError("shopify_error", f"Shopify did not create the purchase ({exc}); nothing was charged.") \
            from exc
    logger.info("Credit purchase %s (%s credits) of %s created in Shopify", purchase.pk, credits, shop.domain)
    return purchase
