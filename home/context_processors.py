"""Template context shared by every public page: the site's navigation."""

from functools import partial

from wagtail.models import Site

from core.admin_access import opens_admin
from core.sites import site_for


def navigation(request):
    """The current site's live subjects for the main navigation: one query, or none when cached."""
    if request is None:
        return {"nav_subjects": []}
    # A callable: templates call it, so only a page that shows the link pays the query.
    from core import kept as cache

    current = cache.request_generation(request)
    user = getattr(request, "user", None)
    context = {"opens_admin": partial(opens_admin, user, current)}
    site = site_for(request)
    if site is None:
        return {**context, "nav_subjects": []}
    root_paths = Site.get_site_root_paths()  # from the cache, as page URLs read them
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
    keep = cache.process_value if current else cache.shared_value
    context["nav_subjects"] = keep(f"nav-subjects:{site.pk}", subjects, current)
    return context
