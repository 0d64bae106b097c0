"""API tokens on the account page: a student creates and revokes their own."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.models import APIToken

MAX_ACTIVE_TOKENS = 10
#: Where a new token's secret waits, in the session, for the page that shows it once.
NEW_TOKEN_KEY = "new_api_token"


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Token name",
        help_text="What the token is for, e.g. “Phone app” or “CRM sync”.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    active = APIToken.objects.filter(user=request.user, revoked_at__isnull=True)
    form = TokenForm(request.POST or None)
    # A new token's secret is shown once, on the page the creation redirects to (so that
    # reloading that page shows the list again and never creates a second token).
    plaintext = request.session.pop(NEW_TOKEN_KEY, None) if request.method == "GET" else None
    if request.method == "POST" and form.is_valid():
        if active.count() >= MAX_ACTIVE_TOKENS:
            form.add_error(None, f"You have {MAX_ACTIVE_TOKENS} tokens: revoke one first.")
        else:
            _, secret = APIToken.create_token(user=request.user, name=form.cleaned_data["name"])
            request.session[NEW_TOKEN_KEY] = secret
            return redirect("api_tokens")
    return TemplateResponse(
        request,
        "registration/api_tokens.html",
        {
            "form": form,
            "plaintext": plaintext,
            "tokens": APIToken.objects.filter(user=request.user).order_by("-created"),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def revoke_token(request, token_id):
    token = get_object_or_404(APIToken, pk=token_id, user=request.user)
    if token.revoked_at is None:
        token.revoke()
        messages.info(request, f"The token “{token.name}” is revoked: it no longer works.")
    return redirect("api_tokens")
