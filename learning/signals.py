"""Signal receivers, connected in LearningConfig.ready()."""

from django.db.models.signals import post_delete
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from learning import cache


def connect():
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(cache.invalidate, dispatch_uid=f"pagecache-{id(signal)}")
    post_delete.connect(cache.invalidate, dispatch_uid="pagecache-delete")
    for model in Page.__subclasses__():
        post_delete.connect(cache.invalidate, sender=model, dispatch_uid=f"pagecache-{model}")
