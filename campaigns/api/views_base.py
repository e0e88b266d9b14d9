"""What the object endpoints share: querysets scoped to the calling shop, and reading one object."""

from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response


class OneValuePerParameter:
    """A query parameter given more than once (`?page=1&page=2`, an array) is a 400: every parameter of the
    API takes one value, and silently reading the last would answer a question the client did not ask."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        repeated = sorted(name for name, values in request.query_params.lists() if len(values) > 1)
        if repeated:
            raise ValidationError({name: ["Given more than once; give it once."] for name in repeated})


class ShopScopedView(OneValuePerParameter, generics.GenericAPIView):
    """Objects of `model` that belong to the calling shop, newest first."""

    model = None

    def get_queryset(self):
        return self.model.objects.filter(shop=self.request.user.shop).order_by("-id")


class ShopObjectView(ShopScopedView):
    """One object of the calling shop by id. Another shop's id is a 404 `not_found`, exactly like an id that
    does not exist."""

    def get(self, request, pk):
        return Response(self.get_serializer(self.get_object()).data)
