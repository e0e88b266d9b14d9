"""Sending a campaign: enqueue, cancel, pause, resume, test send. Each view calls one service."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.api.schema import BODY_ERRORS, error_responses
from campaigns.api.serializers_campaigns import NOT_BLANK
from campaigns.api.throttles import EnqueueThrottle, TestSendThrottle
from campaigns.phones import MAX_INPUT_LENGTH as MAX_PHONE_INPUT_LENGTH
from campaigns.services.sending.enqueue import campaign_enqueue
from campaigns.services.sending.lifecycle import campaign_cancel, campaign_pause, campaign_resume
from campaigns.services.sending.one_off import campaign_test_send


class EnqueueAnswer(serializers.Serializer):
    ok = serializers.BooleanField()
    created = serializers.IntegerField(help_text="recipients materialised")
    enqueuedJobs = serializers.IntegerField(help_text="batches (bulk requests) queued")  # noqa: N815
    skippedFrequencyCap = serializers.IntegerField(  # noqa: N815
        help_text="audience contacts skipped: messaged within the shop's frequency cap"
    )
    campaignId = serializers.IntegerField()  # noqa: N815


class StatusAnswer(serializers.Serializer):
    ok = serializers.BooleanField()
    status = serializers.CharField(help_text="the campaign's status after the change")


class TestSendSerializer(serializers.Serializer):
    phone = serializers.CharField(min_length=1, max_length=MAX_PHONE_INPUT_LENGTH, validators=[NOT_BLANK])


class TestSendAnswer(serializers.Serializer):
    ok = serializers.BooleanField()
    status = serializers.CharField()
    phone = serializers.CharField(help_text="the number in E.164 form")
    messageId = serializers.CharField(allow_null=True)  # noqa: N815


class EnqueueView(APIView):
    throttle_classes = [EnqueueThrottle]

    @extend_schema(
        request=None, responses={202: EnqueueAnswer, **error_responses(400, 402, 403, 404, 409, 429)},
        summary="Materialise the recipients and queue the batches of a draft or scheduled campaign",
    )
    def post(self, request, pk: int):
        result = campaign_enqueue(shop=request.user.shop, campaign_id=pk)
        body = {
            "ok": True, "created": result.created, "enqueuedJobs": result.batches, "campaignId": pk,
            "skippedFrequencyCap": result.skipped_frequency_cap,
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


class _StatusChangeView(APIView):
    service = None

    @extend_schema(request=None, responses={200: StatusAnswer, **error_responses(403, 404, 409)})
    def post(self, request, pk: int):
        campaign = type(self).service(shop=request.user.shop, campaign_id=pk)
        return Response({"ok": True, "status": campaign.status})


class CancelView(_StatusChangeView):
    service = campaign_cancel


class PauseView(_StatusChangeView):
    service = campaign_pause


class ResumeView(_StatusChangeView):
    service = campaign_resume

    @extend_schema(request=None, responses={200: StatusAnswer, **error_responses(403, 404, 409)})
    def post(self, request, pk: int):
        return super().post(request, pk)


class TestSendView(APIView):
    throttle_classes = [TestSendThrottle]

    @extend_schema(
        request=TestSendSerializer,
        responses={200: TestSendAnswer, **error_responses(*BODY_ERRORS, 402, 403, 404, 409, 429, 502)},
        summary="Send the campaign's text to one number now (names from the shop's contact with that number, "
                "else sample names)",
    )
    def post(self, request, pk: int):
        serializer = TestSendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        log = campaign_test_send(shop=request.user.shop, campaign_id=pk, phone=serializer.validated_data["phone"]).log
        return Response({"ok": True, "status": log.status, "phone": log.phone, "messageId": log.mitto_message_id})
