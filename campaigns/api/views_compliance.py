"""Compliance read-outs: a campaign's pre-flight and a contact's consent history. Each view calls one service."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.api.schema import error_responses
from campaigns.api.throttles import PreflightThrottle
from campaigns.services.audience.preflight import campaign_preflight
from campaigns.services.contacts.consent_export import contact_consent_export


class ExcludedSerializer(serializers.Serializer):
    no_consent = serializers.IntegerField(help_text="contacts that never gave consent")
    opted_out = serializers.IntegerField(help_text="contacts that opted out")
    duplicate = serializers.IntegerField(
        help_text="always 0: contacts are unique per shop and phone, recipients per campaign and phone"
    )
    invalid_number = serializers.IntegerField(
        help_text="always 0: a contact's phone is stored only once it is a valid E.164 number"
    )
    frequency_cap = serializers.IntegerField(help_text="contacts messaged within the shop's frequency cap")


class PreflightAnswer(serializers.Serializer):
    ok = serializers.BooleanField()
    campaignId = serializers.IntegerField()  # noqa: N815
    messaged = serializers.IntegerField(help_text="recipients an enqueue now would create")
    excluded = ExcludedSerializer()
    heldQuietHours = serializers.IntegerField(  # noqa: N815
        help_text="of `messaged`, those in their quiet hours right now (local time of the number, or the "
        "contact's zone): held and sent when their window opens, so still inside `messaged` and `creditsNeeded`"
    )
    encoding = serializers.CharField()
    segments = serializers.IntegerField(
        help_text="the body's quoted size per message, opt-out language included, each placeholder counted as "
        "10 characters (not a price: each message costs its own rendered text's segments)"
    )
    creditsNeeded = serializers.IntegerField(  # noqa: N815
        help_text="the sum over `messaged` of the segments of each one's own rendered message (names and opt-out "
        "language): exactly what enqueue would hold and a send without failures debits"
    )
    creditsAvailable = serializers.IntegerField(help_text="the shop's free credits")  # noqa: N815


class ConsentEventSerializer(serializers.Serializer):
    action = serializers.CharField(help_text="granted or withdrawn")
    source = serializers.CharField(help_text="api, csv, admin, sms_reply, …")
    detail = serializers.CharField(help_text="the reply text or consent wording, when known")
    occurredAt = serializers.DateTimeField(source="occurred_at")  # noqa: N815


class ConsentHistoryAnswer(serializers.Serializer):
    contactId = serializers.IntegerField()  # noqa: N815
    phone = serializers.CharField()
    smsConsent = serializers.BooleanField()  # noqa: N815
    optedOutAt = serializers.DateTimeField(allow_null=True)  # noqa: N815
    events = ConsentEventSerializer(many=True)


class PreflightView(APIView):
    """What enqueueing the campaign now would do; throttled per shop (PREFLIGHT_THROTTLE_RATE)."""

    throttle_classes = [PreflightThrottle]

    @extend_schema(
        responses={200: PreflightAnswer, **error_responses(404, 429)},
        summary="What enqueueing the campaign now would do",
    )
    def get(self, request, pk: int):
        result = campaign_preflight(shop=request.user.shop, campaign_id=pk)
        return Response({
            "ok": True, "campaignId": pk, "messaged": result.messaged, "excluded": result.excluded,
            "heldQuietHours": result.held_quiet_hours,
            "encoding": result.encoding, "segments": result.segments, "creditsNeeded": result.credits_needed,
            "creditsAvailable": result.credits_available,
        })


class ContactConsentView(APIView):
    @extend_schema(
        responses={200: ConsentHistoryAnswer, **error_responses(404)}, summary="The contact's consent history (export)"
    )
    def get(self, request, pk: int):
        return Response(contact_consent_export(shop=request.user.shop, contact_id=pk))
