"""Request rates for the API: anonymous clients counted by address, signed-in ones by account.

Django REST framework's throttles, with two changes on its public methods: the rate is read
from the settings on every request (``API_RATE_ANONYMOUS``, ``API_RATE_USER``; empty turns a
limit off), and the address is the one the log-in throttling believes (core.client_ip: the
socket's peer, or the n-th X-Forwarded-For entry behind TRUSTED_PROXY_COUNT proxies), never an
X-Forwarded-For a client chose, which DRF's own would read without ``NUM_PROXIES``. Counts live
in the cache; a cache that cannot be reached counts nothing and refuses nothing. A refused
request gets 429 with ``Retry-After`` and ``{"message": ...}`` (core.errors).
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from core.client_ip import client_ip


class ClientAddress:
    def get_ident(self, request):
        return client_ip(request) or "unknown"


class AnonymousRate(ClientAddress, AnonRateThrottle):
    def get_rate(self):
        return settings.API_RATE_ANONYMOUS or None


class UserRate(UserRateThrottle):
    def get_rate(self):
        return settings.API_RATE_USER or None

    def get_cache_key(self, request, view):
        """Signed-in clients only (DRF's would count anonymous ones too): None is no limit."""
        if not request.user or not request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)
