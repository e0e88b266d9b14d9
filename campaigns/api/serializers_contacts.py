"""Contact answers, and the documented shape of contact requests.

Contact requests are checked by `campaigns.services.contacts.upsert.contact_input_clean` (one rule set for the single
and the bulk endpoint, fast enough for 10,000 rows); the input serializers here describe them in the schema.
"""

from rest_framework import serializers

from campaigns.fields import MAX_TAG_LENGTH, MAX_TAGS
from campaigns.models import Contact
from campaigns.services.contacts.upsert import MAX_BULK_ROWS


class ContactSerializer(serializers.ModelSerializer):
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id", "phone", "first_name", "last_name", "tags", "sms_consent", "consent_at", "consent_source",
            "opted_out_at", "created_at", "updated_at",
        ]
        read_only_fields = fields


class ContactInputSerializer(serializers.Serializer):
    phone = serializers.CharField(help_text="Any common format; national numbers are read in the shop's region.")
    first_name = serializers.CharField(required=False, max_length=100)
    last_name = serializers.CharField(required=False, max_length=100)
    sms_consent = serializers.BooleanField(help_text="true grants consent, false withdraws it (opts out).")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TAG_LENGTH), required=False, max_length=MAX_TAGS
    )


class ContactBulkInputSerializer(serializers.Serializer):
    contacts = serializers.ListField(child=ContactInputSerializer(), max_length=MAX_BULK_ROWS)


class BulkRejectedSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the row in `contacts`.")
    phone = serializers.CharField(help_text="The phone as given (shortened).")
    error = serializers.CharField()


class ContactBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    rejected = BulkRejectedSerializer(many=True)


class ContactFilterSerializer(serializers.Serializer):
    opted_out = serializers.BooleanField(required=False, allow_null=True, default=None)
    tag = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TAG_LENGTH)
