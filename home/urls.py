from django.contrib.auth import views as auth_views
from django.urls import include, path

from home import tokens, views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("tokens/", tokens.tokens, name="api_tokens"),
    path("tokens/<id:token_id>/revoke/", tokens.revoke_token, name="api_token_revoke"),
    path("", include("django.contrib.auth.urls")),
]
