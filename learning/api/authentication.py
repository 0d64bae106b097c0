"""How API clients prove who they are.

* ``Authorization: Bearer wagtail_…``: a per-user API token (Wagtail's own APIToken model; only
  a digest is stored). Students create and revoke them at /accounts/tokens/. Cheap to check.
* HTTP basic auth, as in the seed client. Each request runs the password hasher (hundreds of
  milliseconds by design), so scripts that make many calls should use a token.
* The browser session, for the site's own JavaScript; unsafe methods then need the CSRF token.

Basic comes first so that a request without credentials gets a 401 with a
``WWW-Authenticate`` challenge rather than a 403.
"""

from datetime import UTC

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request
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
        api_token = find_token(APIToken.candidate_key_hashes(token))
        if api_token is None or not api_token.user.is_active:
            raise exceptions.AuthenticationFailed("That token is unknown or has been revoked.")
        now = timezone.now()
        last = api_token.last_used_at
        if last is None or (now - last).total_seconds() >= TOKEN_LAST_USED_INTERVAL:
            APIToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        return api_token.user, api_token

    def authenticate_header(self, request):
        return self.keyword


def find_token(key_hashes):
    """The live token with one of these digests, with its user, or None: one raw query.

    The same as ``APIToken.objects.select_related("user").filter(...).first()``, whose
    compilation took over half the time of an API response served from the cache (bench/).
    """
    user_model = get_user_model()
    quote = connection.ops.quote_name
    columns = ", ".join(f"u.{quote(field.column)}" for field in user_model._meta.concrete_fields)
    placeholders = ", ".join(["%s"] * len(key_hashes))
    # Identifiers from the models' metadata, quoted; the digests are parameters.
    sql = (
        f"SELECT {columns}, t.{quote('id')} AS api_token_id, "  # noqa: S608
        f"t.{quote('last_used_at')} AS api_token_last_used_at "
        f"FROM {quote(APIToken._meta.db_table)} t "
        f"JOIN {quote(user_model._meta.db_table)} u ON u.{quote(user_model._meta.pk.column)} "
        f"= t.{quote('user_id')} "
        f"WHERE t.{quote('key_hash')} IN ({placeholders}) AND t.{quote('revoked_at')} IS NULL "
        "LIMIT 1"
    )
    found = list(user_model.objects.raw(sql, key_hashes))
    if not found:
        return None
    user = found[0]
    last_used = user.api_token_last_used_at
    if last_used is not None:  # not a model field of the query: SQLite gives text, in UTC
        last_used = APIToken._meta.get_field("last_used_at").to_python(last_used)
        if timezone.is_naive(last_used):
            last_used = timezone.make_aware(last_used, UTC)
    return APIToken(pk=user.api_token_id, user=user, last_used_at=last_used)


def credentials_user(request):
    """The user that a Django request's ``Authorization`` header names (a token or HTTP basic),
    for views outside the API that API clients use (module document downloads). Raises
    AuthenticationFailed for wrong credentials; anonymous for another kind of header."""
    authenticators = [BearerTokenAuthentication(), authentication.BasicAuthentication()]
    return Request(request, authenticators=authenticators).user


AUTHENTICATION_CLASSES = [
    authentication.BasicAuthentication,
    BearerTokenAuthentication,
    authentication.SessionAuthentication,
]
