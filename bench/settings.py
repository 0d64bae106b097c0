"""Bench-only settings: production plus ``/bench/minimal/``, the baseline view.

The production settings do not expose the baseline; only the bench's own server processes run
with this module (bench/run.py sets DJANGO_SETTINGS_MODULE=bench.settings).
"""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
