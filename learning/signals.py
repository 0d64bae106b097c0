"""Signal receivers, connected in LearningConfig.ready()."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_unpublished, post_page_move

from learning import cache


def connect():
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(cache.invalidate, dispatch_uid=f"pagecache-{id(signal)}")
    post_delete.connect(cache.invalidate, dispatch_uid="pagecache-delete")
    # A page that becomes restricted must not be served from the cache to anyone any more.
    post_save.connect(cache.invalidate, sender=PageViewRestriction, dispatch_uid="pagecache-pvr")
    m2m_changed.connect(
        cache.invalidate, sender=PageViewRestriction.groups.through, dispatch_uid="pagecache-pvrg"
    )
    for model in Page.__subclasses__():
        post_delete.connect(cache.invalidate, sender=model, dispatch_uid=f"pagecache-{model}")
