"""``in`` on an integer column leaves out the values it cannot hold (core.lookups)."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def test_ids_beyond_the_column_match_nothing_and_the_others_still_match(student, instructor):
    users = get_user_model().objects
    found = users.filter(pk__in=[10**30, student.pk, -(10**30), instructor.pk])
    assert set(found) == {student, instructor}
    assert not users.filter(pk__in=[10**30, -(2**63) - 1]).exists()
    assert users.exclude(pk__in=[10**30]).count() == 2
