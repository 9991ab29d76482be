from django.urls import path

from pubcredit.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("subjects/<str:key>/", views.subject, name="subject"),
    path("catalog/", views.catalog, name="catalog"),
]
