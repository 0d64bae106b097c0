"""How API clients prove who they are.

* ``Authorization: Bearer wagtail_…``: a per-user API token (Wagtail's own APIToken model; only
  a digest is stored). Students create and revoke them at /accounts/tokens/. Cheap to check.
* HTTP basic auth, as in the seed client. Each request runs the password hasher (hundreds of
  milliseconds by design), so scripts that make many calls should use a token.
* The browser session, for the site's own JavaScript; unsafe methods then need the CSRF token.

Basic comes first so that a request without credentials gets a 401 with a
``WWW-Authenticate`` challenge rather than a 403.
"""

from django.utils import timezone
from rest_framework import authentication, exceptions
from wagtail.models import APIToken

TOKEN_LAST_USED_INTERVAL = 60  # seconds: do not write last_used_at on every request


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Give the token after “Bearer ”, nothing else.")
        try:
            token = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("That token is not valid.") from None
        if not APIToken.validate_token_format(token):
            raise exceptions.AuthenticationFailed("That token is not valid.")
        api_token = (
            APIToken.objects.select_related("user")
            .filter(key_hash__in=APIToken.candidate_key_hashes(token), revoked_at__isnull=True)
            .first()
        )
        if api_token is None or not api_token.user.is_active:
            raise exceptions.AuthenticationFailed("That token is unknown or has been revoked.")
        now = timezone.now()
        last = api_token.last_used_at
        if last is None or (now - last).total_seconds() >= TOKEN_LAST_USED_INTERVAL:
            APIToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        return api_token.user, api_token

    def authenticate_header(self, request):
        return self.keyword


AUTHENTICATION_CLASSES = [
    authentication.BasicAuthentication,
    BearerTokenAuthentication,
    authentication.SessionAuthentication,
]
