"""Signal receivers, connected in LearningConfig.ready()."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_unpublished, post_page_move

from learning import cache


def connect():
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(cache.invalidate, dispatch_uid=f"pagecache-{id(signal)}")
    # Deleting a page (Django sends post_delete for the Page row of any specific page), or an
    # image or document that cached pages may show; nothing else retires the cached pages.
    post_delete.connect(cache.invalidate, sender=Page, dispatch_uid="pagecache-delete")
    post_delete.connect(cache.invalidate, sender=get_image_model(), dispatch_uid="pagecache-img")
    post_delete.connect(cache.invalidate, sender=get_document_model(), dispatch_uid="pagecache-doc")
    # A page that becomes restricted must not be served from the cache to anyone any more, and
    # listings must show or hide it: any change of a view restriction retires the cached pages.
    post_save.connect(cache.invalidate, sender=PageViewRestriction, dispatch_uid="pagecache-pvr")
    post_delete.connect(cache.invalidate, sender=PageViewRestriction, dispatch_uid="pagecache-pvrd")
    m2m_changed.connect(
        cache.invalidate, sender=PageViewRestriction.groups.through, dispatch_uid="pagecache-pvrg"
    )
    for model in Page.__subclasses__():
        post_delete.connect(cache.invalidate, sender=model, dispatch_uid=f"pagecache-{model}")
