"""Routing down the page tree that keeps what it fetched (see learning.models.pages).

Its own module, free of the learning models, so that the home page (home.models, loaded first)
can route the same way.
"""

from django.db import connection
from django.db.models import Q
from wagtail.models import Page, PageViewRestriction

from core import kept as cache
from learning import rows


def all_restrictions():
    """Every page view restriction with its page's path, groups prefetched: ``[(path, r)]``."""
    restrictions = PageViewRestriction.objects.select_related("page").prefetch_related("groups")
    return [(restriction.page.path, restriction) for restriction in restrictions]


def routed_ancestors(page):
    """The ancestors routing fetched for this page (parent first, up to the site's home page).

    ``None`` when they are not all known: the page was not reached by routing from the home page.
    """
    ancestors = []
    while page.depth > 2:
        page = page.__dict__.get("_cached_parent_obj")  # set by Page.route, read by get_parent()
        if page is None:
            return None
        ancestors.append(page)
    return ancestors


def child_by_slug(model, parent, slug, defer=()):
    """``parent``'s child of type ``model`` (a direct subclass of Page) with this slug, or None.

    Plain SQL over the two tables (learning.rows): the ORM's building of
    ``child_of(parent).filter(slug=...)`` for a page type (two tables, some forty columns, the
    tree's ordering) cost more than the database takes to answer it, on every module page.
    Like ``Model.objects.raw``, it skips the manager's own filters: no page type routed this
    way has any. ``defer``: fields left out, loaded when read.
    """
    quote = connection.ops.quote_name
    link = model._meta.parents[Page].column
    select = rows.columns(model, lambda owner: "p" if owner is Page else "c", defer)
    sql = (
        f"SELECT {select} FROM {quote(Page._meta.db_table)} p"  # noqa: S608 (names from models)
        f" JOIN {quote(model._meta.db_table)} c ON c.{quote(link)} = p.id"
        " WHERE p.path LIKE %s AND p.depth = %s AND p.slug = %s"
        " ORDER BY p.path LIMIT 1"
    )
    return rows.first(model, sql, [f"{parent.path}%", parent.depth + 1, slug], defer)


class RoutedPageMixin:
    """Routing and view restrictions that reuse the pages routing already fetched."""

    #: The related objects that route() fetches with a child page.
    child_select_related = ()
    #: And what it prefetches for a child it keeps (``keep_children``).
    child_prefetch_related = ()
    #: The child's fields a kept child leaves out (loaded if read): a module's large body,
    #: whose parts are kept in the shared cache instead (ModulePage.body_parts).
    child_defer = ()
    #: Whether the children routing finds are kept in the process while the generation lasts
    #: (with the page cache on): the home page's subjects, the subjects' courses and the
    #: courses' modules (without their bodies), small objects whose served fields only change
    #: when pages are published, moved or deleted, which bumps the generation.
    keep_children = False

    def route(self, request, path_components):
        child_types = self.allowed_subpage_models()
        if path_components and len(child_types) == 1:
            [model] = child_types
            child = self.find_child(request, model, path_components[0])
            if child is not None:
                child._cached_parent_obj = self
                child._generation = cache.request_generation(request)
                return child.route(request, path_components[1:])
            # Another page type (or none): Wagtail's own routing decides.
        return super().route(request, path_components)

    def find_child(self, request, model, slug):
        """The child page with this slug, as its specific object: one query, or none if kept."""

        def query(prefetch=(), defer=()):
            if not (prefetch or self.child_select_related) and Page in model._meta.parents:
                return child_by_slug(model, self, slug, defer)
            return (
                model.objects.child_of(self)
                .filter(slug=slug)
                .select_related(*self.child_select_related)
                .prefetch_related(*prefetch)
                .defer(*defer)
                .first()
            )

        current = cache.request_generation(request)
        if not (current and self.keep_children):
            return query()
        # Kept: worth a query more once for what later requests would each fetch again.
        kept = cache.in_process(
            f"child:{self.pk}:{slug}",
            lambda: query(self.child_prefetch_related, self.child_defer),
            current,
        )
        return cache.copy_of(kept) if kept is not None else None  # each request its own

    def get_view_restrictions(self):
        """The restrictions on this page and its ancestors, as Wagtail's, in one query or none.

        Wagtail fetches the ancestors, then their restrictions; a routed page knows its
        ancestors down to the home page, so only the tree's root is looked up by path. With the
        page cache on, routing hands down the generation, and the site's restrictions (a short
        list) are kept in the process for it: any change of a restriction bumps it. An alias
        takes its source page's restrictions: then Wagtail's own method is used.
        """
        ancestors = routed_ancestors(self)
        pages = [self, *(ancestors or [])]
        if ancestors is None or any(page.alias_of_id for page in pages):
            return super().get_view_restrictions()
        above = [self.path[: depth * self.steplen] for depth in range(1, pages[-1].depth)]
        current = self.__dict__.get("_generation")
        if current:
            paths = {*above, *(page.path for page in pages)}
            return [
                restriction
                for path, restriction in cache.in_process(
                    "view-restrictions", all_restrictions, current
                )
                if path in paths
            ]
        return PageViewRestriction.objects.filter(
            Q(page_id__in=[page.pk for page in pages]) | Q(page__path__in=above)
        )
