"""Who may do what to a course in the Wagtail admin.

Wagtail's page permissions are granted on subtrees: the ``Instructors`` group holds "add" and
"publish" on each site's home page so that instructors can create courses under any subject.
On their own these would let an instructor add modules under, publish or unpublish anybody's
course. The tester below narrows them, page by page, for users who do not hold "change" (that
is, everyone but editors and superusers):

* a course and its modules belong to the course's owner (its instructor): only the owner may
  edit, publish, unpublish, delete, move, copy, lock or add modules to them;
* under a subject an instructor may only add (and publish) new courses; the subject itself,
  the home page and the tree root stay read-only to them.

Every admin view and action (edit, create, preview, publish, unpublish, move, copy, delete,
reorder, bulk actions, revisions) asks ``page.permissions_for_user(user)``, so the rule holds
whichever button or URL is used, not only where buttons are hidden.
"""

from functools import cached_property

from wagtail.models import Page, PagePermissionTester


class CoursePagePermissionTester(PagePermissionTester):
    def __init__(self, user, page):
        super().__init__(user, page)
        self.restricted = (
            user.is_active and not user.is_superuser and "change" not in self.permissions
        )
        if self.restricted:
            self.permissions = self._narrowed(set(self.permissions))

    @cached_property
    def course_owner_id(self):
        """The owner of the course this page belongs to, or None outside any course."""
        from learning.models import CoursePage, ModulePage

        page_class = self.page.specific_class
        if page_class is CoursePage:
            return self.page.owner_id
        if page_class is ModulePage:
            parent_path = self.page.path[: -Page.steplen]
            return Page.objects.filter(path=parent_path).values_list("owner_id", flat=True).first()
        return None

    @property
    def is_subject(self):
        from learning.models import SubjectPage

        return self.page.specific_class is SubjectPage

    @property
    def owns_course(self):
        return self.course_owner_id is not None and self.course_owner_id == self.user.pk

    def _narrowed(self, permissions):
        if self.owns_course:
            return permissions
        if self.is_subject:
            # "add" lets them create courses here; "publish" lets those new courses go live
            # (Wagtail asks the parent) and lets their own courses be moved here.
            return permissions & {"add", "publish"}
        return set()

    # Each check below is the base rule, further limited to the course owner for restricted users.

    def can_edit(self):
        if self.restricted:
            return self.user.is_active and self.owns_course
        return super().can_edit()

    def can_publish(self):
        if self.restricted and not self.owns_course:
            return False
        return super().can_publish()

    def can_unpublish(self):
        if self.restricted and not self.owns_course:
            return False
        return super().can_unpublish()

    def can_delete(self, ignore_bulk=False):
        if not self.restricted:
            return super().can_delete(ignore_bulk=ignore_bulk)
        if not (self.owns_course and self.user.is_active) or self.page_is_root:
            return False
        # Wagtail's rule for "add" + "publish" wants every page deleted to be the user's own; in
        # their course the owner may delete (and so move, which asks this) a module an editor
        # added. Pages with children still need "bulk_delete", as in Wagtail.
        if "bulk_delete" not in self.permissions and not self.page.is_leaf() and not ignore_bulk:
            return False
        return "add" in self.permissions

    def can_reorder_children(self):
        if self.restricted and not self.owns_course:
            return False
        return super().can_reorder_children()

    def can_lock(self):
        if self.restricted and not self.owns_course:
            return False
        return super().can_lock()


class CoursePermissionsMixin:
    """Gives a page type the course-ownership permission rules above."""

    def permissions_for_user(self, user):
        return CoursePagePermissionTester(user, self)
