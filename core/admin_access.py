"""Who may open the admin, for the header's Admin link and Wagtail's user bar."""

from functools import partial


def opens_admin(user, current=None):
    """Whether the header offers this user the Admin link: staff, superusers, and whoever has
    Wagtail's ``access_admin`` permission, directly or through a group.

    Django's ``has_perm`` (two queries: the user's and their groups' permissions); none while
    the page cache's generation ``current`` lasts, for a user this process asked before (any
    change of groups or permissions bumps it: learning/signals.py). The admin checks
    permissions itself: this only decides whether the link is shown.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff or user.is_superuser:
        return True
    if not hasattr(user, "opens_admin_known"):  # asked once per request (the user bar, the header)
        if current:
            from core import kept

            user.opens_admin_known = kept.process_value(
                f"opens-admin:{user.pk}", partial(_has_admin_access, user), current
            )
        else:
            user.opens_admin_known = _has_admin_access(user)
    return user.opens_admin_known


def _has_admin_access(user):
    """Django's own permission check: does the user hold Wagtail's ``access_admin``?"""
    return user.has_perm("wagtailadmin.access_admin")
