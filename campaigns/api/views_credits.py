"""Buying credits (API.md "Buying credits"): the packs on sale, a pack bought inside Shopify, the purchases."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.api.schema import BODY_ERRORS, error_responses
from campaigns.api.views_base import ShopScopedView
from campaigns.models import CreditPurchase
from campaigns.services.purchases.buy import credit_purchase_start
from campaigns.services.purchases.packs import credit_packs


class PackSerializer(serializers.Serializer):
    credits = serializers.IntegerField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    pricePerCredit = serializers.DecimalField(  # noqa: N815
        source="price_per_credit", max_digits=12, decimal_places=4, coerce_to_string=True)


class PacksAnswer(serializers.Serializer):
    currency = serializers.CharField(help_text="ISO 4217 code of every price (CREDIT_CURRENCY)")
    packs = PackSerializer(many=True, help_text="fewest credits first")


@extend_schema_field({"type": "integer", "enum": [pack.credits for pack in settings.CREDIT_PACKS]})
class PackField(serializers.IntegerField):
    """An integer; one that is no pack on sale is refused by the service as `invalid_pack` (the schema's enum
    lists the packs, read from CREDIT_PACKS at start-up)."""


class PurchaseInput(serializers.Serializer):
    pack = PackField(min_value=1, max_value=2**31 - 1, help_text="the credits of a pack on sale")


class PurchaseStarted(serializers.Serializer):
    purchaseId = serializers.IntegerField()  # noqa: N815
    confirmationUrl = serializers.URLField(help_text="where the merchant approves the charge in Shopify")  # noqa: N815


class PurchaseSerializer(serializers.ModelSerializer):
    createdAt = serializers.DateTimeField(source="created_at")  # noqa: N815
    decidedAt = serializers.DateTimeField(source="decided_at", allow_null=True)  # noqa: N815
    confirmationUrl = serializers.CharField(source="confirmation_url")  # noqa: N815
    price = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)

    class Meta:
        model = CreditPurchase
        fields = ["id", "credits", "price", "currency", "status", "test", "confirmationUrl", "createdAt", "decidedAt"]
        read_only_fields = fields


class CreditPacksView(APIView):
    @extend_schema(responses={200: PacksAnswer, **error_responses()}, summary="The credit packs on sale")
    def get(self, request):
        return Response(PacksAnswer({"currency": settings.CREDIT_CURRENCY, "packs": credit_packs()}).data)


class CreditPurchaseView(APIView):
    @extend_schema(
        request=PurchaseInput,
        responses={201: PurchaseStarted, **error_responses(*BODY_ERRORS, 409, 502)},
        summary="Buy a credit pack inside Shopify: the merchant approves it at confirmationUrl",
    )
    def post(self, request):
        data = PurchaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        purchase = credit_purchase_start(shop=request.user.shop, credits=data.validated_data["pack"])
        return Response({"purchaseId": purchase.pk, "confirmationUrl": purchase.confirmation_url},
                        status=status.HTTP_201_CREATED)


class CreditPurchaseListView(ShopScopedView):
    """The shop's credit purchases and their state, newest first."""

    model = CreditPurchase
    serializer_class = PurchaseSerializer

    @extend_schema(responses={200: PurchaseSerializer(many=True), **error_responses(400)})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PurchaseSerializer(page, many=True).data)
