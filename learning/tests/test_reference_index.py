"""Student activity (enrollments, progress, certificates, chat) is not content: Wagtail's
reference index ("Usage" in the admin) does not record it, so saving it costs no index
rewrite, and a course's usage count is not its number of students."""

import pytest
from django.contrib.contenttypes.models import ContentType
from wagtail.models import ReferenceIndex

from chat import services as chat
from chat.models import Message, Presence
from learning.models import (
    Certificate,
    Enrollment,
    EnrollmentReminder,
    ModuleCompletion,
    QuizAttempt,
)
from learning.tests import factories

pytestmark = pytest.mark.django_db

ACTIVITY = [Enrollment, EnrollmentReminder, ModuleCompletion, QuizAttempt, Certificate, Message]


def test_activity_models_are_not_indexable():
    for model in [*ACTIVITY, Presence]:
        assert not ReferenceIndex.model_is_indexable(model), model


def test_enrolling_and_chatting_record_nothing_in_the_reference_index(course, enrolled_student):
    chat.post(course, enrolled_student, "hello")
    chat.enter(course, enrolled_student, "specific.x!y")
    types = ContentType.objects.get_for_models(*ACTIVITY, Presence).values()
    assert not ReferenceIndex.objects.filter(content_type__in=types).exists()
    usage = ReferenceIndex.get_references_to(course)
    assert not usage.filter(content_type__in=types).exists()


def test_posting_a_chat_message_takes_a_fixed_number_of_queries(
    course, enrolled_student, django_assert_max_num_queries
):
    chat.post(course, enrolled_student, "warm-up")
    with django_assert_max_num_queries(1):  # the INSERT; the rate limit is in the cache
        message = chat.post(course, enrolled_student, "hello")
    assert message.text == "hello"


def test_module_pages_still_record_their_references(course):
    module = factories.ModulePageFactory(parent=course)
    assert ReferenceIndex.model_is_indexable(type(module))
