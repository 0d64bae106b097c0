"""Small template helpers for the public site."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def startswith(value, prefix):
    """``{% if request.path|startswith:subject.url %}``: is this path inside that section?"""
    return str(value).startswith(str(prefix))


@register.tag("kept")
def do_kept(parser, token):
    """``{% kept "name" value ... %}…{% endkept %}``: a fragment rendered once for everyone.

    For the parts of a logged-in page that are the same for every reader (a subject's course
    list, the home page's listings): kept in the cache until content changes, under the name,
    the values and the host (``learning.cache.remember``; rendered each time when the page cache
    is off). The context it needs should be lazy, so that a kept fragment costs no query. A
    fragment holding a form's CSRF token is never kept: it belongs to one visitor.
    """
    bits = token.split_contents()[1:]
    if not bits:
        raise template.TemplateSyntaxError("{% kept %} needs a name")
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    return KeptNode(nodelist, [parser.compile_filter(bit) for bit in bits])


class KeptNode(template.Node):
    def __init__(self, nodelist, names):
        self.nodelist = nodelist
        self.names = names

    def render(self, context):
        from learning import cache

        request = context.get("request")
        if request is None or not cache.enabled():
            return self.nodelist.render(context)
        parts = [str(name.resolve(context)) for name in self.names]
        name = "fragment:" + ":".join([request.get_host(), *parts])
        personal = []

        def render():
            html = self.nodelist.render(context)
            if "csrfmiddlewaretoken" in html:
                personal.append(html)
                return None  # not kept (remember keeps nothing for None)
            return str(html)

        html = cache.remember(name, render, cache.request_generation(request))
        return mark_safe(personal[0] if personal else html)  # noqa: S308 (rendered templates)
