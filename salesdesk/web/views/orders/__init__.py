"""Pages for sales orders: keyboard-first entry with live quotes, review and submit, the list with
saved filters and exports, the detail page with its timeline and actions, the printable PDF, and the
public page where a customer confirms the order (C6, C14)."""

from django.urls import path

from .common import price_str
from .customer import customer_confirmation
from .detail import order_action, order_detail, order_pdf, pdf_context
from .entry import customer_search, customer_sidebar, order_edit, order_entry, order_quote, product_search
from .listing import EXPORT_LABELS, order_export, order_list, saved_filter_delete, saved_filter_save

__all__ = ["EXPORT_LABELS", "pdf_context", "price_str", "urlpatterns"]

urlpatterns = [
    path("orders/", order_list, name="order_list"),
    path("orders/new/", order_entry, name="order_entry"),
    path("orders/new/customers/", customer_search, name="order_customer_search"),
    path("orders/new/products/", product_search, name="order_product_search"),
    path("orders/new/sidebar/", customer_sidebar, name="order_sidebar"),
    path("orders/new/quote/", order_quote, name="order_quote"),
    path("orders/export/", order_export, name="order_export"),
    path("orders/filters/", saved_filter_save, name="order_filter_save"),
    path("orders/filters/<int:pk>/delete/", saved_filter_delete, name="order_filter_delete"),
    path("orders/<int:pk>/", order_detail, name="order_detail"),
    path("orders/<int:pk>/edit/", order_edit, name="order_edit"),
    path("orders/<int:pk>/actions/<str:action>/", order_action, name="order_action"),
    path("orders/<int:pk>/pdf/", order_pdf, name="order_pdf"),
    path("c/<str:token>/", customer_confirmation, name="customer_confirmation"),
]
