"""The reader's state in plain SQL (learning.rows) gives what the ORM gives; the user and enrollment
lookups are the ORM's own."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Model

from learning.models import Enrollment

pytestmark = pytest.mark.django_db


def field_values(instance):
    return {
        field.attname: getattr(instance, field.attname)
        for field in type(instance)._meta.concrete_fields
    }


def assert_same(plain, orm):
    assert isinstance(plain, Model) and type(plain) is type(orm)
    assert field_values(plain) == field_values(orm)
    assert plain._state.adding is False and plain._state.db == orm._state.db


def test_the_users_plain_lookup_by_pk_equals_the_orms(enrolled_student):
    User = get_user_model()
    plain = User.objects.get(pk=enrolled_student.pk)
    assert_same(plain, User.objects.filter(pk=enrolled_student.pk).get())
    assert plain.is_active is True and plain.date_joined.tzinfo is not None
    assert User.objects.get(pk=str(enrolled_student.pk)) == enrolled_student  # a session's id


def test_the_users_plain_lookup_raises_does_not_exist_for_a_missing_pk(db):
    User = get_user_model()
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=987654)


def test_other_user_lookups_are_the_orms(enrolled_student):
    User = get_user_model()
    assert User.objects.get(username=enrolled_student.username) == enrolled_student
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=enrolled_student.pk, is_active=False)


def test_a_deactivated_users_session_no_longer_logs_them_in(client, course, enrolled_student):
    client.force_login(enrolled_student)
    assert enrolled_student.display_name in client.get(course.url).content.decode()
    enrolled_student.is_active = False
    enrolled_student.save()
    page = client.get(course.url).content.decode()
    assert enrolled_student.display_name not in page
    assert "Log in" in page


def test_the_plain_enrollment_lookup_equals_the_orms(course, enrolled_student):
    enrollment = Enrollment.objects.get(user=enrolled_student, course=course)
    enrollment.completed_at = enrollment.created_at
    enrollment.save()
    plain = Enrollment.of(enrolled_student, course)
    assert_same(plain, Enrollment.objects.get(pk=enrollment.pk))
    assert plain.completed_at.tzinfo is not None


def test_the_plain_enrollment_lookup_is_none_when_not_enrolled(course, student, other_course):
    assert Enrollment.of(student, course) is None


def summaries(modules):
    return [(m.pk, m.title, m.slug, m.description, m.completed, m.url) for m in modules]


def test_a_readers_modules_and_enrollment_come_in_one_query(
    course, module, enrolled_student, student, django_assert_num_queries
):
    from learning.progress import complete_module
    from learning.tests.factories import ModulePageFactory

    second = ModulePageFactory(parent=course, title="Series", slug="series", owner=course.owner)
    draft = ModulePageFactory(parent=course, title="Draft", slug="draft", owner=course.owner)
    draft.unpublish()
    complete_module(enrolled_student, second)
    assert course.url  # the site's root paths, which page URLs read, now cached
    with django_assert_num_queries(2):  # the module list, the reader's state
        modules, enrollment, passed = course.reader_modules(enrolled_student)
    request = request_with_generation()
    course.module_list(request)  # kept in this process while the generation lasts
    with django_assert_num_queries(1):
        kept_modules, _, _ = course.reader_modules(enrolled_student, request)
    assert summaries(kept_modules) == summaries(modules)
    assert summaries(modules) == summaries(course.live_modules(enrolled_student))
    assert [m.completed for m in modules] == [False, True] and passed == set()
    assert_same(enrollment, Enrollment.objects.get(user=enrolled_student, course=course))


def test_a_readers_modules_without_enrollment_or_modules(subject, student, instructor):
    from learning.tests.factories import CoursePageFactory

    empty = CoursePageFactory(parent=subject, title="Empty", slug="empty", owner=instructor)
    assert empty.reader_modules(student) == ([], None, set())
    Enrollment.objects.create(user=student, course=empty)
    modules, enrollment, _ = empty.reader_modules(student)
    assert modules == [] and enrollment.user_id == student.pk and enrollment.course_id == empty.pk


def test_a_readers_passed_quizzes_of_a_module_come_in_the_same_query(
    course, module, other_module, enrolled_student, student, django_assert_num_queries
):
    from learning.models import QuizAttempt

    def attempt(user, on, block_id, passed):
        done = QuizAttempt.objects.filter(user=user, module=on, block_id=block_id).count()
        QuizAttempt.objects.create(
            user=user,
            module=on,
            block_id=block_id,
            number=done + 1,
            quiz_title="Quiz",
            answers=[],
            results=[],
            score=100 if passed else 0,
            pass_mark=50,
            passed=passed,
        )

    attempt(enrolled_student, module, "first", True)
    attempt(enrolled_student, module, "first", True)  # passed twice: one id
    attempt(enrolled_student, module, "second", False)  # failed
    attempt(enrolled_student, other_module, "third", True)  # another module
    other = get_user_model().objects.create(username="other")
    attempt(other, module, "fourth", True)  # another reader
    assert course.url
    request = request_with_generation()
    course.module_list(request)
    with django_assert_num_queries(1):
        _, enrollment, passed = course.reader_modules(enrolled_student, request, module=module)
    assert passed == {"first"} and enrollment is not None
    assert passed == progress_passed(enrolled_student, module)


def request_with_generation():
    """A request as PageCacheMiddleware hands it on with the page cache on."""
    import uuid

    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.cache_generation = uuid.uuid4().hex  # of this test alone
    return request


def progress_passed(user, module):
    from learning.progress import passed_quiz_ids

    return passed_quiz_ids(user, module)


def test_a_groups_users_are_still_filtered_by_the_group(enrolled_student, instructor):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="Reviewers")
    group.user_set.add(instructor)
    assert group.user_set.get(pk=instructor.pk) == instructor
    with pytest.raises(get_user_model().DoesNotExist):
        group.user_set.get(pk=enrolled_student.pk)  # not a member
