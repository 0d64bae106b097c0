"""The CSRF token of the site's forms, masked with one system call instead of 32.

Django masks the visitor's CSRF secret afresh for every page (so that a compressed HTTPS
response cannot leak it: BREACH), and draws its 32-character mask one character, and one
``os.urandom`` call, at a time: on a logged-in page, whose header holds the log-out form, that
was a tenth of the page's Python work. ``masked_token`` makes the same token, in Django's
format (the mask, then the secret shifted by it, both from ``CSRF_ALLOWED_CHARS``), from one
draw of random bytes: ``CsrfViewMiddleware`` checks it like its own. The context processor
``csrf`` puts it where ``{% csrf_token %}`` reads it, in place of Django's (context processors
listed in the settings run after Django's built-in one).
"""

import secrets

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.utils.functional import SimpleLazyObject

_CHARS = CSRF_ALLOWED_CHARS
_INDEX = {char: index for index, char in enumerate(_CHARS)}
# Bytes below this map evenly onto the characters (62 × 4 = 248); the rest are drawn again.
_EVEN = 256 - 256 % len(_CHARS)


def _mask():
    """CSRF_SECRET_LENGTH characters of ``_CHARS``, each as likely as the others."""
    mask = []
    while len(mask) < CSRF_SECRET_LENGTH:
        mask.extend(_CHARS[byte % len(_CHARS)] for byte in secrets.token_bytes(48) if byte < _EVEN)
    return mask[:CSRF_SECRET_LENGTH]


def masked_token(request):
    """``django.middleware.csrf.get_token(request)``: the visitor's secret under a new mask.

    A visitor without a secret yet gets Django's own (which adds the cookie); like Django, the
    cookie is sent again with the response, to renew its expiry.
    """
    secret = request.META.get("CSRF_COOKIE")
    if not secret or len(secret) != CSRF_SECRET_LENGTH:
        return get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _mask()
    count = len(_CHARS)
    cipher = [_CHARS[(_INDEX[s] + _INDEX[m]) % count] for s, m in zip(secret, mask, strict=True)]
    return "".join(mask) + "".join(cipher)


def csrf(request):
    """Context processor: ``csrf_token`` for ``{% csrf_token %}``, made only if a form asks."""
    return {"csrf_token": SimpleLazyObject(lambda: masked_token(request))}
