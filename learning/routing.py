"""Routing down the page tree in one query a level, with the children kept per process.

Wagtail's ``Page.route`` fetches each child, then its specific row: two queries a level, on
every request. A page whose children are all of one type finds its child here as that type in
one query; with a generation (core.cache) the child is kept as a process value (core.kept) and
each request gets its own copy. View restrictions are matched by path against the site's
restrictions, kept likewise. Only public APIs of Django and Wagtail: ``route`` and
``get_view_restrictions`` are documented extension points. docs/performance.md measures what
removing this costs.
"""

import copy

from wagtail.models import PageViewRestriction

from core import kept


def all_restrictions():
    """Every page view restriction with its page's path, groups prefetched: ``[(path, r)]``."""
    restrictions = PageViewRestriction.objects.select_related("page").prefetch_related("groups")
    return [(restriction.page.path, restriction) for restriction in restrictions]


def routed_ancestors(page):
    """The ancestors routing handed down to this page (parent first, up to the site's home
    page), or None when it was not reached by this routing from the home page."""
    ancestors = []
    while page.depth > 2:
        page = getattr(page, "routed_parent", None)
        if page is None:
            return None
        ancestors.append(page)
    return ancestors


def parent_of(page):
    """The page's parent as its specific object: the one routing handed down, else a query."""
    parent = getattr(page, "routed_parent", None)
    return parent if parent is not None else page.get_parent().specific


class RoutedPageMixin:
    """Routing and view restrictions that reuse what routing already fetched."""

    #: The related objects fetched with a child page.
    child_select_related = ()
    #: And what is prefetched for a child that is kept.
    child_prefetch_related = ()
    #: The child's fields a kept child leaves out (loaded if read): a module's large body,
    #: whose parts are kept in the shared cache instead (ModulePage.body_parts).
    child_defer = ()
    #: Whether the children routing finds are kept as process values while the generation
    #: lasts: small objects whose served fields change only with a publication, move, deletion
    #: or save, each of which bumps the generation.
    keep_children = False

    def route(self, request, path_components):
        child_types = self.allowed_subpage_models()
        if path_components and len(child_types) == 1:
            [model] = child_types
            child = self.find_child(request, model, path_components[0])
            if child is not None:
                child.routed_parent = self
                child.routed_generation = kept.request_generation(request)
                return child.route(request, path_components[1:])
            # Another page type (or none): Wagtail's own routing decides.
        return super().route(request, path_components)

    def find_child(self, request, model, slug):
        """The child page with this slug, as its specific object: one query, or none if kept."""

        def query(prefetch=(), defer=()):
            return (
                model.objects.child_of(self)
                .filter(slug=slug)
                .select_related(*self.child_select_related)
                .prefetch_related(*prefetch)
                .defer(*defer)
                .first()
            )

        current = kept.request_generation(request)
        if not (current and self.keep_children):
            return query()
        found = kept.process_value(
            f"child:{self.pk}:{slug}",
            lambda: query(self.child_prefetch_related, self.child_defer),
            current,
        )
        return copy.copy(found) if found is not None else None  # each request its own

    def get_view_restrictions(self):
        """The restrictions on this page and its ancestors, as Wagtail's: matched by path
        against the site's restrictions kept for the generation routing handed down, or
        Wagtail's own query without one (and for an alias, whose source page's count)."""
        current = getattr(self, "routed_generation", None)
        ancestors = routed_ancestors(self)
        if not current or ancestors is None or any(p.alias_of_id for p in [self, *ancestors]):
            return super().get_view_restrictions()
        paths = {self.path[: depth * self.steplen] for depth in range(1, self.depth + 1)}
        return [
            restriction
            for path, restriction in kept.process_value(
                "view-restrictions", all_restrictions, current
            )
            if path in paths
        ]
