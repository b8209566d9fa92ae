from __future__ import annotations

from typing import Any, cast

import factory
from django.contrib.auth.models import Group

from salesdesk.accounts.models import Department, Team, User

PASSWORD = "Passw0rd!x"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"D{n:02d}")
    name = factory.Sequence(lambda n: f"部门{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"销售{n}组")
    department = factory.SubFactory(DepartmentFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"员工{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create or not extracted:
            return
        user = cast(User, self)  # post_generation hooks receive the built model instance
        user.groups.set(Group.objects.filter(name__in=extracted))
        if "administrator" in extracted:
            user.is_staff = True
        user.save()
        user._role_codes = None


def make_user(*roles: str, **kwargs: Any) -> User:
    user = cast(User, UserFactory(roles=list(roles), **kwargs))
    user.save()
    return User.objects.get(pk=user.pk)
