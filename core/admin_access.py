"""Who may open the admin, for the header's Admin link and Wagtail's user bar."""

from functools import partial

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection


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
