"""Enrollments, progress and chat rows are activity, not content: they are no longer recorded in
Wagtail's reference index (``wagtail_reference_index_ignore``). Drop the rows recorded before."""

from django.db import migrations

ACTIVITY = {
    "learning": [
        "enrollment",
        "enrollmentreminder",
        "modulecompletion",
        "quizattempt",
        "certificate",
    ],
    "chat": ["message", "presence"],
}


def forget_activity(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    reference_index = apps.get_model("wagtailcore", "ReferenceIndex")
    for app_label, models in ACTIVITY.items():
        types = content_type.objects.filter(app_label=app_label, model__in=models)
        reference_index.objects.filter(content_type__in=types).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0005_video_captions"),
        ("chat", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0096_referenceindex_referenceindex_source_object_and_more"),
    ]

    operations = [migrations.RunPython(forget_activity, migrations.RunPython.noop)]
