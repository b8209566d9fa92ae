"""The plan template read kept per process (PostgreSQL, core.shared_cache) and dropped when an input
of it changes: a template, a step, a department, a user's activity or department."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from salesdesk.core import shared_cache
from salesdesk.fulfillment.capacity import template_for_plan

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("fresh_shared_cache"),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the shared cache exists on PostgreSQL only"
    ),
]


def test_the_template_is_read_once_and_a_login_keeps_it(
    salesperson: Any, django_assert_num_queries: Any
) -> None:
    shared_cache._changed_in.set(None)  # the user was made in an earlier transaction (not this test's)
    template, steps = template_for_plan("standard")
    assert steps
    salesperson.last_login = timezone.now()
    salesperson.save(update_fields=["last_login"])  # as a login saves the user
    with django_assert_num_queries(0):
        again_template, again = template_for_plan("standard")
    assert again_template == template
    assert [s.pk for s in again] == [s.pk for s in steps]


def test_a_deactivated_default_owner_is_seen_at_the_next_read(salesperson: Any) -> None:
    _template, steps = template_for_plan("standard")
    step = steps[0]
    step.default_owner = salesperson
    step.save()
    assert getattr(template_for_plan("standard")[1][0], "default_owner_active") is True  # noqa: B009
    salesperson.is_active = False
    salesperson.save()
    assert getattr(template_for_plan("standard")[1][0], "default_owner_active") is False  # noqa: B009
