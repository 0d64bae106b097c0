"""Reads the process environment: the only place settings look at ``os.environ``.

Every setting that an operator may change comes through here, so a bad value fails at start-up
with an ``ImproperlyConfigured`` naming the variable, instead of surfacing later as a 500.
"""

import os
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def get(name, default=None):
    value = os.environ.get(name)
    return default if value is None else value.strip()


def require(name):
    value = get(name)
    if not value:
        raise ImproperlyConfigured(
            f"The environment variable {name} is required by these settings but is not set."
        )
    return value


def boolean(name, default=False):
    value = get(name)
    if value is None:
        return default
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean: use one of 1/0, true/false, yes/no, on/off."
    )


def integer(name, default, minimum=None):
    value = get(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r} must be at least {minimum}.")
    return number


RATE_PERIODS = {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}


def rate(name, default):
    """A request rate as Django REST framework reads it ("300/min"); empty or "off": none."""
    value = get(name)
    if value is None:
        return default
    if value.lower() in {"", "off"}:
        return ""
    count, _, period = value.partition("/")
    if not (count.isdigit() and int(count) > 0 and period in RATE_PERIODS):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate: write it as 300/min (per s, min, hour or day), "
            "or off."
        )
    return value


def listing(name, default=()):
    """A comma-separated list, blanks dropped."""
    value = get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def database(name, default, conn_max_age=0):
    import dj_database_url

    url = get(name)
    if not url:
        return default
    try:
        config = dj_database_url.parse(
            url, conn_max_age=conn_max_age, conn_health_checks=conn_max_age > 0
        )
    except Exception as exc:  # dj-database-url raises several kinds for malformed URLs
        raise ImproperlyConfigured(f"{name} is not a usable database URL: {exc}") from None
    if not config.get("ENGINE"):
        raise ImproperlyConfigured(f"{name} names an unsupported database scheme.")
    return config


def redis_url(name):
    url = get(name)
    if not url:
        return None
    scheme = urlparse(url).scheme
    if scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"{name}={url!r} is not a Redis URL: it must start with redis://, rediss:// or unix://."
        )
    return url
