"""The address of the person making a request, for log-in throttling (django-axes) and the
API's request rates (learning/api/throttles.py).

Behind a reverse proxy every request comes from the proxy's address, so locking an address
after a few failed log-ins would lock everyone out at once. With TRUSTED_PROXY_COUNT = n (the
number of proxies in front of the app, 1 for the NGINX of docker-compose.yml), the client is the
n-th address from the right of X-Forwarded-For: each trusted proxy appends the address it got the
request from, so the entries to the left of those are whatever the client chose to send and are
never believed. With no trusted proxy (the default) it is the socket's address, REMOTE_ADDR.
"""

import ipaddress

from django.conf import settings


def client_ip(request):
    remote = request.META.get("REMOTE_ADDR") or None
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < count:
        return remote  # not through the expected proxies: the socket's peer is all we know
    candidate = hops[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote  # a proxy that appends garbage is misconfigured; never key on garbage
