from rest_framework import serializers

from campaigns.models import Shop
from campaigns.services.senders import shop_senders


class ShopSerializer(serializers.ModelSerializer):
    senders = serializers.SerializerMethodField(help_text="The sender ids the shop may send from (ops register them).")

    class Meta:
        model = Shop
        fields = ["domain", "name", "credits", "credits_held", "sender", "senders"]
        read_only_fields = fields

    def get_senders(self, shop: Shop) -> list[str]:
        return shop_senders(shop)
