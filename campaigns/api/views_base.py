"""What every object endpoint shares: querysets scoped to the calling shop."""

from rest_framework import generics


class ShopScopedView(generics.GenericAPIView):
    """Objects of `model` that belong to the calling shop; any other id is a 404 `not_found`, exactly like an id
    that does not exist."""

    model = None

    def get_queryset(self):
        return self.model.objects.filter(shop=self.request.user.shop).order_by("-id")
