"""WSGI entry point (the bundled launcher wraps it with the per-launch secret check)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djdesk.settings.desktop")

application = get_wsgi_application()
