from django import forms

from notifications.models import Kind


class EmailSettingsForm(forms.Form):
    """One checkbox per kind: e-mail me about it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in Kind:
            self.fields[kind.value] = forms.BooleanField(label=kind.label, required=False)
