"""factory_boy factories for customers; USCCs get a correct check character."""

from __future__ import annotations

import factory

from salesdesk.core.models import Region
from salesdesk.core.text import name_match_key, pinyin_keys
from salesdesk.core.validators import uscc_check_char
from salesdesk.customers.models import Address, Contact, Customer


def make_uscc(n: int) -> str:
    """A valid USCC: 9 (工商) 1 (企业), 深圳 440300, a 9-character body, then the mod-31 check."""
    first17 = f"91440300{n:09d}"
    return first17 + uscc_check_char(first17)


class CustomerFactory(factory.django.DjangoModelFactory[Customer]):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"KT{n:06d}")
    name = factory.Sequence(lambda n: f"深圳测试{n}号科技有限公司")
    short_name = factory.Sequence(lambda n: f"测试{n}")
    kind = Customer.Kind.COMPANY
    uscc = factory.Sequence(make_uscc)
    grade = Customer.Grade.C
    name_key = factory.LazyAttribute(lambda o: name_match_key(o.name))
    pinyin_initials = factory.LazyAttribute(lambda o: pinyin_keys(o.name)[0])
    pinyin_full = factory.LazyAttribute(lambda o: pinyin_keys(o.name)[1])


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = "张伟"
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    is_primary = True


class AddressFactory(factory.django.DjangoModelFactory[Address]):
    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    region = factory.LazyFunction(lambda: Region.objects.get(code="440305"))
    detail = "粤海街道科技园路1号"
    receiver = "李娜"
    mobile = "13800138000"
    is_default = True
