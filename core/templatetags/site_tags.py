"""Small template helpers for the public site."""

import datetime
from functools import lru_cache

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from django.utils.timezone import now, template_localtime
from django.utils.translation import get_language

from core.sites import site_for

register = template.Library()


@register.filter
def ago(moment):
    """How long ago, in words: "just now" within the minute, else "3 hours ago" (Django's
    timesince, which would say "0 minutes")."""
    if not isinstance(moment, datetime.datetime):
        return ""
    if now() - moment < datetime.timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment)} ago"


@register.filter
def startswith(value, prefix):
    """``{% if request.path|startswith:subject.url %}``: is this path inside that section?"""
    return str(value).startswith(str(prefix))


@register.filter(expects_localtime=True)
def long_date(value):
    """``value|date:"j F Y"`` ("5 November 2026", in the current time zone and language), each
    day formatted once per process: Django's date formatting is a tenth of a page's own work."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if not isinstance(value, datetime.date):
        return ""
    return _long_date(value, get_language())


def long_date_of(value):
    """``long_date`` from Python: the day of ``value`` in the current time zone."""
    return long_date(template_localtime(value)) if value else ""


@lru_cache(maxsize=4096)
def _long_date(day, language):
    return date_format(day, "j F Y")


@register.tag("kept")
def do_kept(parser, token):
    """``{% kept "name" value ... %}…{% endkept %}``: a fragment rendered once for everyone.

    For the parts of a logged-in page that are the same for every reader (a subject's course
    list, the home page's listings): kept in the cache until content changes, under the name,
    the values and the site (``core.kept.shared_value``; rendered each time when the page cache
    is off). ``{% kept local "name" ... %}`` keeps it in this process's memory instead, for
    small fragments that many pages show: no round trip at all (``core.kept.process_value``;
    rendered each time for a request the page cache does not see). The context it needs should
    be lazy, so that a kept fragment costs no query. A
    fragment holding a form's CSRF token is never kept: it belongs to one visitor; nor is one of
    a preview (a draft). Rendering the listings every time takes a student's home, subject and
    catalogue pages from 18–25% to 2% of the minimal view (docs/performance.md, "What each
    hand-made piece saves").
    """
    bits = token.split_contents()[1:]
    local = bool(bits) and bits[0] == "local"
    if local:
        bits = bits[1:]
    if not bits:
        raise template.TemplateSyntaxError("{% kept %} needs a name")
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    return KeptNode(nodelist, [parser.compile_filter(bit) for bit in bits], local)


class KeptNode(template.Node):
    def __init__(self, nodelist, names, local=False):
        self.nodelist = nodelist
        self.names = names
        self.local = local

    def render(self, context):
        from core import kept as cache

        request = context.get("request")
        if request is None or not cache.enabled() or getattr(request, "is_preview", False):
            return self.nodelist.render(context)  # a preview shows a draft: never kept
        parts = [str(name.resolve(context)) for name in self.names]
        name = "fragment:" + ":".join([site_key(request), *parts])
        personal = []

        def render():
            html = self.nodelist.render(context)
            if "csrfmiddlewaretoken" in html:
                personal.append(html)
                return None  # not kept (shared_value keeps nothing for None)
            return str(html)

        current = cache.request_generation(request)
        if self.local:
            html = cache.process_value(name, render, current) if current else render()
        else:
            html = cache.shared_value(name, render, current)
        return mark_safe(personal[0] if personal else html)  # noqa: S308 (rendered templates)


def site_key(request):
    """What names a kept part's site: the id of the request's Wagtail site (each host that
    reaches the same site shares its parts; a host no site serves has none)."""
    site = site_for(request)
    return str(site.pk) if site is not None else "-"


@register.simple_tag(takes_context=True)
def page_url(context, page):
    """``{% page_url page %}``: Wagtail's ``{% pageurl page %}``, relative to the request's site
    as core.sites found it (``pageurl`` would ask the database for the site again)."""
    request = context.get("request")
    if page is None or request is None:
        return page.url if page is not None else ""
    return page.relative_url(site_for(request), request=request) or ""


@register.simple_tag(takes_context=True)
def request_site(context):
    """``{% request_site as site %}``: the request's Wagtail site (Wagtail's ``wagtail_site``,
    from core.sites)."""
    request = context.get("request")
    return site_for(request) if request is not None else None


def kept_html(request, name, template_name, values):
    """``template_name`` rendered with ``values`` (no request, no context processors), kept in
    this process while the generation lasts, under ``name`` and the site.

    For the small parts of a page that take one of a few forms for everyone, chosen per reader
    (a module listed as done or not): each form is rendered once, then a page is a lookup per
    part. ``name`` must tell every form apart. Rendered each time without a generation (the
    page cache off, or a request the page cache does not see).
    """
    store, prefix = _kept_forms(request, template_name)
    return _kept_form(store, prefix, name, template_name, values)


def _kept_forms(request, template_name):
    """``(store, key prefix)`` of the kept forms of ``template_name`` for this request, or
    ``(None, None)`` when none are kept for it (no generation, or a preview: a draft)."""
    from core import kept as cache

    current = cache.request_generation(request) if request is not None else None
    if not current or getattr(request, "is_preview", False):
        return None, None
    return (cache.process_store(current), current), f"html:{template_name}:{site_key(request)}:"


def _kept_form(store, prefix, name, template_name, values):
    if store is None:
        return render_to_string(template_name, values)
    kept, current = store
    html = kept.get(current, prefix + name)
    if html is None:
        html = render_to_string(template_name, values)
        kept.put(current, prefix + name, html)
    return html


@register.simple_tag(takes_context=True)
def site_nav(context):
    """The subjects' navigation (includes/site_nav.html), the link of the current section
    marked: one form per marked link, kept (``kept_html``)."""
    request = context.get("request")
    path = request.path if request is not None else ""
    subjects = context.get("nav_subjects") or []
    marks = "".join(
        ("a" if path.startswith(url) else "-") + ("c" if path == url else "-")
        for url in ["/catalog/", *(subject["url"] for subject in subjects)]
    )
    values = {"nav_subjects": subjects, "path": path}
    return mark_safe(kept_html(request, f"nav:{marks}", "includes/site_nav.html", values))  # noqa: S308


def module_items(request, template_name, modules, completed_ids=(), current_id=None, states=None):
    """A course's modules as list items, each ``template_name`` rendered with ``module``,
    ``number``, ``done`` (in ``completed_ids``), ``current`` (``current_id``) and ``state``
    (``states[module.pk]``: an object whose ``key`` names all it shows, or None).

    A list is the same for every reader but for the done marks and states: each item's form
    is kept (``kept_html``), named by all of them, and a reader's list joins them.
    """
    store, prefix = _kept_forms(request, template_name)  # asked once for the whole list
    states = states or {}
    items = []
    for number, module in enumerate(modules, 1):
        done, current = module.pk in completed_ids, module.pk == current_id
        state = states.get(module.pk)
        name = f"{module.pk}:{number}:{done:d}{current:d}:{state.key if state else ''}"
        values = {
            "module": module,
            "number": number,
            "done": done,
            "current": current,
            "state": state,
        }
        items.append(_kept_form(store, prefix, name, template_name, values))
    return mark_safe("".join(items))  # noqa: S308 (rendered templates)


def progress_bar(request, progress):
    """A reader's progress bar (learning/includes/progress_bar.html), one form per count."""
    name = f"progress:{progress.done}:{progress.total}"
    values = {"progress": progress}
    return mark_safe(kept_html(request, name, "learning/includes/progress_bar.html", values))  # noqa: S308


@register.simple_tag(takes_context=True)
def csrf_join(context, pieces):
    """``pieces`` joined with the form's CSRF token: a kept quiz (learning.models.body_parts)."""
    return mark_safe(str(context.get("csrf_token", "")).join(pieces))  # noqa: S308


_paths = {}


@register.simple_tag
def path_of(name):
    """``{% url name %}`` for a URL without arguments, reversed once per process (per URL
    configuration and script prefix): the header's links are on every page."""
    key = (name, get_urlconf(), get_script_prefix())
    path = _paths.get(key)
    if path is None:
        path = _paths[key] = reverse(name)
    return path
