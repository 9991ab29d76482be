from django.contrib import admin
from django.urls import include, path

from pubcredit.access import views as access_views
from pubcredit.api import api

admin.site.site_header = "杭州市公共信用信息平台 · 管理后台"
admin.site.site_title = "公共信用信息平台管理后台"
admin.site.index_title = "业务管理"
# The index tells operators when a year's holiday schedule is due (workdays.services.schedule_reminder).
admin.site.index_template = "admin/pubcredit_index.html"

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("pubcredit.access.urls")),
    path("admin/login/", access_views.admin_login),  # one login for all: password, then the one-time code
    path("admin/", admin.site.urls),
    path("quality/", include("pubcredit.monitoring.urls")),
    path("officer/", include("pubcredit.collection.urls")),
    path("", include("pubcredit.reports.urls")),
    path("", include("pubcredit.portal.urls")),
]

handler400 = "pubcredit.portal.views.bad_request"
handler403 = "pubcredit.portal.views.permission_denied"
handler404 = "pubcredit.portal.views.page_not_found"
handler500 = "pubcredit.portal.views.server_error"
