"""Customers, their contacts and delivery addresses (C2, DOMAIN.md §1.1, §1.4–§1.8)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesdesk.core.models import Region
from salesdesk.core.regions import RegionPath, region_path


class Customer(models.Model):
    """A buyer: a company, an individual business, a person or a public body.

    ``name`` is the registered full name and the invoice title, so full-width brackets are kept;
    ``name_key`` is what duplicate detection compares. ``owner`` NULL means the shared pool (公海).
    """

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        INDIVIDUAL_BUSINESS = "individual_business", _("Individual business")
        PERSON = "person", _("Natural person")
        GOVERNMENT = "government", _("Government or public institution")

    class Grade(models.TextChoices):
        A = "A", _("A · strategic")
        B = "B", _("B · important")
        C = "C", _("C · regular")
        D = "D", _("D · potential or at risk")

    class Status(models.TextChoices):
        POTENTIAL = "potential", _("Potential")
        ACTIVE = "active", _("Active")
        DISABLED = "disabled", _("Disabled")
        BLACKLIST = "blacklist", _("Blacklisted")

    class InvoiceType(models.TextChoices):
        SPECIAL = "special", _("Special VAT invoice")
        NORMAL = "normal", _("Ordinary VAT invoice")

    code = models.CharField(_("customer number"), max_length=12, unique=True)
    name = models.CharField(_("full name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    kind = models.CharField(_("customer type"), max_length=20, choices=Kind.choices, default=Kind.COMPANY)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, null=True, blank=True, unique=True
    )
    name_key = models.CharField(max_length=100, db_index=True, editable=False)
    pinyin_initials = models.CharField(_("pinyin initials"), max_length=100, blank=True, db_index=True)
    pinyin_full = models.CharField(_("pinyin"), max_length=400, blank=True, db_index=True)
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices, default=Grade.C)
    credit_limit = models.DecimalField(
        _("credit limit"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    payment_term_days = models.PositiveIntegerField(_("payment term (days)"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
        verbose_name=_("salesperson"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    industry = models.CharField(_("industry"), max_length=50, blank=True)
    source = models.CharField(_("source"), max_length=50, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    tax_number = models.CharField(_("taxpayer number"), max_length=20, blank=True)
    invoice_address = models.CharField(_("invoice address"), max_length=200, blank=True)
    invoice_phone = models.CharField(_("invoice phone"), max_length=30, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=40, blank=True)
    default_invoice_type = models.CharField(
        _("default invoice type"), max_length=10, choices=InvoiceType.choices, default=InvoiceType.NORMAL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    history = HistoricalRecords(excluded_fields=["name_key", "pinyin_initials", "pinyin_full", "updated_at"])

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        permissions = [
            ("view_full_contact", "Can see full contact details"),
            ("reassign_customer", "Can reassign customers"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credit_limit__isnull=True) | models.Q(credit_limit__gte=0),
                name="customer_credit_limit_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Contact(models.Model):
    """A person at the customer; ``pi_source`` records where the personal data came from (PIPL)."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=50)
    title = models.CharField(_("job title"), max_length=50, blank=True)
    mobile = models.CharField(_("mobile"), max_length=11, blank=True, db_index=True)
    phone = models.CharField(_("landline"), max_length=30, blank=True, db_index=True)
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat"), max_length=50, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    pi_source = models.CharField(_("source of personal data"), max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(is_primary=True), name="uniq_primary_contact"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Address(models.Model):
    """A delivery address: a county-level division (or a city without counties) plus the street."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("customer")
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("administrative division")
    )
    detail = models.CharField(_("street address"), max_length=200)
    receiver = models.CharField(_("receiver"), max_length=50, blank=True)
    mobile = models.CharField(_("receiver mobile"), max_length=11, blank=True)
    postcode = models.CharField(_("postcode"), max_length=6, blank=True)
    is_default = models.BooleanField(_("default address"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(is_default=True), name="uniq_default_address"
            ),
        ]

    def __str__(self) -> str:
        return self.full_text

    @property
    def region_info(self) -> RegionPath:
        """Province / city / district names (select ``region__parent__parent`` to avoid queries)."""
        return region_path(self.region)

    @property
    def region_text(self) -> str:
        return self.region_info.text

    @property
    def full_text(self) -> str:
        """广东省深圳市南山区科技园路1号, as printed on delivery notes."""
        return self.region_text + self.detail
