"""Refusals of the shipping services (409 unless said otherwise)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from salesdesk.core.errors import Conflict


class ShipmentNotEditable(Conflict):
    """Only draft shipments can be posted or cancelled."""

    code = "shipment_not_draft"
    default_message = gettext_lazy("Only draft shipments can be posted or cancelled.")


class ShipmentNotSignable(Conflict):
    """Only shipments on their way can be signed for, and only once."""

    code = "shipment_not_signable"
    default_message = gettext_lazy("Only shipped shipments that are not signed yet can be signed for.")


class ShipmentNotTrackable(Conflict):
    """Tracking events belong to shipments that have left the warehouse."""

    code = "shipment_not_trackable"
    default_message = gettext_lazy("Tracking events can only be added to shipped shipments.")
