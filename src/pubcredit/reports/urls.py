from django.urls import path

from pubcredit.reports import views

app_name = "reports"
urlpatterns = [
    path("subjects/<str:key>/report/", views.full_report, name="full"),
    path("subjects/<str:key>/report.pdf", views.full_report_pdf, name="full_pdf"),
    path("subjects/<str:key>/special-report/", views.special_report, name="special"),
    path("subjects/<str:key>/special-report.pdf", views.special_report_pdf, name="special_pdf"),
    path("verify/", views.verify, name="verify"),
    path("verify/<str:code>/", views.verify, name="verify_code"),
]
