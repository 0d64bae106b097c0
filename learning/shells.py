"""A student's course and module pages, kept as shells that each reader's values fill.

Such a page is the same for every reader in the same state but for a few values: their name,
the CSRF token of its forms, the day they enrolled, their progress bar and module list with its
done marks, where to resume. Its template is rendered once per *reader state*, with a marker in
place of each such value (a *slot*); every reader's request then joins the shell's pieces with
its own values, escaped as the template would have escaped them ("donut caching").

Nothing of a reader can enter a shell but through its slots, by construction:

- the shell is rendered from a **shared request** (``shared_request``): the page's path, host
  and scheme, no cookies; its ``user`` is a ``SharedReader``, which says that someone is logged
  in and nothing more; its ``session`` raises when read;
- its context is the page's **shell context** (``page.shell_context``), made of the page's own
  values and of **facts** about the reader (``Fact``: true or false, with named sub-facts such
  as ``enrollment.completed_at``), never of the reader's objects: a fact used as anything but a
  truth value raises;
- the shell's name holds every fact of its context (``facts_of``), so two readers share a shell
  only when every fact the template can test is the same for both.

Reading anything else of the reader raises ``LeakError``: in tests (``SHELLS_FAIL_LOUDLY``) and
with DEBUG the request fails; in production the page is rendered whole and the error logged.
learning/tests/test_shells.py renders every reader state both ways and compares.

Shells are kept in each process, the ``SIZE`` most recently used, while the page cache's
generation lasts (any publication or change of what pages show retires them). A page is
rendered whole, as before, for a preview, when the page cache is off, for a user who may open
the admin (Wagtail's user bar is theirs alone) and when messages wait to be shown.
docs/performance.md measures what shells save (a student's course page renders in a fifth of
the time).
"""

import contextvars
import logging
import re
import secrets

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.response import TemplateResponse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from core import kept as page_cache
from core.admin_access import opens_admin
from core.templatetags.site_tags import site_key

logger = logging.getLogger(__name__)

SIZE = 256
#: Off in tests that compare a page rendered whole with its shell.
enabled = True

_MARK = secrets.token_hex(8)  # random per process: no content can hold a marker
_SLOT = re.compile(f"{_MARK}([a-z_]+){_MARK}")
_CSRF = "csrf_token"
_shells = page_cache.recent_store(SIZE)


class LeakError(Exception):
    """A shell's shared render read something of the reader outside the slots."""


#: The leaks of the shell being rendered: Django's templates swallow some exceptions (a
#: comparison in ``{% if %}`` that raises is false), so each leak is also noted here.
_leaks = contextvars.ContextVar("shell_leaks", default=None)


def leak(message):
    """Note a leak in the shell being rendered, and raise ``LeakError``."""
    found = _leaks.get()
    if found is not None:
        found.append(message)
    raise LeakError(message)


class _Marker(SafeString):
    """Where a reader's value goes in a shell: printed bare, never tested or filtered (the
    value is not there to test; a filter would break the marker, which ``_shell`` refuses)."""

    def __bool__(self):
        leak("a shell's template tested a reader's value")

    def __str__(self):  # what string filters call first
        leak("a shell's template filtered a reader's value")


class _Markers(dict):
    def __missing__(self, name):
        return _Marker(f"{_MARK}{name}{_MARK}")


class Fact:
    """A fact about the reader in a shell's context: true or false, and its named sub-facts
    (``Fact(True, completed_at=Fact(False))`` for ``{% if enrollment.completed_at %}``). Any
    other use (printing it, iterating, another attribute) raises ``LeakError``."""

    __slots__ = ("truth", "parts")

    def __init__(self, truth, **parts):
        self.truth = bool(truth)
        self.parts = parts

    def __bool__(self):
        return self.truth

    def __getattr__(self, name):
        try:
            return object.__getattribute__(self, "parts")[name]
        except KeyError:
            leak(f"a shell's template read {name!r} of a fact about the reader")

    def _refuse(self, *args, **kwargs):
        leak("a shell's template used a fact about the reader as a value")

    def __getitem__(self, name):
        raise TypeError("a fact has no items")  # templates then read its attribute (above)

    __str__ = __iter__ = __len__ = __contains__ = __html__ = __eq__ = __ne__ = _refuse
    __hash__ = None

    def __repr__(self):
        return f"Fact({self.truth}, {self.parts})"


def facts_of(context):
    """Every fact in ``context`` with its sub-facts, by name, wherever it is (in lists, tuples
    and dicts of the context too): part of the shell's name."""

    def walk(prefix, value):
        if isinstance(value, Fact):
            yield prefix, value.truth
            for name, part in sorted(value.parts.items()):
                yield from walk(f"{prefix}.{name}", part)
        elif isinstance(value, dict):
            for name, item in sorted(value.items(), key=lambda pair: str(pair[0])):
                yield from walk(f"{prefix}.{name}", item)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                yield from walk(f"{prefix}.{index}", item)

    return tuple(walk("", context))


class _Refused:
    """What a shared request holds instead of something of the reader: reading it raises."""

    def __init__(self, what):
        self.what = what

    def __getattr__(self, name):
        leak(f"a shell's template read {self.what}.{name}")

    def _refuse(self, *args, **kwargs):
        leak(f"a shell's template read {self.what}")

    def __getitem__(self, name):
        raise TypeError("no items")  # templates then read the attribute (above)

    __str__ = __iter__ = __len__ = __contains__ = __bool__ = __eq__ = __ne__ = _refuse
    __hash__ = None


class SharedReader(_Refused):
    """The user of a shared request: someone logged in, who may not open the admin; reading
    anything else of them raises."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self):
        super().__init__("the reader")

    def __bool__(self):
        return True


class SharedRequest(HttpRequest):
    """A plain request with the scheme of the request it stands for (a plain ``HttpRequest``
    says "http", whatever the server, WSGI or ASGI, was asked)."""

    def __init__(self, scheme):
        super().__init__()
        self.original_scheme = scheme

    @property
    def scheme(self):
        return self.original_scheme


def shared_request(request):
    """A request for the page of ``request`` that carries nothing of its reader: its path,
    host, port and scheme, the site and generation the page is served under; its cookies, query
    string, form, files and session raise when read; its user is a ``SharedReader``."""
    shared = SharedRequest(request.scheme)
    shared.method = "GET"
    shared.path, shared.path_info = request.path, request.path_info
    shared.META = {
        name: request.META[name]
        for name in ("HTTP_HOST", "SERVER_NAME", "SERVER_PORT")
        if name in request.META
    }
    for name, what in (("GET", "query string"), ("POST", "form"), ("COOKIES", "cookies")):
        setattr(shared, name, _Refused(f"the reader's {what}"))
    shared.FILES = _Refused("the reader's files")
    shared.user = SharedReader()
    shared.session = _Refused("the session")
    shared.is_preview = False
    for name in ("resolved_site", "cache_generation"):  # ours (core.sites, core.cache)
        if hasattr(request, name):
            setattr(shared, name, getattr(request, name))
    return shared


def refuse_leak():
    """Called while a ``LeakError`` is handled: raise it again in tests and with DEBUG, else log
    it (the page is then rendered whole)."""
    if settings.DEBUG or getattr(settings, "SHELLS_FAIL_LOUDLY", False):
        raise
    logger.exception("A shell read the reader's data; the page is rendered whole")


def reader_values(request, **values):
    """The template's ``reader``: the reader's name (for the site header) and ``values``."""
    return {"display_name": lambda: request.user.display_name, **values}


class ShellResponse(TemplateResponse):
    """A page's response, rendered from its kept shell when the page has one for this reader.

    ``shell_context``: a callable returning the context of the shared render (the page's own
    values and facts about the reader, see the module's docstring), or None for a page to
    render whole.
    """

    def __init__(self, request, template, context, shell_context):
        super().__init__(request, template, context)
        self.reader_request = request
        self.shell_context = shell_context

    @property
    def rendered_content(self):
        request = self.reader_request
        shell = self._shell_parts()
        if shell is None:
            return super().rendered_content
        values = self.context_data["reader"]
        filled = list(shell)
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

    def _shell_parts(self):
        """The kept shell's pieces for this reader, or None to render the page whole."""
        request = self.reader_request
        current = page_cache.request_generation(request)
        if not (enabled and current) or getattr(request, "is_preview", False):
            return None
        if opens_admin(request.user, current) or len(get_messages(request)):
            return None
        shared = shared_request(request)
        try:
            context = self.shell_context(shared)
            if context is None:
                return None
            name = f"shell:{site_key(request)}:{request.path}:{self.template_name}"
            name = f"{name}:{request.scheme}:{facts_of(context)!r}"
            pieces = page_cache.recent_value(
                name, lambda: self._shell_or_failure(shared, context), current, _shells
            )
        except LeakError:
            refuse_leak()
            return None
        return pieces or None  # () after a failure: rendered whole until the generation ends

    def _shell_or_failure(self, shared, context):
        """The shell, or ``()`` (kept, so that the failure is logged once) when its template
        read the reader's data in production."""
        try:
            return self._shell(shared, context)
        except LeakError:
            refuse_leak()
            return ()

    def _shell(self, shared, context):
        """The template rendered from the shared request and context, with markers for the
        reader's values, split at them: ``[text, slot name, text, slot name, ..., text]``."""
        context = {
            "page": self.context_data["page"],
            "self": self.context_data["page"],
            "request": shared,
            **context,
            "opens_admin": False,  # a reader who may open the admin gets the whole page
            "reader": _Markers(),
            _CSRF: mark_safe(f"{_MARK}{_CSRF}{_MARK}"),  # noqa: S308 ({% csrf_token %} tests it)
        }
        template = self.resolve_template(self.template_name)
        found = []
        token = _leaks.set(found)
        try:
            pieces = _SLOT.split(str(template.render(context, shared)))
        finally:
            _leaks.reset(token)
        if found:  # raised inside the template, and swallowed there
            raise LeakError(found[0])
        if any(_MARK in text for text in pieces[::2]):
            raise LeakError("a shell's template filtered a reader's value")
        return pieces


def reader(request):
    """Context processor: ``reader`` with the reader's name, for the site header of every
    page; a page kept as a shell gives its own (``reader_values``)."""
    return {"reader": reader_values(request)}
