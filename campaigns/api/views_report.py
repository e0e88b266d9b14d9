"""The campaign report (API.md `GET /campaigns/{id}/report`): the funnel and what the campaign earned."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.api.schema import error_responses
from campaigns.selectors import NO_SUCH_CAMPAIGN
from campaigns.services.errors import DomainError
from campaigns.services.links.report import campaign_report

_MONEY = serializers.RegexField(r"^-?\d+\.\d{2}$", help_text="a decimal amount in the currency, as a string")

REPORT_SCHEMA = inline_serializer(
    "CampaignReport",
    fields={
        "campaignId": serializers.IntegerField(),
        "sent": serializers.IntegerField(min_value=0),
        "delivered": serializers.IntegerField(min_value=0),
        "failed": serializers.IntegerField(min_value=0),
        "clicks": serializers.IntegerField(min_value=0, help_text="human clicks on the campaign's short links"),
        "uniqueClicks": serializers.IntegerField(min_value=0, help_text="recipients who clicked"),
        "botClicks": serializers.IntegerField(min_value=0, help_text="link previewers' and scanners' clicks"),
        "ctr": serializers.FloatField(min_value=0, help_text="uniqueClicks per message sent"),
        "orders": inline_serializer("CampaignReportOrders", fields={
            "click": serializers.IntegerField(min_value=0),
            "receive": serializers.IntegerField(min_value=0),
            "total": serializers.IntegerField(min_value=0),
        }),
        "revenue": serializers.DictField(
            help_text="per currency (ISO 4217 code): click- and receive-attributed revenue and their total",
            child=inline_serializer("CampaignReportRevenue", fields={
                "click": _MONEY, "receive": _MONEY, "total": _MONEY,
            }),
        ),
        "creditsUsed": serializers.IntegerField(help_text="credits debited for the campaign's messages, less refunds"),
        "revenuePerMessage": serializers.DictField(
            child=serializers.RegexField(r"^-?\d+\.\d{4}$"), help_text="per currency: revenue per message sent",
        ),
    },
)


class CampaignReportView(APIView):
    """GET /campaigns/{id}/report: counters only (sends, clicks, attributed orders), never a count over recipients."""

    @extend_schema(responses={200: REPORT_SCHEMA, **error_responses(404)})
    def get(self, request, pk: int):
        report = campaign_report(shop_id=request.user.shop.id, campaign_id=pk)
        if report is None:
            raise DomainError("not_found", NO_SUCH_CAMPAIGN)
        return Response(report)
