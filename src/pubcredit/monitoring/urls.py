"""Officer pages on submission quality, mounted at ``/quality/``.

The views and templates link relatively (no ``reverse`` of these names), so the app may be
included at any prefix, in the root URLconf or inside the portal's.
"""

from django.urls import path

from pubcredit.monitoring import views

app_name = "monitoring"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<str:code>/", views.department, name="department"),
]
