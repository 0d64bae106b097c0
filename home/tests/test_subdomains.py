"""Course subdomains: ``<course-slug>.<site hostname>`` redirects to the course on the main domain.

Wagtail keeps the sites' root paths in the Django cache, so every test starts and ends with a
clear cache: a hostname changed here must neither be missed nor leak into other tests.
"""

import pytest
from wagtail.models import Page, PageViewRestriction, Site

from conftest import clear_cache
from home.models import HomePage
from learning.tests import factories

COURSE_URL = "http://learn.example/mathematics/calculus/"


@pytest.fixture
def learn_site(home, settings):
    """The default site served at learn.example, whose subdomains Django accepts."""
    settings.ALLOWED_HOSTS = [".learn.example", "testserver", "127.0.0.1", "[::1]"]
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "learn.example", 80
    site.save()
    clear_cache()
    yield site
    clear_cache()


@pytest.fixture
def other_site(learn_site, settings):
    """A second site, other.example, with its own tree holding the course "physics"."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, ".other.example"]
    other_home = Page.get_first_root_node().add_child(
        instance=HomePage(title="Other home", slug="other-home")
    )
    Site.objects.create(hostname="other.example", port=80, root_page=other_home)
    science = factories.SubjectPageFactory(parent=other_home, title="Science", slug="science")
    factories.CoursePageFactory(parent=science, title="Physics", slug="physics")
    clear_cache()
    return other_home


def get(client, host, path="/", **extra):
    return client.get(path, HTTP_HOST=host, **extra)


@pytest.mark.django_db
def test_course_subdomain_redirects_permanently_to_the_course(client, learn_site, course):
    response = get(client, "calculus.learn.example")

    assert response.status_code == 301
    assert response["Location"] == COURSE_URL


@pytest.mark.django_db
def test_course_subdomain_redirect_target_serves_the_course(client, learn_site, course):
    target = get(client, "calculus.learn.example")["Location"]

    response = get(client, "learn.example", target.removeprefix("http://learn.example"))

    assert response.status_code == 200
    assert response.context["page"].specific == course


@pytest.mark.django_db
def test_course_subdomain_in_capitals_redirects_to_the_course(client, learn_site, course):
    response = get(client, "CALCULUS.Learn.Example")

    assert response.status_code == 301
    assert response["Location"] == COURSE_URL


@pytest.mark.django_db
def test_course_subdomain_redirect_keeps_https(client, learn_site, course):
    response = get(client, "calculus.learn.example", secure=True)

    assert response["Location"] == "https://learn.example/mathematics/calculus/"


@pytest.mark.django_db
def test_course_subdomain_redirect_keeps_a_non_default_port(client, learn_site, course):
    response = get(client, "calculus.learn.example:8000")

    assert response.status_code == 301
    assert response["Location"] == "http://learn.example:8000/mathematics/calculus/"


@pytest.mark.django_db
def test_course_subdomain_redirect_drops_the_default_port(client, learn_site, course):
    response = get(client, "calculus.learn.example:80")

    assert response["Location"] == COURSE_URL


@pytest.mark.django_db
def test_unknown_course_subdomain_is_not_found(client, learn_site, course):
    response = get(client, "nosuchcourse.learn.example")

    assert response.status_code == 404


@pytest.mark.django_db
def test_subject_subdomain_is_not_found(client, learn_site, course):
    response = get(client, "mathematics.learn.example")

    assert response.status_code == 404


@pytest.mark.django_db
def test_module_subdomain_is_not_found(client, learn_site, module):
    response = get(client, "limits.learn.example")

    assert response.status_code == 404


@pytest.mark.django_db
def test_unpublished_course_subdomain_is_not_found(client, learn_site, course):
    course.unpublish()

    response = get(client, "calculus.learn.example")

    assert response.status_code == 404


@pytest.mark.django_db
def test_course_under_an_unpublished_subject_is_not_found(client, learn_site, subject, course):
    subject.unpublish()  # Wagtail leaves the course itself live

    response = get(client, "calculus.learn.example")

    assert response.status_code == 404


@pytest.mark.django_db
def test_private_course_subdomain_is_not_found(client, learn_site, course):
    PageViewRestriction.objects.create(
        page=course, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )

    response = get(client, "calculus.learn.example")

    assert response.status_code == 404


@pytest.mark.django_db
def test_bare_domain_serves_the_home_page(client, learn_site, course):
    response = get(client, "learn.example")

    assert response.status_code == 200
    assert response.context["page"].specific == learn_site.root_page.specific


@pytest.mark.django_db
def test_www_subdomain_is_not_redirected(client, learn_site, course):
    response = get(client, "www.learn.example")

    assert response.status_code == 200
    assert response.context["page"].specific == learn_site.root_page.specific


@pytest.mark.django_db
def test_course_subdomain_outside_allowed_hosts_is_refused(client, learn_site, settings, course):
    settings.ALLOWED_HOSTS = ["learn.example", "testserver"]

    response = get(client, "calculus.learn.example")

    assert response.status_code == 400


@pytest.mark.django_db
def test_host_of_another_domain_is_refused(client, learn_site, course):
    response = get(client, "calculus.evil.example")

    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:8000", "[::1]", "[::1]:8000"])
def test_ip_address_host_passes_through(client, learn_site, course, host):
    response = get(client, host)

    assert response.status_code == 200


@pytest.mark.django_db
def test_ip_address_host_is_not_read_as_a_subdomain(client, learn_site, home):
    # Only a site whose hostname is a numeric suffix of the address could make 127.0.0.1 look
    # like the subdomain "127" of it; the address must still reach the site, not a 404.
    Site.objects.create(hostname="0.0.1", port=80, root_page=home)
    clear_cache()

    response = get(client, "127.0.0.1")

    assert response.status_code == 200


@pytest.mark.django_db
def test_course_of_another_site_is_not_found_on_this_sites_subdomain(client, other_site):
    response = get(client, "physics.learn.example")

    assert response.status_code == 404


@pytest.mark.django_db
def test_course_subdomain_of_a_second_site_redirects_to_that_site(client, other_site):
    response = get(client, "physics.other.example")

    assert response.status_code == 301
    assert response["Location"] == "http://other.example/science/physics/"
