"""Create the role groups of PRODUCT.md with their permissions (see salesdesk/accounts/roles.py)."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from salesdesk.accounts.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("core", "0002_load_regions"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
