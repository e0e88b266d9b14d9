from rest_framework import serializers

from campaigns.models import Shop


class ShopSerializer(serializers.ModelSerializer):
    class Meta:
        model = Shop
        fields = ["domain", "name", "credits", "credits_held", "sender"]
        read_only_fields = fields
