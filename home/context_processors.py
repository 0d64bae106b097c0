"""Template context shared by every public page."""

from functools import partial

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from wagtail.models import Site


def opens_admin(user, current=None):
    """Whether the header offers this user the Admin link: staff, superusers, and whoever has
    Wagtail's ``access_admin`` permission, directly or through a group.

    One query, where ``perms.wagtailadmin.access_admin`` loads all of the user's permissions in
    two; none while the page cache's generation ``current`` lasts, for a user this process
    asked before (any change of groups or permissions bumps it: learning/signals.py). The admin
    checks permissions itself: this only decides whether the link is shown.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff or user.is_superuser:
        return True
    if not hasattr(user, "_opens_admin"):  # asked once per request (the user bar, the header)
        if current:
            from learning import cache

            user._opens_admin = cache.in_process(
                f"opens-admin:{user.pk}", partial(_has_admin_access, user), current
            )
        else:
            user._opens_admin = _has_admin_access(user)
    return user._opens_admin


def _has_admin_access(user):
    """One query: does the user hold `access_admin`, directly or through a group?"""
    User = get_user_model()
    user_permissions = User.user_permissions.through._meta.db_table
    user_groups = User.groups.through._meta.db_table
    group_permissions = Group.permissions.through._meta.db_table
    query = f"""
        SELECT 1 FROM {Permission._meta.db_table} p
        JOIN {ContentType._meta.db_table} ct ON ct.id = p.content_type_id
        WHERE ct.app_label = %s AND p.codename = %s AND (
            p.id IN (SELECT permission_id FROM {user_permissions} WHERE user_id = %s)
            OR p.id IN (
                SELECT gp.permission_id FROM {group_permissions} gp
                JOIN {user_groups} ug ON ug.group_id = gp.group_id
                WHERE ug.user_id = %s
            )
        )
        LIMIT 1
    """  # noqa: S608 (table names from the models, values as parameters)
    with connection.cursor() as cursor:
        cursor.execute(query, ["wagtailadmin", "access_admin", user.pk, user.pk])
        return cursor.fetchone() is not None


def navigation(request):
    """The current site's live subjects for the main navigation: one query, or none when cached."""
    if request is None:
        return {"nav_subjects": []}
    # A callable: templates call it, so only a page that shows the link pays the query.
    from learning import cache

    current = cache.request_generation(request)
    user = getattr(request, "user", None)
    context = {"opens_admin": partial(opens_admin, user, current)}
    site = Site.find_for_request(request)
    if site is None:
        return {**context, "nav_subjects": []}
    # Wagtail's root paths, as page URLs read them: kept on the request (cache.prime_site).
    root_paths = getattr(request, "_wagtail_cached_site_root_paths", None)
    if root_paths is None:
        root_paths = Site.get_site_root_paths()
    root_path = next((root.root_path for root in root_paths if root.site_id == site.pk), None)
    if root_path is None:
        return {**context, "nav_subjects": []}
    from learning.models import SubjectPage

    def subjects():
        rows = (
            SubjectPage.objects.live()
            .public()
            .filter(url_path__startswith=root_path, depth=3)
            .order_by("path")
            .values_list("title", "url_path")
        )
        return [
            {"title": title, "url": "/" + url_path[len(root_path) :]} for title, url_path in rows
        ]

    # The same on every page of the site, for everyone: kept until content changes, in the
    # process itself on pages (a few titles), in the shared cache elsewhere.
    keep = cache.in_process if current else cache.remember
    context["nav_subjects"] = keep(f"nav-subjects:{site.pk}", subjects, current)
    return context
