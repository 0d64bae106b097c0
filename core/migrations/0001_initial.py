import uuid

from django.db import migrations, models


def first_generation(apps, schema_editor):
    # Random: a database made afresh never meets what another one cached under the same prefix.
    value = uuid.uuid4().hex[:16]
    apps.get_model("core", "CacheGeneration").objects.create(pk=1, value=value)


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="CacheGeneration",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.CharField(max_length=32)),
                ("changed_at", models.DateTimeField(auto_now=True)),
            ],
            options={"verbose_name": "cache generation"},
        ),
        migrations.RunPython(first_generation, migrations.RunPython.noop),
    ]
