"""WSGI entry point for production servers (gunicorn pubcredit.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pubcredit.settings")
application = get_wsgi_application()
