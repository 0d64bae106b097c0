"""Template context shared by every public page."""

from wagtail.models import Site


def navigation(request):
    """The current site's live subjects for the main navigation: one query, or none when cached."""
    site = Site.find_for_request(request) if request is not None else None
    if site is None:
        return {"nav_subjects": []}
    root_path = next(
        (root.root_path for root in Site.get_site_root_paths() if root.site_id == site.pk), None
    )
    if root_path is None:
        return {"nav_subjects": []}
    from learning import cache
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

    # The same on every page of the site, for everyone: kept until content changes.
    return {"nav_subjects": cache.remember(f"nav-subjects:{site.pk}", subjects)}
