"""JSON answers for paths Django itself cannot route or serve, in the API's error shape."""

from campaigns.api.errors import json_error


def not_found(request, exception=None):
    return json_error("not_found", "No such resource.", 404)


def server_error(request):
    return json_error("server_error", "Internal error; it has been logged.", 500)
