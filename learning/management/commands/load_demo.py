"""Load the demo site: users, subjects, courses, modules and their media.

Idempotent: every object is looked up by a stable key (username, slug, title) and only created
when missing, so running it again changes nothing.
"""

import io
import json
from datetime import timedelta

from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, Site

from learning import demo_content, demo_media, progress, quizzes
from learning.announcements import announce
from learning.models import (
    Announcement,
    CoursePage,
    CourseStart,
    Enrollment,
    ModuleCompletion,
    ModulePage,
    QuizAttempt,
    SubjectPage,
)
from learning.roles import grant_roles

HOME_INTRO = (
    "<p>Courses written by practising instructors, organised by subject. Browse freely, "
    "enroll when you are ready, and learn at your own pace.</p>"
)


class Command(BaseCommand):
    help = "Create the demo users, subjects, courses and modules (safe to run more than once)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the site already has subjects (used by `make run`, so demo "
            "content an operator deleted is not brought back).",
        )

    def handle(self, *args, **options):
        if options["if_empty"] and SubjectPage.objects.exists():
            self.stdout.write("The site already has content: demo data not loaded.")
            return
        self.created = 0
        with transaction.atomic():
            users = self.load_users()
            home = self.load_home()
            media = self.load_shared_media()
            for subject_data in demo_content.SUBJECTS:
                self.load_subject(home, subject_data, users, media)
            self.load_learners(users)
            self.load_structure(users)
        password_note = (
            "from DEMO_PASSWORD" if settings.DEMO_PASSWORD != "learn-wagtail-2026" else "default"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({self.created} objects created). Log in as admin, editor, "
                f"instructor, instructor2 or student with the password "
                f"{settings.DEMO_PASSWORD!r} ({password_note})."
            )
        )

    # --- users -------------------------------------------------------------------------------
    def load_users(self):
        User = get_user_model()
        users = {}
        for username, first, last, role in demo_content.USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                    "is_staff": role == "superuser",
                    "is_superuser": role == "superuser",
                },
            )
            if created:
                user.set_password(settings.DEMO_PASSWORD)
                user.save()
                self.created += 1
            if role and role != "superuser":
                user.groups.add(Group.objects.get(name=role))
            users[username] = user
        return users

    # --- pages -------------------------------------------------------------------------------
    def load_home(self):
        site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
        home = site.root_page.specific if site else None
        if home._meta.label != "home.HomePage":
            raise SystemExit("The default site's root page is not a HomePage: migrate first.")
        if not home.intro:
            home.intro = HOME_INTRO
            home.save_revision().publish()
        # A home page made after the roles migration gets the same grants.
        grant_roles(global_apps, home_pages=[home])
        return home

    def publish(self, parent, page, owner):
        page.owner = owner
        parent.add_child(instance=page)
        page.save_revision(user=owner).publish(user=owner)
        self.created += 1
        return page

    def load_subject(self, home, data, users, media):
        subject = SubjectPage.objects.child_of(home).filter(slug=data["slug"]).first()
        if subject is None:
            subject = self.publish(
                home,
                SubjectPage(title=data["title"], slug=data["slug"], intro=data["intro"]),
                users["editor"],
            )
        for index, course_data in enumerate(data["courses"]):
            self.load_course(subject, course_data, users, media, data["palette"], index)

    def load_course(self, subject, data, users, media, palette, index):
        course = CoursePage.objects.child_of(subject).filter(slug=data["slug"]).first()
        owner = users[data["instructor"]]
        if course is None:
            cover = self.image(
                f"Cover: {data['title']}",
                lambda: demo_media.cover_image(palette, seed=index),
                owner,
            )
            course = self.publish(
                subject,
                CoursePage(
                    title=data["title"],
                    slug=data["slug"],
                    overview=data["overview"],
                    level=data["level"],
                    duration_hours=data["hours"],
                    image=cover,
                ),
                owner,
            )
        for number, (title, description) in enumerate(data["modules"], start=1):
            slug = f"{number:02d}-" + title.lower().replace(" ", "-").replace("'", "")
            if ModulePage.objects.child_of(course).filter(slug=slug).exists():
                continue
            is_last = number == len(data["modules"])
            body = self.module_body(course, title, description, number, media, palette, is_last)
            self.publish(
                course,
                ModulePage(title=title, slug=slug, description=description, body=body),
                owner,
            )

    def module_body(self, course, title, description, number, media, palette, is_last=False):
        """Module 1 of every course shows every block type; later modules use a subset, and
        the last one ends with a quiz too."""
        text = demo_content.module_text(course.title, title, description)
        diagram = self.image(
            f"Diagram: {course.title} – {title}",
            lambda: demo_media.diagram_image(title, palette),
            course.owner,
        )
        blocks = [
            {"type": "text", "value": text},
            {
                "type": "image",
                "value": {
                    "image": diagram.pk,
                    "alt_text": f"Bar chart illustrating {title.lower()}",
                    "caption": f"Figure {number}: {title}, at a glance.",
                },
            },
        ]
        if number == 1 or number % 2 == 0:
            blocks.append(
                {
                    "type": "video",
                    "value": {
                        "title": f"Introduction to {title.lower()}",
                        "url": "https://www.youtube.com/watch?v=WUvTyaaNkzM",
                        "file": None,
                        "caption": "A recorded lecture (plays from YouTube when you press play).",
                    },
                }
            )
        if number == 1:
            blocks.append(
                {
                    "type": "video",
                    "value": {
                        "title": "Sample clip",
                        "url": "",
                        "file": media["video"].pk,
                        "captions": media["captions"].pk,
                        "caption": "A short uploaded clip, played from this site.",
                    },
                }
            )
        blocks.append(
            {
                "type": "file",
                "value": {
                    "document": media["handout"].pk if number % 2 else media["notes"].pk,
                    "title": "Course handout" if number % 2 else "Study notes",
                    "description": "Print it or keep it beside you while you work.",
                },
            }
        )
        assessed = demo_content.ASSESSED_QUIZZES.get((course.slug, number))
        if assessed:
            blocks.append({"type": "quiz", "value": assessed})
        elif number == 1 or is_last:
            blocks.append({"type": "quiz", "value": demo_content.module_quiz(course.title, title)})
        return json.dumps(blocks)

    # --- learners ----------------------------------------------------------------------------
    def load_learners(self, users):
        """The demo students' enrollments and progress in Calculus (demo_content), made once
        through the same rules as a student's own clicks (learning.progress)."""
        course = CoursePage.objects.filter(slug="calculus-from-scratch").first()
        if course is None:
            return
        modules = list(ModulePage.objects.child_of(course).live().order_by("path"))
        now = timezone.now()
        for username, completed, failed, days_away in demo_content.CALCULUS_LEARNERS:
            user = users[username]
            enrollment, created = Enrollment.objects.get_or_create(
                user=user, course=course, defaults={"created_at": now - timedelta(days=30)}
            )
            # Their first day in the course, kept should they leave (Enrollment.start).
            CourseStart.objects.get_or_create(
                user=user, course=course, defaults={"started_at": enrollment.created_at}
            )
            if not created:
                continue
            self.created += 1
            # Progress is replayed once: never over what the learner did themselves (an
            # enrollment left and made again keeps its attempts and completions).
            if QuizAttempt.objects.filter(user=user, module__in=modules).exists() or (
                ModuleCompletion.objects.filter(user=user, module__in=modules).exists()
            ):
                continue
            graded = modules[1] if len(modules) > 1 else None
            for _ in range(failed if graded else 0):
                self.answer_quizzes(user, graded, right=False)
            for module in modules[:completed]:
                self.answer_quizzes(user, module, right=True)
                progress.complete_module(user, module)
            last = modules[min(completed, len(modules) - 1)] if modules and completed else None
            Enrollment.objects.filter(pk=enrollment.pk).update(
                last_module=last,
                last_visited_at=now - timedelta(days=days_away) if last else None,
            )

    def load_structure(self, users):
        """Prerequisites, a sequential course, a dripped module, a due date and an announcement
        (demo_content), set where they are unset, so a visitor sees each at once."""
        courses = {course.slug: course for course in CoursePage.objects.all()}
        for slug, required in demo_content.PREREQUISITES.items():
            course = courses.get(slug)
            if course is None or course.prerequisites.exists():
                continue
            course.prerequisites.set([courses[r] for r in required if r in courses])
            course.save_revision(user=course.owner).publish(user=course.owner)
        for slug in demo_content.SEQUENTIAL_COURSES:
            course = courses.get(slug)
            if course is not None and not course.sequential:
                course.sequential = True
                course.save_revision(user=course.owner).publish(user=course.owner)
        for (slug, number), values in demo_content.MODULE_SCHEDULE.items():
            course = courses.get(slug)
            modules = list(ModulePage.objects.child_of(course).order_by("path")) if course else []
            if len(modules) < number:
                continue
            module = modules[number - 1]
            if all(getattr(module, name) is None for name in values):
                for name, value in values.items():
                    setattr(module, name, value)
                module.save_revision(user=course.owner).publish(user=course.owner)
        for slug, author, title, body in demo_content.ANNOUNCEMENTS:
            course = courses.get(slug)
            if course is None or Announcement.objects.filter(course=course, title=title).exists():
                continue
            announcement = Announcement.objects.create(
                course=course, author=users[author], title=title, body=body
            )
            announce(announcement)
            self.created += 1

    def answer_quizzes(self, user, module, right):
        for block_id, quiz in progress.quizzes_of(module):
            number = progress.standing(user, module, block_id, quiz).next_number
            order = quizzes.order_for(quiz, user.pk, module.pk, block_id, number)
            submission = quizzes.sample_submission(quiz, order, number, right=right)
            progress.submit_quiz(user, module, block_id, submission)

    # --- media -------------------------------------------------------------------------------
    def load_shared_media(self):
        handout = self.document(
            "Course handout (PDF)",
            "course-handout.pdf",
            lambda: demo_media.handout_pdf(
                "Course handout",
                [
                    "This handout summarises the key ideas of the course. Keep it nearby while "
                    "you work through the modules.",
                    "Each module starts with an example, names the idea behind it, and ends "
                    "with an exercise. Try the exercise before reading the solution.",
                ],
            ),
        )
        notes = self.document(
            "Study notes (text)",
            "study-notes.txt",
            lambda: (
                b"Study notes\n===========\n\n"
                b"1. Read the module once without taking notes.\n"
                b"2. Close it and write down the three ideas you remember.\n"
                b"3. Re-read and correct your notes.\n"
            ),
        )
        video = self.document(
            "Sample clip (video)", "sample-clip.webm", demo_media.SAMPLE_VIDEO.read_bytes
        )
        captions = self.document(
            "Sample clip (captions)",
            "sample-clip.vtt",
            lambda: (
                b"WEBVTT\n\n00:00.000 --> 00:03.000\nA test pattern with a steady tone.\n\n"
                b"00:03.000 --> 00:06.000\nThe counter shows the time in the clip.\n"
            ),
        )
        return {"handout": handout, "notes": notes, "video": video, "captions": captions}

    def image(self, title, make_bytes, owner):
        Image = get_image_model()
        image = Image.objects.filter(title=title).first()
        if image is None:
            filename = slugify(title)[:60] + ".png"
            image = Image(
                title=title,
                uploaded_by_user=owner,
                collection=self.root_collection(),
                file=ImageFile(io.BytesIO(make_bytes()), name=filename),
            )
            image.save()
            self.created += 1
        return image

    def document(self, title, filename, make_bytes):
        Document = get_document_model()
        document = Document.objects.filter(title=title).first()
        if document is None:
            document = Document(title=title, collection=self.root_collection())
            document.file.save(filename, ContentFile(make_bytes()), save=False)
            document.save()
            self.created += 1
        return document

    def root_collection(self):
        return Collection.get_first_root_node()
