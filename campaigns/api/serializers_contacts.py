"""Contact answers, and the documented shape of contact requests.

Contact requests are checked by `campaigns.services.contacts.upsert.contact_input_clean` (one rule set for the single
and the bulk endpoint, fast enough for 10,000 rows); the input serializers here describe them in the schema.
"""

from rest_framework import serializers

from campaigns.api.serializers_campaigns import NOT_BLANK
from campaigns.fields import MAX_TAG_LENGTH, MAX_TAGS
from campaigns.models import Contact
from campaigns.phones import MAX_INPUT_LENGTH as MAX_PHONE_INPUT_LENGTH
from campaigns.services.contacts.consent import REPLY_SOURCE
from campaigns.services.contacts.upsert import MAX_BULK_ROWS


class ContactSerializer(serializers.ModelSerializer):
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    opted_out_by = serializers.SerializerMethodField(
        help_text='"sms_reply" while the contact is opted out by its own STOP reply: a write saying sms_consent '
                  "true leaves it opted out (only a START reply, or a newer Shopify consent, gives consent back)."
    )

    class Meta:
        model = Contact
        fields = [
            "id", "phone", "first_name", "last_name", "tags", "sms_consent", "consent_at", "consent_source",
            "opted_out_at", "opted_out_by", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_opted_out_by(self, contact: Contact) -> str | None:
        return REPLY_SOURCE if contact.reply_opted_out_at else None


class ContactInputSerializer(serializers.Serializer):
    phone = serializers.CharField(
        min_length=1, max_length=MAX_PHONE_INPUT_LENGTH, validators=[NOT_BLANK],
        help_text="Any common format; national numbers are read in the shop's region.",
    )
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    sms_consent = serializers.BooleanField(help_text="true grants consent, false withdraws it (opts out).")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TAG_LENGTH, validators=[NOT_BLANK]), required=False,
        max_length=MAX_TAGS,
    )


class ContactBulkInputSerializer(serializers.Serializer):
    contacts = serializers.ListField(
        child=serializers.JSONField(), max_length=MAX_BULK_ROWS,
        help_text="Each item a contact as POST /contacts/ takes it (ContactInput). An item that is not one is "
        "answered in `rejected` with its index, and the valid ones are kept.",
    )


class BulkRejectedSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the row in `contacts`.")
    phone = serializers.CharField(help_text="The phone as given (shortened).")
    error = serializers.CharField()


class ContactBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    kept_opted_out = serializers.IntegerField(
        help_text="Valid rows saying sms_consent true for a contact that replied STOP: kept opted out."
    )
    rejected = BulkRejectedSerializer(many=True)


class ContactFilterSerializer(serializers.Serializer):
    opted_out = serializers.BooleanField(required=False, allow_null=True, default=None)
    tag = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TAG_LENGTH)
