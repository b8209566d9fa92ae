"""Pages for inventory."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
