"""Campaign answers and requests. Requests are typed here; the campaign rules (body, sender, audience,
schedule) are the service's."""

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from campaigns.fields import MAX_BODY_LENGTH, MAX_TAG_LENGTH, MAX_TAGS
from campaigns.models import Campaign
from metrics.status import paused_reason

# A name of spaces only is blank once trimmed; the pattern says so in the schema too (minLength counts spaces).
NOT_BLANK = RegexValidator(r"\S", message="Must contain a character other than whitespace.")


class StrictCharField(serializers.CharField):
    """A CharField that takes only JSON strings: a number where text goes is a client's mistake, not text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(
    {"type": "string", "minLength": 1, "maxLength": MAX_BODY_LENGTH, "pattern": NOT_BLANK.regex.pattern}
)
class BodyField(StrictCharField):
    """A campaign body. A blank one is refused by the service as `invalid_body` (API.md), not as a field error,
    so it passes here; the schema still says it must not be blank."""

    def run_validation(self, data=empty):
        if data == "":
            return data
        return super().run_validation(data)


class AudienceSerializer(serializers.Serializer):
    tags = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TAG_LENGTH, validators=[NOT_BLANK]),
        required=False, max_length=MAX_TAGS,
        help_text="Contacts with any of these tags; omit the audience for every consenting contact.",
    )


@extend_schema_field(AudienceSerializer(allow_null=True))
class AudienceField(serializers.JSONField):
    """Any JSON on the way in (the service checks it), documented as its real shape."""


class CampaignSerializer(serializers.ModelSerializer):
    audience = AudienceField(read_only=True)
    pausedReason = serializers.SerializerMethodField(  # noqa: N815
        help_text="why a paused campaign is paused (`merchant`, or `shop_inactive`: its shop is suspended); "
                  "null unless paused"
    )

    class Meta:
        model = Campaign
        fields = [
            "id", "name", "body", "sender", "status", "scheduled_at", "created_at", "encoding", "segments",
            "audience", "pausedReason",
        ]
        read_only_fields = fields
        extra_kwargs = {"segments": {"help_text": (
            "The body's quoted size per message (opt-out language included, each placeholder counted as 10 "
            "characters); each message is charged the segments of its own rendered text."
        )}}

    @extend_schema_field(serializers.ChoiceField(choices=Campaign.PausedReason.choices, allow_null=True))
    def get_pausedReason(self, campaign) -> str | None:  # noqa: N802
        return paused_reason(status=campaign.status, reason=campaign.paused_reason)


class CampaignInputSerializer(serializers.Serializer):
    name = StrictCharField(min_length=1, max_length=200, validators=[NOT_BLANK])
    body = BodyField(
        max_length=MAX_BODY_LENGTH, trim_whitespace=False,
        help_text="May use {{ first_name }} and {{ last_name }}.",
    )
    sender = StrictCharField(
        max_length=16, required=False, allow_blank=True, allow_null=True,
        help_text="One of the shop's registered senders (GET /api/v1/shop `senders`), another is 400 "
                  "invalid_sender; omitted or blank: the shop's default sender.",
    )
    audience = AudienceField(required=False, allow_null=True)
    scheduled_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="In the future: the campaign is scheduled; null: draft."
    )
