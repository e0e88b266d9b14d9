"""The web process's entry point. The URLconf (and so every view module) is loaded here rather than at the
first request, so what it imports is frozen with the rest (config.runtime)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

import config.urls  # noqa: E402,F401  (needs the settings and apps loaded above)
from config.runtime import freeze_startup_objects  # noqa: E402

freeze_startup_objects()
