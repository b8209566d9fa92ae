"""Fulfillment pages: plans, queues and capacity; alerts and notifications; changes and exceptions."""

from . import alerts, changes, plans

urlpatterns = [*plans.urlpatterns, *alerts.urlpatterns, *changes.urlpatterns]
