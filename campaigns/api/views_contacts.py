"""Contacts endpoints: upsert one, upsert in bulk, list with filters, read, change, delete."""

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.api.pagination import IdCursorPagination
from campaigns.api.schema import BODY_ERRORS, error_responses
from campaigns.api.serializers_contacts import (
    ContactBulkInputSerializer,
    ContactBulkResultSerializer,
    ContactFilterSerializer,
    ContactInputSerializer,
    ContactSerializer,
)
from campaigns.api.views_base import ShopObjectView, ShopScopedView
from campaigns.models import Contact
from campaigns.selectors import contact_list
from campaigns.services.contacts.upsert import contact_update, contact_upsert, contacts_bulk_upsert


class ContactListView(ShopScopedView):
    """The shop's contacts: list them (filters `opted_out`, `tag`), or upsert one on its normalised phone."""

    model = Contact
    serializer_class = ContactSerializer
    pagination_class = IdCursorPagination

    @extend_schema(
        parameters=[ContactFilterSerializer],
        responses={200: ContactSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        filters = ContactFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(contact_list(shop=request.user.shop, **filters.validated_data))
        return self.get_paginated_response(ContactSerializer(page, many=True).data)

    @extend_schema(
        request=ContactInputSerializer,
        responses={
            201: OpenApiResponse(ContactSerializer, description="Created."),
            200: OpenApiResponse(ContactSerializer, description="Updated: the shop had a contact with this phone."),
            **error_responses(*BODY_ERRORS),
        },
    )
    def post(self, request):
        written = contact_upsert(shop=request.user.shop, data=request.data)
        answer = status.HTTP_201_CREATED if written.created else status.HTTP_200_OK
        return Response(ContactSerializer(written.contact).data, status=answer)


class ContactBulkView(APIView):
    """Upsert up to 10,000 contacts; valid rows are kept, the others are reported with their index."""

    @property
    def max_body_bytes(self) -> int:
        return settings.API_BULK_BODY_MAX_BYTES

    @extend_schema(
        request=ContactBulkInputSerializer,
        responses={200: ContactBulkResultSerializer, **error_responses(*BODY_ERRORS)},
    )
    def post(self, request):
        contacts = request.data.get("contacts") if isinstance(request.data, dict) else None
        result = contacts_bulk_upsert(shop=request.user.shop, rows=contacts)
        return Response(ContactBulkResultSerializer(result).data)


@extend_schema_view(get=extend_schema(responses={200: ContactSerializer, **error_responses(404)}))
class ContactDetailView(ShopObjectView):
    """One contact of the shop."""

    model = Contact
    serializer_class = ContactSerializer

    @extend_schema(
        request=ContactInputSerializer, responses={200: ContactSerializer, **error_responses(*BODY_ERRORS, 404)}
    )
    def patch(self, request, pk):
        written = contact_update(contact=self.get_object(), data=request.data)
        return Response(ContactSerializer(written.contact).data)

    @extend_schema(responses={204: None, **error_responses(404)})
    def delete(self, request, pk):
        self.get_object().delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
