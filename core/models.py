"""The one row of the page cache's generation (core.cache)."""

from django.db import models


class CacheGeneration(models.Model):
    """The generation of everything cached: a token that a change of content replaces.

    Kept in the database, in the transaction of the change that replaces it, so that no outage
    of the cache server can lose a change: every process reads it again after at most
    ``PAGE_CACHE_GENERATION_SECONDS``. One row, id 1 (made by the migration; made again if
    missing).
    """

    value = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "cache generation"
