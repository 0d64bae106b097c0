"""Scale the demo site up for the bench, fast, and write what the load generators need.

Run by bench/run.py as ``python -m bench.scale_data --out FILE`` with the bench's environment
(after ``migrate`` and ``load_demo``). Pages are inserted in bulk: one INSERT batch for the
``wagtailcore_page`` rows, with the treebeard paths, depths, child counts and URL paths computed
here, and one for each page type's own table. That takes seconds where ``add_child`` plus
``publish`` per page takes minutes. The scaled pages are then added to the search index in bulk,
so the catalogue search sees them. When the database already holds the scaled data (same
numbers), only the sessions and the API token are made again.

What the bench reads from FILE: the URLs of the scenario pages, the 20-module course's id, the
session cookies of enrolled students (the WebSocket chat authenticates with them), an API token.
"""

import argparse
import json
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "bench"
BIG_COURSE_MODULES = 20  # every tenth course; the contents/ scenario reads one of them


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()


def path_step(tree, number):
    """The step that places a child in a treebeard materialised path: ``number`` written in base
    ``len(tree.alphabet)``, padded on the left with ``tree.alphabet[0]`` to ``tree.steplen``
    characters. A child's path is its parent's path plus this step."""
    alphabet = tree.alphabet
    digits = ""
    while True:
        number, digit = divmod(number, len(alphabet))
        digits = alphabet[digit] + digits
        if not number:
            break
    if len(digits) > tree.steplen:
        raise ValueError(f"{len(digits)} digits do not fit a path step of {tree.steplen}")
    return digits.rjust(tree.steplen, alphabet[0])


def step_number(tree, step):
    """The number a treebeard path step stands for: the inverse of ``path_step``."""
    number = 0
    for char in step:
        number = number * len(tree.alphabet) + tree.alphabet.index(char)
    return number


def plan(courses, modules):
    """Modules per course: every tenth course has 20, the rest share what remains."""
    big = [i for i in range(courses) if i % 10 == 0]
    remaining = max(modules - len(big) * BIG_COURSE_MODULES, 0)
    small = courses - len(big)
    per_small, extra = divmod(remaining, small) if small else (0, 0)
    counts = []
    for i in range(courses):
        if i % 10 == 0:
            counts.append(BIG_COURSE_MODULES)
        else:
            counts.append(per_small + (1 if extra > 0 else 0))
            extra -= 1 if extra > 0 else 0
    return counts


class Generator:
    def __init__(self, subjects, courses, modules, students):
        from django.contrib.contenttypes.models import ContentType
        from wagtail.models import Page, Site

        from learning.models import CoursePage, ModulePage, SubjectPage

        self.subjects, self.courses, self.modules, self.students = (
            subjects,
            courses,
            modules,
            students,
        )
        self.Page, self.SubjectPage, self.CoursePage, self.ModulePage = (
            Page,
            SubjectPage,
            CoursePage,
            ModulePage,
        )
        self.home = Site.objects.get(is_default_site=True).root_page
        # The hundred small rooms' students: 1000 on, away from the big room's 0–499.
        self.room_base = 1000 if students >= 1500 else students // 2
        self.types = {
            model: ContentType.objects.get_for_model(model)
            for model in (SubjectPage, CoursePage, ModulePage)
        }

    # --- pages ----------------------------------------------------------------------------------
    def is_done(self):
        from django.contrib.auth import get_user_model

        return (
            self.SubjectPage.objects.filter(slug__startswith=f"{PREFIX}-").count() == self.subjects
            and self.CoursePage.objects.filter(slug__startswith=f"{PREFIX}-").count()
            == self.courses
            and self.ModulePage.objects.filter(slug__startswith=f"{PREFIX}-").count()
            >= self.modules
            and get_user_model().objects.filter(username__startswith=f"{PREFIX}-").count()
            == self.students
        )

    def page(self, model, parent, title, slug, owner, number, children):
        from django.utils import timezone

        now = timezone.now()
        return self.Page(
            title=title,
            draft_title=title,
            slug=slug,
            content_type=self.types[model],
            path=parent.path + path_step(self.Page, number),
            depth=parent.depth + 1,
            numchild=children,
            url_path=f"{parent.url_path}{slug}/",
            live=True,
            has_unpublished_changes=False,
            first_published_at=now,
            last_published_at=now,
            latest_revision_created_at=now,
            owner=owner,
            locale_id=parent.locale_id,
        )

    def insert_specific(self, model, rows):
        """Insert the page type's own table rows, 500 to an INSERT (Django's bulk_create refuses
        multi-table inheritance; the parent rows are already there). Each value is prepared as
        the ORM prepares it for an INSERT: the field's ``pre_save``, then ``get_db_prep_save``."""
        from django.db import connection

        fields = model._meta.local_concrete_fields
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(field.column) for field in fields)
        placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 500):
                batch = rows[start : start + 500]
                values = ", ".join([placeholders] * len(batch))
                sql = f"INSERT INTO {table} ({columns}) VALUES {values}"  # noqa: S608 (names from the model)
                cursor.execute(
                    sql,
                    [
                        field.get_db_prep_save(field.pre_save(row, add=True), connection)
                        for row in batch
                        for field in fields
                    ],
                )

    def build_pages(self, users):
        from django.db import transaction
        from django.db.models import Max

        from learning import demo_content

        Page = self.Page
        demo_modules = list(
            self.ModulePage.objects.exclude(slug__startswith=f"{PREFIX}-").order_by("path")
        )
        demo_courses = list(
            self.CoursePage.objects.exclude(slug__startswith=f"{PREFIX}-").order_by("path")
        )
        if not demo_modules or not demo_courses:
            raise SystemExit("Load the demo data first (manage.py load_demo).")
        instructors = [users["instructor"], users["instructor2"]]
        counts = plan(self.courses, self.modules)
        with transaction.atomic():
            home = Page.objects.select_for_update().get(pk=self.home.pk)
            last = home.get_children().aggregate(last=Max("path"))["last"]
            first_number = step_number(Page, last[-Page.steplen :]) + 1 if last else 1
            subjects, courses, modules = [], [], []
            course_numbers = [[] for _ in range(self.subjects)]
            for index in range(self.courses):
                course_numbers[index % self.subjects].append(index)
            for s in range(self.subjects):
                subject = self.page(
                    self.SubjectPage,
                    home,
                    f"Bench subject {s:02d}",
                    f"{PREFIX}-subject-{s:02d}",
                    users["editor"],
                    first_number + s,
                    len(course_numbers[s]),
                )
                subjects.append(subject)
                for position, c in enumerate(course_numbers[s], start=1):
                    data = demo_content.SUBJECTS[c % len(demo_content.SUBJECTS)]["courses"][0]
                    course = self.page(
                        self.CoursePage,
                        subject,
                        f"{data['title']} (bench {c:03d})",
                        f"{PREFIX}-course-{c:03d}",
                        instructors[c % 2],
                        position,
                        counts[c],
                    )
                    course.bench_index = c
                    courses.append(course)
                    for m in range(counts[c]):
                        source = demo_modules[(c + m) % len(demo_modules)]
                        module = self.page(
                            self.ModulePage,
                            course,
                            f"{source.title} ({m + 1})",
                            f"{PREFIX}-{c:03d}-module-{m + 1:02d}",
                            instructors[c % 2],
                            m + 1,
                            0,
                        )
                        module.source = source
                        modules.append(module)
            Page.objects.bulk_create(subjects + courses + modules, batch_size=1000)
            by_path = dict(
                Page.objects.filter(slug__startswith=f"{PREFIX}-").values_list("path", "pk")
            )
            self.insert_specific(
                self.SubjectPage,
                [
                    self.SubjectPage(
                        page_ptr_id=by_path[s.path],
                        intro=f"<p>Generated subject {i} for the bench.</p>",
                    )
                    for i, s in enumerate(subjects)
                ],
            )
            self.insert_specific(
                self.CoursePage,
                [
                    self.CoursePage(
                        page_ptr_id=by_path[c.path],
                        overview=demo_courses[c.bench_index % len(demo_courses)].overview,
                        image_id=demo_courses[c.bench_index % len(demo_courses)].image_id,
                        level=demo_courses[c.bench_index % len(demo_courses)].level,
                        duration_hours=1 + c.bench_index % 12,
                    )
                    for c in courses
                ],
            )
            self.insert_specific(
                self.ModulePage,
                [
                    self.ModulePage(
                        page_ptr_id=by_path[m.path],
                        description=m.source.description,
                        body=m.source.body,
                    )
                    for m in modules
                ],
            )
            Page.objects.filter(pk=home.pk).update(numchild=home.numchild + len(subjects))

    def index_pages(self):
        from wagtail.search.backends import get_search_backend

        backend = get_search_backend()
        for model in (self.SubjectPage, self.CoursePage, self.ModulePage):
            pages = list(model.objects.filter(slug__startswith=f"{PREFIX}-"))
            for start in range(0, len(pages), 500):
                backend.add_bulk(model, pages[start : start + 500])

    # --- people ---------------------------------------------------------------------------------
    def build_students(self):
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password

        User = get_user_model()
        password = make_password(settings.DEMO_PASSWORD)
        User.objects.bulk_create(
            [
                User(
                    username=f"{PREFIX}-student-{i:04d}",
                    first_name="Student",
                    last_name=f"{i:04d}",
                    email=f"{PREFIX}-student-{i:04d}@example.com",
                    password=password,
                )
                for i in range(self.students)
            ],
            batch_size=1000,
        )

    def enrollments(self):
        """Who is enrolled where (student index → course indexes):
        students 0–599 in course 0 (20 modules: the big chat room and the contents/ scenario),
        students 1000+5r … 1000+5r+4 in course 100+r (the hundred small rooms; smaller data
        starts at half the students), and every
        student in course i % courses, so listings and "My learning" have realistic data."""
        pairs = set()
        for i in range(self.students):
            pairs.add((i, i % self.courses))
        for i in range(min(600, self.students)):
            pairs.add((i, 0))
        for room in range(min(100, self.courses // 2)):
            for k in range(5):
                student = self.room_base + 5 * room + k
                if student < self.students:
                    pairs.add((student, self.courses // 2 + room))
        return pairs

    def build_enrollments(self):
        from django.contrib.auth import get_user_model

        from learning.models import Enrollment

        users = dict(
            get_user_model()
            .objects.filter(username__startswith=f"{PREFIX}-")
            .values_list("username", "pk")
        )
        courses = self.course_ids()
        Enrollment.objects.bulk_create(
            [
                Enrollment(user_id=users[f"{PREFIX}-student-{s:04d}"], course_id=courses[c])
                for s, c in sorted(self.enrollments())
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )

    def course_ids(self):
        rows = self.CoursePage.objects.filter(slug__startswith=f"{PREFIX}-course-").values_list(
            "slug", "pk"
        )
        return {int(slug.rsplit("-", 1)[1]): pk for slug, pk in rows}

    def sessions(self, student_indexes):
        """A fresh logged-in session per student (the cookie value), as a log-in would make."""
        from django.conf import settings
        from django.contrib.auth import (
            BACKEND_SESSION_KEY,
            HASH_SESSION_KEY,
            SESSION_KEY,
            get_user_model,
        )
        from django.contrib.sessions.backends.db import SessionStore
        from django.contrib.sessions.models import Session
        from django.utils import timezone
        from django.utils.crypto import get_random_string

        users = {
            user.username: user
            for user in get_user_model().objects.filter(
                username__in=[f"{PREFIX}-student-{i:04d}" for i in student_indexes]
            )
        }
        store = SessionStore()
        expire = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
        rows, keys = [], {}
        for i in student_indexes:
            user = users[f"{PREFIX}-student-{i:04d}"]
            key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
            data = {
                SESSION_KEY: str(user.pk),
                BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash(),
            }
            rows.append(
                Session(session_key=key, session_data=store.encode(data), expire_date=expire)
            )
            keys[i] = key
        Session.objects.filter(expire_date__lt=timezone.now()).delete()
        Session.objects.bulk_create(rows, batch_size=1000)
        return keys

    def api_token(self, student_index):
        from django.contrib.auth import get_user_model
        from wagtail.models import APIToken

        user = get_user_model().objects.get(username=f"{PREFIX}-student-{student_index:04d}")
        APIToken.objects.filter(user=user, name="bench").delete()
        _, plaintext = APIToken.create_token(user=user, name="bench")
        return plaintext

    # --- all of it --------------------------------------------------------------------------------
    def run(self):
        from django.contrib.auth import get_user_model

        from core import cache as page_cache

        reused = self.is_done()
        if not reused:
            if self.SubjectPage.objects.filter(slug__startswith=f"{PREFIX}-").exists():
                raise SystemExit(
                    "The bench database holds scaled data of other sizes: run the bench with "
                    "--fresh (it drops and re-creates the bench database)."
                )
            users = {
                u.username: u
                for u in get_user_model().objects.filter(
                    username__in=["editor", "instructor", "instructor2"]
                )
            }
            self.build_pages(users)
            self.build_students()
            self.build_enrollments()
            self.index_pages()
        page_cache.bump()  # nothing cached from an earlier run survives
        courses = self.course_ids()
        rooms = [self.courses // 2 + r for r in range(min(100, self.courses // 2))]
        big_room = list(range(min(500, self.students)))
        room_members = {
            courses[c]: [self.room_base + 5 * (c - self.courses // 2) + k for k in range(5)]
            for c in rooms
        }
        room_members = {
            course: [s for s in members if s < self.students]
            for course, members in room_members.items()
        }
        wanted = sorted(set(big_room) | {s for m in room_members.values() for s in m})
        keys = self.sessions(wanted)
        course = self.CoursePage.objects.get(pk=courses[0])
        modules = list(self.ModulePage.objects.child_of(course).live().order_by("path"))
        subject = course.get_parent()
        return {
            "reused": reused,
            "counts": {
                "subjects": self.SubjectPage.objects.count(),
                "courses": self.CoursePage.objects.count(),
                "modules": self.ModulePage.objects.count(),
                "students": get_user_model().objects.filter(is_staff=False).count(),
            },
            "urls": {
                "home": "/",
                "subject": subject.url,
                "course": course.url,
                "module": modules[len(modules) // 2].url,
                "catalog_search": "/catalog/?q=module",
                "api_courses": "/api/v2/courses/",
                "api_contents": f"/api/v2/courses/{course.pk}/contents/",
            },
            "big_course": {"id": course.pk, "modules": len(modules)},
            # As a browser sends them after its first page: the session and the CSRF cookie
            # (without it, every page would mint and set a new CSRF secret).
            "student_cookie": f"sessionid={keys[0]}; csrftoken={secrets.token_hex(16)}",
            "token": self.api_token(0),
            "big_room": {"course": course.pk, "cookies": [keys[i] for i in big_room]},
            "rooms": {
                str(course_id): [keys[s] for s in members]
                for course_id, members in room_members.items()
            },
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=10)
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--modules", type=int, default=2000)
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    setup_django()
    result = Generator(args.subjects, args.courses, args.modules, args.students).run()
    Path(args.out).write_text(json.dumps(result))
    print(
        ("reused" if result["reused"] else "generated")
        + " scaled data: "
        + ", ".join(f"{n} {k}" for k, n in result["counts"].items()),
        flush=True,
    )


if __name__ == "__main__":
    main()
