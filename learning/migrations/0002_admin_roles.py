"""Create the Instructors group and give the Editors group publishing rights."""

from django.db import migrations

from learning.roles import grant_roles


def create_roles(apps, schema_editor):
    grant_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0001_initial"),
        ("home", "0003_create_homepage"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
