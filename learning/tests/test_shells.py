"""Course and module pages kept as shells (learning/shells.py): a reader's page from a shell
another reader's request built is the page rendered whole for them, in every reader state."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from learning import progress, shells
from learning.models import Certificate, Enrollment, ModuleCompletion
from learning.shells import Fact
from learning.tests import factories
from learning.tests.quiz_data import QUIZ_ID, RIGHT, add_quiz

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')


@pytest.fixture
def built(monkeypatch):
    """The facts of the shells built, in order."""
    names = []
    build = shells.ShellResponse._shell

    def spy(self, shared, context):
        names.append(shells.facts_of(context))
        return build(self, shared, context)

    monkeypatch.setattr(shells.ShellResponse, "_shell", spy)
    return names


@pytest.fixture
def modules(course, module, instructor):
    second = factories.ModulePageFactory(
        parent=course, title="Derivatives", slug="derivatives", owner=instructor
    )
    third = factories.ModulePageFactory(
        parent=course, title="Integrals & <series>", slug="integrals", owner=instructor
    )
    add_quiz(second)
    return [module, second, third]


def reader(name, course=None, enrolled_days_ago=None, **extra):
    user = make_user(name, **extra)
    if course is not None:
        enrollment = Enrollment.objects.create(user=user, course=course)
        if enrolled_days_ago is not None:
            created = timezone.now() - datetime.timedelta(days=enrolled_days_ago)
            Enrollment.objects.filter(pk=enrollment.pk).update(created_at=created)
    return user


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return TOKEN.sub('name="csrfmiddlewaretoken" value="TOKEN"', response.content.decode())


def assert_kept_page_is_the_whole_page(url, first, second, built):
    """``second``'s page, from the shell ``first``'s request built, equals their page
    rendered whole; returns it."""
    page(client_of(first), url)
    count = len(built)
    client = client_of(second)
    kept = page(client, url)
    assert len(built) == count, "the second reader's page was not made from the shell"
    shells.enabled = False
    try:
        whole = page(client, url)
    finally:
        shells.enabled = True
    assert kept == whole
    return kept


def test_enrolled_readers_share_a_course_shell_and_see_their_own_values(course, modules, built):
    first = reader("ada", course, enrolled_days_ago=3, first_name="Ada")
    second = reader("bob", course, enrolled_days_ago=40, first_name="<b>Bob</b> & co")
    ModuleCompletion.objects.create(user=second, module=modules[0])
    html = assert_kept_page_is_the_whole_page(course.url, first, second, built)
    since = timezone.localtime(Enrollment.objects.get(user=second).created_at)
    assert f"You are enrolled since {since.day} {since:%B %Y}." in html
    assert "&lt;b&gt;Bob&lt;/b&gt; &amp; co" in html and "<b>Bob</b>" not in html
    assert "Ada" not in html
    assert "1 of 3 modules complete" in html
    assert "Integrals &amp; &lt;series&gt;" in html


def test_readers_who_resume_share_a_shell_with_their_own_module(course, modules, built):
    first, second = reader("ada", course), reader("bob", course)
    Enrollment.objects.filter(user=first).update(last_module=modules[0])
    Enrollment.objects.filter(user=second).update(last_module=modules[2])
    html = assert_kept_page_is_the_whole_page(course.url, first, second, built)
    assert f'href="{modules[2].url}">Continue: Integrals &amp; &lt;series&gt;' in html


def test_readers_who_completed_the_course_see_their_own_certificate(course, modules, built):
    first, second = reader("ada", course), reader("bob", course)
    for user in (first, second):
        for module in modules:
            ModuleCompletion.objects.create(user=user, module=module)
        assert progress.record_course_completion(Enrollment.objects.get(user=user))
    html = assert_kept_page_is_the_whole_page(course.url, first, second, built)
    mine = Certificate.objects.get(user=second, course=course)
    theirs = Certificate.objects.get(user=first, course=course)
    assert reverse("learning:certificate", args=[mine.pk]) in html
    assert str(theirs.pk) not in html
    assert "You completed this course on" in html


def test_readers_not_enrolled_share_a_shell_with_their_own_token(course, modules, built):
    first, second = reader("ada"), reader("bob")
    html = assert_kept_page_is_the_whole_page(course.url, first, second, built)
    assert reverse("learning:enroll", args=[course.pk]) in html
    client = Client(enforce_csrf_checks=True)
    client.force_login(second)
    response = client.get(course.url)
    tokens = TOKEN.findall(response.content.decode())
    assert len(tokens) == 2 and len(set(tokens)) == 1  # the log-out and enroll forms
    response = client.post(
        reverse("learning:enroll", args=[course.pk]), {"csrfmiddlewaretoken": tokens[0]}
    )
    assert response.status_code == 302
    assert Enrollment.objects.filter(user=second, course=course).exists()


def test_each_reader_state_is_a_shell_of_its_own(course, modules, built):
    enrolled, other = reader("ada", course), reader("bob")
    page(client_of(enrolled), course.url)
    html = page(client_of(other), course.url)
    assert len(built) == 2
    assert "You are enrolled since" not in html and "Enroll" in html


def test_module_readers_share_a_shell_with_their_own_progress_and_quiz_state(
    course, modules, built
):
    first, second = reader("ada", course), reader("bob", course, first_name="<i>Bob</i>")
    ModuleCompletion.objects.create(user=second, module=modules[0])
    url = modules[1].url  # with a quiz
    html = assert_kept_page_is_the_whole_page(url, first, second, built)
    assert "1 of 3 modules complete" in html
    assert 'badge--done">Passed' not in html
    assert "&lt;i&gt;Bob&lt;/i&gt;" in html


def test_a_passed_quiz_is_a_shell_of_its_own(course, modules, built):
    first, second = reader("ada", course), reader("bob", course)
    url = modules[1].url
    quiz = reverse("learning:quiz", args=[modules[1].pk, QUIZ_ID])
    for user in (first, second):
        assert client_of(user).post(quiz, RIGHT).status_code == 302
    html = assert_kept_page_is_the_whole_page(url, first, second, built)
    assert 'badge--done">Passed' in html
    fresh = reader("cyd", course)
    assert 'badge--done">Passed' not in page(client_of(fresh), url)


def test_a_completed_module_is_a_shell_of_its_own(course, modules, built):
    first, second = reader("ada", course), reader("bob", course)
    for user in (first, second):
        ModuleCompletion.objects.create(user=user, module=modules[2])
    html = assert_kept_page_is_the_whole_page(modules[2].url, first, second, built)
    assert "You have finished this module." in html
    assert reverse("learning:uncomplete", args=[modules[2].pk]) in html


def test_a_reader_with_a_message_waiting_gets_the_whole_page(course, modules, built):
    student = reader("ada")
    client = client_of(student)
    page(client, course.url)
    response = client.post(reverse("learning:enroll", args=[course.pk]), follow=True)
    assert "You are enrolled in" in response.content.decode()
    assert len(built) == 1  # the page with the message was rendered whole
    assert "You are enrolled in" not in page(client, course.url)


def test_an_admin_user_gets_the_whole_page_and_leaves_no_shell(course, modules, superuser, built):
    html = page(client_of(superuser), course.url)
    assert 'href="/admin/">Admin</a>' in html
    assert built == []
    student = reader("ada", course)
    html = page(client_of(student), course.url)
    assert "/admin/" not in html and len(built) == 1


def test_publishing_retires_the_shells(course, modules, built):
    first = reader("ada", course)
    page(client_of(first), course.url)
    course.title = "Calculus, second edition"
    course.save_revision().publish()
    html = page(client_of(first), course.url)
    assert "Calculus, second edition" in html and len(built) == 2


def test_without_the_page_cache_no_shell_is_kept(settings, course, modules, built):
    settings.PAGE_CACHE_SECONDS = 0
    student = reader("ada", course, first_name="Ada")
    assert "Ada" in page(client_of(student), course.url)
    assert built == []


def test_a_quiz_says_passed_to_enrolled_readers_only(course, modules, built):
    from learning.models import QuizAttempt

    owner = reader("owner")  # the course's owner, without the admin: course staff, not enrolled
    course.owner = owner
    course.save_revision().publish()
    QuizAttempt.objects.create(
        user=owner, module=modules[1], block_id=QUIZ_ID, quiz_title="Limits quiz",
        answers={}, results=[], score=100, pass_mark=100, passed=True,
    )  # fmt: skip
    html = page(client_of(owner), modules[1].url)
    assert "Enrolled students take this quiz here" in html
    assert 'badge--done">Passed' not in html
    assert len(built) == 1  # kept as a shell like anyone's


# --- nothing of a reader enters a shell but through its slots ---------------------------------
def shell_response(user, source, shell_context):
    """A response whose shell is the template ``source``, for ``user``'s request."""
    from django.template import engines
    from django.test import RequestFactory

    from core import cache as core_cache

    request = RequestFactory().get("/somewhere/", HTTP_COOKIE="sessionid=secret-session")
    request.user = user
    request.session = {"private": "the reader's session"}
    request.cache_generation = core_cache.generation()
    template = engines["django"].from_string(source) if isinstance(source, str) else source
    context = {"page": None, "reader": shells.reader_values(request, name=lambda: "Ada")}
    return shells.ShellResponse(request, template, context, lambda shared: shell_context)


LEAKS = {
    "the user's name": "{{ user.username }}",
    "the user's e-mail": "{% if user.email %}x{% endif %}",
    "the session": "{{ request.session.private }}",
    "a fact printed": "{{ enrollment }}",
    "a fact's undeclared field": "{{ enrollment.created_at }}",
    "a fact iterated": "{% for module in enrollment %}{{ module }}{% endfor %}",
    "a fact's length": "{{ enrollment|length }}",
    "a fact compared": "{% if enrollment == None %}x{% endif %}",
    "the user compared": "{% if user != page %}x{% endif %}",
    "the query string": "{{ request.GET.q }}",
    "the cookies": "{% if request.COOKIES.sessionid %}x{% endif %}",
    "a reader's value tested": "{% if reader.name %}x{% endif %}",
    "a reader's value filtered": "{{ reader.name|upper }}",
}


@pytest.mark.parametrize("leak", LEAKS)
def test_a_shell_that_reads_the_reader_outside_its_slots_fails_loudly_in_tests(leak):
    user = make_user("reader")
    response = shell_response(user, LEAKS[leak], {"enrollment": Fact(True, done=Fact(True))})
    with pytest.raises(shells.LeakError):
        response.render()


def test_in_production_a_shell_that_reads_the_reader_is_rendered_whole_and_logged(settings, caplog):
    settings.SHELLS_FAIL_LOUDLY = False
    user = make_user("reader", first_name="Ada", last_name="Lovelace")
    response = shell_response(user, "{{ user.username }}", {})
    assert response.render().content.decode() == "reader"  # whole: the reader's own page
    assert "A shell read the reader's data" in caplog.text
    caplog.clear()
    again = shell_response(user, response.template_name, {}).render()
    assert again.content.decode() == "reader"
    assert "A shell read the reader's data" not in caplog.text  # logged once a generation


def test_a_shell_sees_only_the_facts_and_its_slots():
    user = make_user("reader")
    source = (
        "{% if user.is_authenticated %}in{% endif %} {% if enrollment.done %}done{% endif %} "
        "{{ reader.name }} {{ request.path }} {% csrf_token %}"
    )
    html = shell_response(user, source, {"enrollment": Fact(True, done=Fact(True))})
    html = html.render().content.decode()
    assert html.startswith("in done Ada /somewhere/ <input")


def test_the_shells_name_holds_every_fact_so_readers_in_other_states_never_share_one(built):
    from django.template import engines

    template = engines["django"].from_string("{% if enrollment.done %}done{% endif %}")
    first, second, third = make_user("first"), make_user("second"), make_user("third")
    done, not_done = Fact(True, done=Fact(True)), Fact(True, done=Fact(False))
    assert shell_response(first, template, {"enrollment": done}).render().content == b"done"
    assert shell_response(second, template, {"enrollment": not_done}).render().content == b""
    assert shell_response(third, template, {"enrollment": done}).render().content == b"done"
    assert len(built) == 2  # the third reader's page came from the first one's shell


def test_facts_nested_in_lists_and_dicts_name_the_shell_too():
    def context(done):
        return {"modules": [{"title": "Limits", "done": Fact(done)}], "progress": Fact(True)}

    assert shells.facts_of(context(True)) != shells.facts_of(context(False))
    assert shells.facts_of(context(True)) == shells.facts_of(context(True))


@pytest.mark.parametrize("secure", [False, True])
def test_a_shared_request_has_the_scheme_host_and_path_of_the_readers_and_nothing_else(
    rf, settings, secure
):
    settings.ALLOWED_HOSTS = ["learn.example.com"]
    request = rf.get(
        "/maths/calculus/?page=2", secure=secure, HTTP_HOST="learn.example.com", HTTP_COOKIE="a=b"
    )
    shared = shells.shared_request(request)
    assert (shared.scheme, shared.is_secure()) == (request.scheme, secure)
    assert shared.build_absolute_uri() == request.build_absolute_uri().split("?")[0]
    assert shared.get_host() == "learn.example.com"
    with pytest.raises(shells.LeakError):
        str(shared.COOKIES)
