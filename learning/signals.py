"""Signal receivers, connected in LearningConfig.ready()."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.search import index
from wagtail.signals import page_published, page_unpublished, post_page_move

from core import cache


def media_saved(update_fields=None, **kwargs):
    """An image or document saved: retire the cached pages, unless Wagtail only filled in the
    file's size or hash (it does on first use, which changes nothing shown)."""
    if update_fields and set(update_fields) <= {"file_size", "file_hash"}:
        return
    cache.bump()


def user_saved(instance, created=False, **kwargs):
    """A user saved: instructors' names are shown on kept pages and fragments (course facts,
    course cards). Only when what pages show of them changed: not for a new user (no page shows
    them yet), a log-in or a password change."""
    shown = instance.shown_values()
    changed = not created and getattr(instance, "shown_as_saved", None) != shown
    instance.shown_as_saved = shown
    if changed:
        cache.bump()
        # The catalogue finds courses by their instructor's name: index them again.
        from learning.models import CoursePage

        for course in CoursePage.objects.filter(owner=instance):
            index.insert_or_update_object(course)


def announcement_deleted(instance, **kwargs):
    from learning.announcements import withdraw

    withdraw(instance.pk)


def connect():
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(cache.bump, dispatch_uid=f"pagecache-{id(signal)}")
    # Deleting a page (Django sends post_delete for the Page row of any specific page), or an
    # image or document that cached pages may show; nothing else retires the cached pages.
    post_delete.connect(cache.bump, sender=Page, dispatch_uid="pagecache-delete")
    post_delete.connect(cache.bump, sender=get_image_model(), dispatch_uid="pagecache-img")
    post_delete.connect(cache.bump, sender=get_document_model(), dispatch_uid="pagecache-doc")
    # An image or document changed in place (a new file, focal point, title): the kept module
    # bodies and cached pages show its renditions, URL and title.
    post_save.connect(media_saved, sender=get_image_model(), dispatch_uid="pagecache-img-s")
    post_save.connect(media_saved, sender=get_document_model(), dispatch_uid="pagecache-doc-s")
    # A page that becomes restricted must not be served from the cache to anyone any more, and
    # listings must show or hide it: any change of a view restriction retires the cached pages.
    post_save.connect(cache.bump, sender=PageViewRestriction, dispatch_uid="pagecache-pvr")
    post_delete.connect(cache.bump, sender=PageViewRestriction, dispatch_uid="pagecache-pvrd")
    m2m_changed.connect(
        cache.bump, sender=PageViewRestriction.groups.through, dispatch_uid="pagecache-pvrg"
    )
    # Announcements are shown on the course page (its kept shells) to its students.
    from learning.models import Announcement

    post_save.connect(cache.bump, sender=Announcement, dispatch_uid="pagecache-announcement")
    post_delete.connect(cache.bump, sender=Announcement, dispatch_uid="pagecache-announcement-d")
    post_delete.connect(announcement_deleted, sender=Announcement, dispatch_uid="withdraw")
    # Sites: their host names and root pages decide which home page a request gets.
    post_save.connect(cache.bump, sender=Site, dispatch_uid="pagecache-site")
    post_delete.connect(cache.bump, sender=Site, dispatch_uid="pagecache-site-delete")
    # Any page saved (a draft, a new owner): kept fragments show owners and titles.
    from django.apps import apps

    for model in apps.get_models():
        if issubclass(model, Page):
            post_save.connect(cache.bump, sender=model, dispatch_uid=f"pagecache-save-{model}")
    for model in Page.__subclasses__():
        post_delete.connect(cache.bump, sender=model, dispatch_uid=f"pagecache-{model}")
    # Who may open the admin (the header's Admin link, core.admin_access.opens_admin) is
    # kept in each process for the generation: a change of a user's groups or permissions, or
    # of a group's permissions, retires it. Deleting a group or a permission removes their
    # rows without an m2m signal. (Staff and superuser flags are read from the user's row.)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    User = get_user_model()
    post_save.connect(user_saved, sender=User, dispatch_uid="pagecache-user")
    # A deleted instructor leaves their courses without an owner (SET_NULL sends no signal).
    post_delete.connect(cache.bump, sender=User, dispatch_uid="pagecache-user-delete")
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(cache.bump, sender=through, dispatch_uid=f"pagecache-{through}")
    for model in (Group, Permission):
        post_delete.connect(cache.bump, sender=model, dispatch_uid=f"pagecache-del-{model}")
