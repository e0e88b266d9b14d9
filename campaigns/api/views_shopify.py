from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.api.schema import error_responses
from campaigns.services.shopify_sync.status import shopify_status
from campaigns.services.shopify_sync.sync_start import shopify_sync_start

_STATUS = inline_serializer("ShopifyStatus", {
    "connected": serializers.BooleanField(),
    "scopes": serializers.ListField(child=serializers.CharField()),
    "lastSyncAt": serializers.DateTimeField(allow_null=True),
    "sync": inline_serializer("ShopifySync", {
        "state": serializers.ChoiceField(choices=["idle", "running", "done", "failed"]),
        "customersSeen": serializers.IntegerField(), "contactsCreated": serializers.IntegerField(),
        "contactsUpdated": serializers.IntegerField(), "skippedNoPhone": serializers.IntegerField(),
    }),
})


class ShopifyView(APIView):
    """The calling shop's Shopify connection and customer sync progress."""

    @extend_schema(responses={200: _STATUS, **error_responses()})
    def get(self, request):
        return Response(shopify_status(shop=request.user.shop))


class ShopifySyncView(APIView):
    """Start a full re-sync of the calling shop's customers from Shopify (409 `sync_running` while one runs)."""

    @extend_schema(request=None, responses={202: _STATUS, **error_responses(409)})
    def post(self, request):
        shopify_sync_start(shop_id=request.user.shop.pk)
        return Response(shopify_status(shop=request.user.shop), status=202)
