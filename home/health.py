"""Liveness and readiness probes for load balancers and orchestrators.

``/healthz``: the process answers (no dependency is touched).
``/readyz``: the database, the cache and the channel layer are reachable; 503 with the name of
whatever failed otherwise. Neither says anything about versions, hosts or secrets.

Probes come from inside the network (a container's HEALTHCHECK asks 127.0.0.1, a load balancer
its own address), with a Host header that ALLOWED_HOSTS need not list, and over plain HTTP:
ProbeMiddleware, first in the list, answers them before Django's host check and the HTTPS
redirect could refuse them. They read nothing from the request.
"""

import asyncio
import logging
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)
CHECK_TIMEOUT = 2.0


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def check_cache():
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "ok", 10)
    found = cache.get(key) == "ok"
    cache.delete(key)
    return found


async def _channel_round_trip():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "readyz"})
    message = await asyncio.wait_for(layer.receive(channel), CHECK_TIMEOUT)
    return message.get("type") == "readyz"


def check_channel_layer():
    return async_to_sync(_channel_round_trip)()


CHECKS = {"database": check_database, "cache": check_cache, "channel_layer": check_channel_layer}


@never_cache
@require_GET
def readyz(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = "ok" if check() else "failing"
        except Exception:
            logger.warning("Readiness check %s failed", name, exc_info=True)
            results[name] = "failing"
    ready = all(state == "ok" for state in results.values())
    return JsonResponse(
        {"status": "ok" if ready else "failing", "checks": results}, status=200 if ready else 503
    )


class ProbeMiddleware:
    VIEWS = {"/healthz": healthz, "/readyz": readyz}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = self.VIEWS.get(request.path_info)
        if view is not None:
            return view(request)
        return self.get_response(request)
