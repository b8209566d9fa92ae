from django.contrib import admin
from django.urls import include, path

from config.api import api
from salesdesk.web.views import base as web_views

admin.site.site_header = "SalesDesk 管理后台"
admin.site.site_title = "SalesDesk"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("salesdesk.web.urls")),
]

handler403 = web_views.error_403
handler404 = web_views.error_404
handler500 = web_views.error_500
