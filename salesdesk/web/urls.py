"""Web pages. Each area's views module exports its own ``urlpatterns``; they are joined here."""

from django.urls import path

from .views import base, catalog, customers, fulfillment, inventory, orders, pricing, shipping, system

app_name = "web"

urlpatterns = [
    path("login/", base.login_view, name="login"),
    path("logout/", base.logout_view, name="logout"),
    path("", base.home, name="home"),
    *system.urlpatterns,
    *customers.urlpatterns,
    *catalog.urlpatterns,
    *inventory.urlpatterns,
    *pricing.urlpatterns,
    *orders.urlpatterns,
    *fulfillment.urlpatterns,
    *shipping.urlpatterns,
]
