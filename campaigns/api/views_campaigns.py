"""Campaign endpoints before sending: create, list, read, change, delete (the last two while draft/scheduled).

The send actions (enqueue, cancel, pause, resume, test, status, recipients) live in their own view modules.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from campaigns.api.schema import BODY_ERRORS, error_responses
from campaigns.api.serializers_campaigns import CampaignInputSerializer, CampaignSerializer
from campaigns.api.views_base import ShopObjectView, ShopScopedView
from campaigns.models import Campaign
from campaigns.services.campaigns import campaign_create, campaign_delete, campaign_update


class CampaignListView(ShopScopedView):
    """The shop's campaigns, newest first, or a new one (`draft`, or `scheduled` with a future `scheduled_at`)."""

    model = Campaign
    serializer_class = CampaignSerializer

    @extend_schema(responses={200: CampaignSerializer(many=True), **error_responses(400)})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CampaignSerializer(page, many=True).data)

    @extend_schema(
        request=CampaignInputSerializer, responses={201: CampaignSerializer, **error_responses(*BODY_ERRORS)}
    )
    def post(self, request):
        data = CampaignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = campaign_create(shop=request.user.shop, data=data.validated_data)
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(responses={200: CampaignSerializer, **error_responses(404)}))
class CampaignDetailView(ShopObjectView):
    """One campaign of the shop; it can be changed or deleted only while `draft` or `scheduled`."""

    model = Campaign
    serializer_class = CampaignSerializer

    @extend_schema(
        request=CampaignInputSerializer,
        responses={200: CampaignSerializer, **error_responses(*BODY_ERRORS, 404, 409)},
    )
    def patch(self, request, pk):
        data = CampaignInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        campaign = campaign_update(campaign=self.get_object(), data=data.validated_data)
        return Response(CampaignSerializer(campaign).data)

    @extend_schema(responses={204: None, **error_responses(404, 409)})
    def delete(self, request, pk):
        campaign_delete(campaign=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
