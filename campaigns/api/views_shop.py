from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.api.schema import error_responses
from campaigns.api.serializers_shop import ShopSerializer


class ShopView(APIView):
    """The calling shop: its balance, held credits and sender."""

    @extend_schema(responses={200: ShopSerializer, **error_responses()})
    def get(self, request):
        return Response(ShopSerializer(request.user.shop).data)
