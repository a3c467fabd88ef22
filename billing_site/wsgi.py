"""The WSGI application gunicorn serves. It refuses to start while the settings name a reason not to serve
(debug off without a strong secret key or without allowed hosts: ``SETTINGS_PROBLEMS``)."""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_site.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (after the application set Django up)

if settings.SETTINGS_PROBLEMS:
    raise ImproperlyConfigured(" ".join(settings.SETTINGS_PROBLEMS))
