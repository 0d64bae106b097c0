"""Template context shared by every public page."""

from wagtail.models import Site


def navigation(request):
    """The current site's live subjects for the main navigation, in one query."""
    site = Site.find_for_request(request) if request is not None else None
    if site is None:
        return {"nav_subjects": []}
    root_path = next(
        (root.root_path for root in Site.get_site_root_paths() if root.site_id == site.pk), None
    )
    if root_path is None:
        return {"nav_subjects": []}
    from learning.models import SubjectPage

    rows = (
        SubjectPage.objects.live()
        .public()
        .filter(url_path__startswith=root_path, depth=3)
        .order_by("path")
        .values_list("title", "url_path")
    )
    subjects = [
        {"title": title, "url": "/" + url_path[len(root_path) :]} for title, url_path in rows
    ]
    return {"nav_subjects": subjects}
