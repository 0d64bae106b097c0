"""The admin's forms refuse posted data their own JavaScript never sends: a 400, not a 500.

Wagtail reads a rich text editor's value with ``json.loads`` and walks it as Draft.js content,
and reads a StreamField's hidden counts, types and orders with ``int()`` and ``data[key]``,
taking every key for granted. A tampered or truncated post (a count that is no number, a count
beyond the blocks sent, a block whose keys are missing, an editor value that is not its JSON)
raised ValueError, KeyError, TypeError or AttributeError: a 500. ``RefusesMalformedData`` turns
them into Django's ``BadRequest``, answered with the 400 page: no admin page sends such a post,
so there is no form to show it back in. Every rich text field of an admin form has it
(core/wagtail_hooks.py), and so has a module's body (``learning.blocks.ModuleBodyBlock``).

A chooser given a value that is no id (``'``) let its form say so, then failed to show the form
again (a ValueError): ``AdminImageChooser`` shows such a value as no image.
"""

from django.core.exceptions import BadRequest
from wagtail.images import widgets

#: What reading malformed form data raises.
MALFORMED = (LookupError, ValueError, TypeError, AttributeError)


class RefusesMalformedData:
    """For a widget or a block: ``value_from_datadict`` raises ``BadRequest`` (a 400) for data
    it cannot read."""

    def value_from_datadict(self, data, files, name):
        try:
            return super().value_from_datadict(data, files, name)
        except MALFORMED as error:
            raise BadRequest(f"Malformed form data for “{name}”.") from error


class AdminImageChooser(widgets.AdminImageChooser):
    """Wagtail's image chooser, showing a value that is no image id as no image.

    Named as Wagtail's: the admin styles a field by its widget's class name. Given by a page's
    panel (``FieldPanel("image", widget=...)``): wagtail.images registers its own chooser for
    every image field once it is ready, after this app.
    """

    def get_instance(self, value):
        try:
            return super().get_instance(value)
        except (ValueError, TypeError):
            return None
