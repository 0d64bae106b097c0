"""`manage.py backup` and `restore` bring back the same courses, enrollments and chat messages."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from chat.models import Message
from learning.models import CoursePage, Enrollment
from learning.tests import factories


@pytest.mark.django_db(transaction=True)
def test_restore_brings_back_courses_enrollments_chat_and_media(
    tmp_path, settings, course, enrolled_student
):
    settings.MEDIA_ROOT = tmp_path / "media"
    Message.objects.create(course=course, author=enrolled_student, text="Hello class")
    document = factories.DocumentFactory(title="Handout", content=b"%PDF-1.4 kept")
    document_path = Path(document.file.path)
    before = {
        "courses": sorted(CoursePage.objects.values_list("title", flat=True)),
        "enrollments": sorted(Enrollment.objects.values_list("user__username", "course__title")),
        "messages": list(Message.objects.values_list("text", flat=True)),
    }

    call_command("backup", str(tmp_path / "backup"), stdout=StringIO())

    # Lose data after the backup: a course, an enrollment, a message and a file.
    Message.objects.all().delete()
    Enrollment.objects.all().delete()
    factories.CoursePageFactory(parent=course.get_parent(), title="Added after the backup")
    course.delete()
    document_path.unlink()

    call_command("restore", str(tmp_path / "backup"), "--yes", stdout=StringIO())

    after = {
        "courses": sorted(CoursePage.objects.values_list("title", flat=True)),
        "enrollments": sorted(Enrollment.objects.values_list("user__username", "course__title")),
        "messages": list(Message.objects.values_list("text", flat=True)),
    }
    assert after == before
    assert document_path.read_bytes() == b"%PDF-1.4 kept"


@pytest.mark.django_db
def test_restore_refuses_a_folder_that_is_not_a_backup(tmp_path):
    with pytest.raises(CommandError, match="not a backup folder"):
        call_command("restore", str(tmp_path), "--yes", stdout=StringIO())


@pytest.mark.django_db
def test_backup_refuses_to_overwrite_an_existing_folder(tmp_path):
    (tmp_path / "exists").mkdir()
    with pytest.raises(CommandError):
        call_command("backup", str(tmp_path / "exists"), stdout=StringIO())
