"""WSGI entry point: gunicorn serves every page and API request with it (scripts/serve.py)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()

# What was loaded so far lives as long as the process: out of the collector's way (config/asgi.py).
gc.collect()  # the garbage of start-up first: frozen objects are never freed
gc.freeze()
