"""Keyset (cursor) pages by id: page 2,000 costs what page 1 does, and no page counts the whole table.

A cursor is opaque: one the server did not issue (garbage, a forged position, an offset past the cutoff) is
a 400 `invalid_cursor`, never a 404 and never a query error.
"""

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

from campaigns.services.errors import DomainError

# Ids are PostgreSQL bigint: a position outside it would be an out-of-range query error.
_MAX_ID = 2**63 - 1
INVALID_CURSOR = "The cursor was not issued by this server; start again from the first page."


def _invalid_cursor(cause: Exception | None = None) -> DomainError:
    error = DomainError("invalid_cursor", INVALID_CURSOR)
    error.__cause__ = cause
    return error


def _is_number(text: str, *, digits: int) -> bool:
    """ASCII digits only, at most `digits` of them (int() of thousands of digits is itself an error)."""
    return text.isascii() and text.isdigit() and len(text) <= digits


class IdCursorPagination(CursorPagination):
    """Pages of objects ordered by id (`ordering`), `page_size` per page (at most `max_page_size`)."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not (_is_number(value, digits=len(str(self.max_page_size))) and 1 <= int(value) <= self.max_page_size):
            raise ValidationError({self.page_size_query_param: [f"An integer from 1 to {self.max_page_size}."]})
        return int(value)

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise _invalid_cursor(exc) from exc
        if cursor is not None and cursor.position is not None:
            position = cursor.position
            if not (_is_number(position, digits=len(str(_MAX_ID))) and int(position) <= _MAX_ID):
                raise _invalid_cursor()
        return cursor

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters


class NewestFirstPagination(IdCursorPagination):
    """Newest objects first (highest id), as the list endpoints show them."""

    ordering = "-id"

