"""The admin roles: what the Instructors and Editors groups may do.

Used by the data migration that creates the groups and by ``load_demo`` (which re-applies them
to a site's home page it creates), so both grant exactly the same thing. Functions take the
``apps`` registry so they work inside migrations too.
"""

INSTRUCTORS = "Instructors"
EDITORS = "Editors"

# Page permissions, on each site's home page. Instructors' are narrowed to their own courses by
# learning.permissions.CoursePagePermissionTester.
PAGE_PERMISSIONS = {
    INSTRUCTORS: ["add_page", "publish_page"],
    EDITORS: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
}
# Collection permissions on the root collection: upload and use images and documents; "add"
# lets a user edit the files they uploaded, "change" any file.
COLLECTION_PERMISSIONS = {
    INSTRUCTORS: [
        ("wagtailimages", "image", "add_image"),
        ("wagtailimages", "image", "choose_image"),
        ("wagtaildocs", "document", "add_document"),
        ("wagtaildocs", "document", "choose_document"),
    ],
    EDITORS: [
        ("wagtailimages", "image", "add_image"),
        ("wagtailimages", "image", "change_image"),
        ("wagtailimages", "image", "choose_image"),
        ("wagtaildocs", "document", "add_document"),
        ("wagtaildocs", "document", "change_document"),
        ("wagtaildocs", "document", "choose_document"),
    ],
}
PERMISSION_NAMES = {
    "add": "Can add",
    "change": "Can change",
    "publish": "Can publish",
    "lock": "Can lock",
    "unlock": "Can unlock",
    "choose": "Can choose",
}


def _permission(apps, app_label, model, codename):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    # On a fresh database Django creates model permissions only after every migration has run
    # (post_migrate), so make them here; post_migrate skips the ones that exist.
    action = codename.split("_", 1)[0]
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename=codename,
        defaults={"name": f"{PERMISSION_NAMES.get(action, action.title())} {model}"},
    )
    return permission


def grant_roles(apps, home_pages=None):
    """Create both groups (if missing) and grant their permissions on each home page."""
    Group = apps.get_model("auth", "Group")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    Collection = apps.get_model("wagtailcore", "Collection")
    if home_pages is None:
        home_pages = list(apps.get_model("home", "HomePage").objects.all())
    root_collection = Collection.objects.filter(depth=1).first()
    access_admin = _permission(apps, "wagtailadmin", "admin", "access_admin")

    for group_name, codenames in PAGE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(access_admin)
        for page in home_pages:
            for codename in codenames:
                GroupPagePermission.objects.get_or_create(
                    group=group,
                    page_id=page.pk,
                    permission=_permission(apps, "wagtailcore", "page", codename),
                )
        if root_collection is not None:
            for app_label, model, codename in COLLECTION_PERMISSIONS[group_name]:
                GroupCollectionPermission.objects.get_or_create(
                    group=group,
                    collection=root_collection,
                    permission=_permission(apps, app_label, model, codename),
                )
