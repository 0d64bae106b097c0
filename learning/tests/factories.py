"""Factories for the learning page tree, media and module bodies."""

import factory
import wagtail_factories
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model

from learning.models import CoursePage, ModulePage, SubjectPage


class SubjectPageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Subject {n}")
    intro = "<p>A subject.</p>"

    class Meta:
        model = SubjectPage


class CoursePageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Course {n}")
    overview = "<p>What this course covers.</p>"
    level = CoursePage.Level.BEGINNER
    duration_hours = 4

    class Meta:
        model = CoursePage


class ModulePageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Module {n}")
    description = "What this module covers."

    class Meta:
        model = ModulePage


class ImageFactory(wagtail_factories.ImageFactory):
    title = factory.Sequence(lambda n: f"Image {n}")


class DocumentFactory(factory.django.DjangoModelFactory):
    title = factory.Sequence(lambda n: f"Document {n}")
    file = factory.LazyAttribute(lambda o: ContentFile(o.content, name=o.filename))

    class Params:
        filename = "handout.pdf"
        content = b"%PDF-1.4\n% test document\n"

    class Meta:
        model = get_document_model()
        exclude = ["filename", "content"]
