"""Where each page type may live in the tree, and that each can be created in the admin."""

from django.contrib.auth import get_user_model
from django.urls import reverse
from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from home.models import HomePage
from learning.models import CoursePage, ModulePage, SubjectPage
from learning.tests.factories import (
    CoursePageFactory,
    DocumentFactory,
    ImageFactory,
    SubjectPageFactory,
)

ALL_TYPES = [Page, HomePage, SubjectPage, CoursePage, ModulePage]


class PageTreeRulesTests(WagtailPageTestCase):
    """Each rule is checked from the parent's side and from the child's side."""

    def assertOnlyCreatableUnder(self, child_model, parent_model):
        self.assertAllowedParentPageTypes(child_model, {parent_model})
        for model in ALL_TYPES:
            if model is parent_model:
                self.assertCanCreateAt(model, child_model)
            else:
                self.assertCanNotCreateAt(model, child_model)

    def test_home_page_lives_only_at_the_tree_root(self):
        self.assertOnlyCreatableUnder(HomePage, Page)

    def test_subject_page_lives_only_under_a_home_page(self):
        self.assertOnlyCreatableUnder(SubjectPage, HomePage)

    def test_course_page_lives_only_under_a_subject_page(self):
        self.assertOnlyCreatableUnder(CoursePage, SubjectPage)

    def test_module_page_lives_only_under_a_course_page(self):
        self.assertOnlyCreatableUnder(ModulePage, CoursePage)

    def test_home_page_accepts_only_subject_pages(self):
        self.assertAllowedSubpageTypes(HomePage, {SubjectPage})

    def test_subject_page_accepts_only_course_pages(self):
        self.assertAllowedSubpageTypes(SubjectPage, {CoursePage})

    def test_course_page_accepts_only_module_pages(self):
        self.assertAllowedSubpageTypes(CoursePage, {ModulePage})

    def test_module_page_accepts_no_subpages(self):
        self.assertAllowedSubpageTypes(ModulePage, set())

    def test_tree_root_accepts_a_home_page_but_no_learning_page(self):
        allowed = set(Page.allowed_subpage_models())
        self.assertIn(HomePage, allowed)
        self.assertFalse(allowed & {SubjectPage, CoursePage, ModulePage})


class AdminCreationTests(WagtailPageTestCase):
    """A superuser creates and publishes each page type through the admin's add form."""

    @classmethod
    def setUpTestData(cls):
        cls.superuser = get_user_model().objects.create_superuser(
            "admin", "admin@example.com", "password"
        )
        cls.root = Page.get_first_root_node()
        cls.home = Site.objects.get(is_default_site=True).root_page.specific
        cls.subject = SubjectPageFactory(parent=cls.home, title="Mathematics")
        cls.course = CoursePageFactory(parent=cls.subject, title="Calculus", owner=cls.superuser)

    def setUp(self):
        self.client.force_login(self.superuser)

    def test_superuser_can_create_a_home_page_at_the_tree_root(self):
        data = nested_form_data({"title": "Second site", "intro": rich_text("<p>Welcome</p>")})
        self.assertCanCreate(self.root, HomePage, data)
        self.assertTrue(HomePage.objects.get(slug="second-site").live)

    def test_superuser_can_create_a_subject_page_under_the_home_page(self):
        data = nested_form_data({"title": "Physics", "intro": rich_text("<p>Forces.</p>")})
        self.assertCanCreate(self.home, SubjectPage, data)
        subject = SubjectPage.objects.get(slug="physics")
        self.assertEqual(subject.get_parent().pk, self.home.pk)
        self.assertIn("Forces.", subject.intro)

    def test_superuser_can_create_a_course_page_under_a_subject(self):
        image = ImageFactory()
        data = nested_form_data(
            {
                "title": "Linear algebra",
                "overview": rich_text("<p>Vectors and matrices.</p>"),
                "image": image.pk,
                "level": CoursePage.Level.ADVANCED,
                "duration_hours": "12",
            }
        )
        self.assertCanCreate(self.subject, CoursePage, data)
        course = CoursePage.objects.get(slug="linear-algebra")
        self.assertEqual(
            (course.level, course.duration_hours, course.image), ("advanced", 12, image)
        )
        self.assertEqual(course.owner, self.superuser)

    def test_superuser_can_create_a_module_page_with_every_block_type(self):
        document = DocumentFactory(title="Notes")
        image = ImageFactory()
        data = nested_form_data(
            {
                "title": "Derivatives",
                "description": "Rates of change.",
                "body": streamfield(
                    [
                        ("text", rich_text("<p>The slope of a curve.</p>")),
                        ("file", {"document": document.pk, "title": "", "description": ""}),
                        ("image", {"image": image.pk, "alt_text": "A tangent", "caption": ""}),
                        (
                            "video",
                            {
                                "title": "Intro",
                                "url": "https://youtu.be/dQw4w9WgXcQ",
                                "file": "",
                                "caption": "",
                            },
                        ),
                    ]
                ),
            }
        )
        self.assertCanCreate(self.course, ModulePage, data)
        module = ModulePage.objects.get(slug="derivatives")
        self.assertEqual(
            [block.block_type for block in module.body], ["text", "file", "image", "video"]
        )
        self.assertEqual(module.body[1].value["document"], document)

    def test_admin_rejects_an_invalid_video_when_creating_a_module(self):
        data = nested_form_data(
            {
                "title": "Broken",
                "description": "",
                "body": streamfield(
                    [("video", {"title": "Bad", "url": "https://example.com/v", "file": ""})]
                ),
            }
        )
        with self.assertRaisesMessage(AssertionError, "Validation errors found"):
            self.assertCanCreate(self.course, ModulePage, data)
        self.assertFalse(ModulePage.objects.filter(slug="broken").exists())

    def test_admin_refuses_to_add_a_page_type_not_allowed_under_the_parent(self):
        for model, parent in [
            (ModulePage, self.subject),
            (CoursePage, self.home),
            (SubjectPage, self.course),
            (SubjectPage, self.root),
        ]:
            url = reverse(
                "wagtailadmin_pages:add",
                args=[model._meta.app_label, model._meta.model_name, parent.pk],
            )
            with self.subTest(model=model.__name__, parent=type(parent).__name__):
                # Wagtail's admin answers PermissionDenied by sending the user to the dashboard.
                self.assertRedirects(self.client.get(url), reverse("wagtailadmin_home"))
                response = self.client.post(url, {"title": "Misplaced", "slug": "misplaced"})
                self.assertRedirects(response, reverse("wagtailadmin_home"))
                self.assertFalse(Page.objects.filter(slug="misplaced").exists())
