"""Login URLs, mounted at ``/accounts/``."""

from django.urls import path

from pubcredit.access import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("totp/", views.totp_view, name="totp"),
    path("totp/setup/", views.totp_setup_view, name="totp_setup"),
    path("oidc/start/", views.oidc_start, name="oidc_start"),
    path("oidc/callback/", views.oidc_callback, name="oidc_callback"),
]
