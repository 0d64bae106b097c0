"""Wagtail hooks of the site's plumbing: which pages the page cache may store (core.cache), and
the admin's rich text editor, which refuses malformed data (core.admin_forms)."""

from wagtail import hooks
from wagtail.admin.forms.models import register_form_field_override
from wagtail.admin.rich_text.editors import draftail
from wagtail.fields import RichTextField

from core import cache
from core.admin_forms import RefusesMalformedData


# order=1: after Wagtail's own check_view_restrictions (order 0) in the chain, so it runs inside
# it, for a request that has passed every restriction.
@hooks.register("on_serve_page", order=1)
def mark_unrestricted_pages_public(serve_page):
    """A page below no view restriction of any kind may be stored for anonymous visitors (a
    page that a password, a log-in or a group opened to one visitor is never stored)."""

    def serve(page, request, args, kwargs):
        if (
            cache.request_generation(request)
            and cache.cacheable_request(request)
            and not getattr(request, "is_preview", False)
            and not page.get_view_restrictions()
        ):
            cache.mark_public(request)
        return serve_page(page, request, args, kwargs)

    return serve


class DraftailRichTextArea(RefusesMalformedData, draftail.DraftailRichTextArea):
    """Wagtail's rich text editor: a posted value that is not its JSON is a 400. Named as
    Wagtail's: the admin styles a field by its widget's class name."""


# Every admin form's rich text fields (pages, snippets), with the field's own features. Here, as
# Draftail's module cannot be imported while the models are (core.admin_forms is).
register_form_field_override(
    RichTextField, override=lambda field: {"widget": DraftailRichTextArea(features=field.features)}
)
