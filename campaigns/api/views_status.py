"""Live progress of a campaign: its counters (API.md "status") and its recipients, page by page."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.api.pagination import IdCursorPagination
from campaigns.api.schema import error_responses
from campaigns.api.views_base import OneValuePerParameter
from campaigns.models import Campaign, CampaignRecipient
from campaigns.selectors import NO_SUCH_CAMPAIGN, campaign_of_shop, campaign_status
from campaigns.services.errors import DomainError
from metrics.status import status_cached


def _integers(*names: str) -> dict:
    return {name: serializers.IntegerField() for name in names}


PAUSED_REASON = serializers.ChoiceField(
    choices=Campaign.PausedReason.choices, allow_null=True,
    help_text="why a paused campaign is paused (`shop_inactive`: its shop is suspended); null unless paused",
)

# The status answer's shape, for the schema (the payload itself is built by metrics.status). In "metrics",
# `cancelled` and `held` are extensions of API.md; "campaign" carries `clicks` (human clicks on its short links).
STATUS_SCHEMA = inline_serializer(
    "CampaignStatus",
    fields={
        "campaign": inline_serializer(
            "CampaignStatusCampaign",
            fields={
                "id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "status": serializers.CharField(),
                "pausedReason": PAUSED_REASON,
                **_integers("total", "sent", "delivered", "failed", "processed", "clicks"),
            },
        ),
        "metrics": inline_serializer(
            "CampaignStatusMetrics",
            fields=_integers("queued", "success", "delivered", "processed", "failed", "cancelled", "held"),
        ),
    },
)


class CampaignStatusView(APIView):
    """GET /campaigns/{id}/status: counters only, never a count over recipients; cached briefly."""

    @extend_schema(responses={200: STATUS_SCHEMA, **error_responses(404)})
    def get(self, request, pk: int):
        shop_id = request.user.shop.id
        payload = status_cached(
            shop_id=shop_id, campaign_id=pk, build=lambda: campaign_status(shop_id=shop_id, campaign_id=pk)
        )
        if payload is None:
            raise DomainError("not_found", NO_SUCH_CAMPAIGN)
        return Response(payload)


class RecipientSerializer(serializers.ModelSerializer):
    class Meta:
        model = CampaignRecipient
        fields = ("id", "phone", "status", "error", "mitto_message_id", "sent_at", "delivered_at")


class RecipientFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CampaignRecipient.Status.choices, required=False)


@extend_schema(
    parameters=[RecipientFilterSerializer],
    responses={200: RecipientSerializer(many=True), **error_responses(400, 404)},
)
class CampaignRecipientsView(OneValuePerParameter, ListAPIView):
    """GET /campaigns/{id}/recipients/?status=: the campaign's recipients in id order, cursor-paginated."""

    serializer_class = RecipientSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self):
        filters = RecipientFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        campaign_id = self.kwargs["pk"]
        campaign_of_shop(
            shop_id=self.request.user.shop.id, campaign_id=campaign_id, queryset=Campaign.objects.only("id")
        )
        recipients = CampaignRecipient.objects.filter(campaign_id=campaign_id).only(*RecipientSerializer.Meta.fields)
        if "status" in filters.validated_data:
            recipients = recipients.filter(status=filters.validated_data["status"])
        return recipients
