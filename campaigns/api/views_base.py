"""What the object endpoints share: querysets scoped to the calling shop, and reading one object."""

from rest_framework import generics
from rest_framework.response import Response


class ShopScopedView(generics.GenericAPIView):
    """Objects of `model` that belong to the calling shop, newest first."""

    model = None

    def get_queryset(self):
        return self.model.objects.filter(shop=self.request.user.shop).order_by("-id")


class ShopObjectView(ShopScopedView):
    """One object of the calling shop by id. Another shop's id is a 404 `not_found`, exactly like an id that
    does not exist."""

    def get(self, request, pk):
        return Response(self.get_serializer(self.get_object()).data)
