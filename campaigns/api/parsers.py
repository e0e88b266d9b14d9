"""The JSON parser of the API: DRF's, safe against pathological nesting."""

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """Deep nesting makes the json module raise RecursionError, which DRF would let through as a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc
