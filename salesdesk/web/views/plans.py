"""Pages for plans (issue 4)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
