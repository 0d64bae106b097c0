from learning.models import ModulePage


def test_module_fixture_is_a_live_child_of_its_course(module, course):
    assert ModulePage.objects.child_of(course).live().get() == module
    assert module.owner == course.owner
