"""A student's course and module pages, kept as shells that each reader's values fill.

Such a page is the same for every reader in the same state but for a few values: their name,
the CSRF token of its forms, the day they enrolled, their progress bar and module list with its
done marks, where to resume. Its template is rendered once per *form* (the page's host and
path, and the facts that decide what the template shows: enrolled or not, completed or not,
a certificate, a quiz passed, ...: the page's ``shell_form``), with a marker in place of each
such value; every reader's request then joins the shell's pieces with its own values, escaped
as the template would have escaped them ("donut caching").

So a template rendered as a shell follows two rules: what differs by reader is shown as
``{{ reader.<name> }}`` (bare, without filters) or ``{% csrf_token %}``, and everything else
it shows follows from the page and its form. ``reader`` is a dict (``reader_values``) whose
callables are called only for the values a page shows. The tests render each reader state
both ways and compare (learning/tests/test_shells.py).

Shells are kept in each process, the ``SIZE`` most recently used, while the page cache's
generation lasts (any publication or change of what pages show retires them). A page is
rendered whole, as before, for a preview, when the page cache is off, for a user who may open
the admin (Wagtail's user bar is theirs alone) and when messages wait to be shown.
"""

import re
import secrets

from django.contrib.messages import get_messages
from django.middleware.csrf import get_token
from django.template.response import TemplateResponse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from core import kept as page_cache

SIZE = 256
#: Off in tests that compare a page rendered whole with its shell.
enabled = True

_MARK = secrets.token_hex(8)  # random per process: no content can hold a marker
_SLOT = re.compile(f"{_MARK}([a-z_]+){_MARK}")
_CSRF = "csrf_token"
_shells = page_cache.recent_store(SIZE)


class _Markers(dict):
    def __missing__(self, name):
        return mark_safe(f"{_MARK}{name}{_MARK}")  # noqa: S308 (letters and digits only)


def reader_values(request, **values):
    """The template's ``reader``: the reader's name (for the site header) and ``values``."""
    return {"display_name": lambda: request.user.display_name, **values}


class ShellResponse(TemplateResponse):
    """A page's response, rendered from its kept shell when its ``form`` allows.

    ``form``: a callable returning the facts that decide what the template shows for this
    reader (a tuple), or None for a page to render whole.
    """

    def __init__(self, request, template, context, form):
        super().__init__(request, template, context)
        self.reader_request = request
        self.form = form

    @property
    def rendered_content(self):
        request = self.reader_request
        name = self._shell_name()
        if name is None:
            return super().rendered_content
        current = page_cache.request_generation(request)
        pieces = page_cache.recent_value(name, self._shell, current, _shells)
        values = self.context_data["reader"]
        filled = list(pieces)
        token = None
        for index in range(1, len(filled), 2):
            slot = filled[index]
            if slot == _CSRF:
                token = token or get_token(request)  # one token for all the page's forms
                filled[index] = token
            else:
                value = values.get(slot, "")
                filled[index] = conditional_escape(value() if callable(value) else value)
        return mark_safe("".join(filled))  # noqa: S308 (the template's output, values escaped)

    def _shell_name(self):
        from core.admin_access import opens_admin
        from core.templatetags.site_tags import site_key

        request = self.reader_request
        current = page_cache.request_generation(request)
        if not (enabled and current) or getattr(request, "is_preview", False):
            return None
        if opens_admin(request.user, current) or len(get_messages(request)):
            return None
        form = self.form()
        if form is None:
            return None
        template = self.template_name
        return f"shell:{site_key(request)}:{request.path}:{template}:{form!r}"

    def _shell(self):
        """The template rendered with markers for the reader's values, split at them:
        ``[text, slot name, text, slot name, ..., text]``."""
        context = {**self.context_data, "reader": _Markers(), _CSRF: _Markers()[_CSRF]}
        template = self.resolve_template(self.template_name)
        return _SLOT.split(str(template.render(context, self.reader_request)))


def reader(request):
    """Context processor: ``reader`` with the reader's name, for the site header of every
    page; a page kept as a shell gives its own (``reader_values``)."""
    return {"reader": reader_values(request)}
