from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.api.serializers_shop import ShopSerializer


class ShopView(APIView):
    """The calling shop: its balance, held credits and sender."""

    def get(self, request):
        return Response(ShopSerializer(request.user.shop).data)
