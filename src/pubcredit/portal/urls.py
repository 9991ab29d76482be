from django.urls import path

from pubcredit.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("subjects/<str:key>/", views.subject, name="subject"),
    path("catalog/", views.catalog, name="catalog"),
    path("catalog/<str:code>/", views.catalog_entry, name="catalog_entry"),
    path("catalog/<str:code>/template.csv", views.catalog_template, name="catalog_template"),
    path("application-list/", views.application_list, name="application_list"),
    path("my/", views.my_credit, name="my_credit"),
    path("my/query-log/", views.my_query_log, name="my_query_log"),
    path("my/authorizations/", views.my_authorizations, name="my_authorizations"),
    path("my/declarations/", views.my_declarations, name="my_declarations"),
    path("favicon.ico", views.favicon, name="favicon"),
]
