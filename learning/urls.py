from django.urls import path

from learning import views
from learning.views import calendar

app_name = "learning"

urlpatterns = [
    path("learn/", views.my_learning, name="my_learning"),
    path("learn/courses/<id:course_id>/enroll/", views.enroll, name="enroll"),
    path("learn/courses/<id:course_id>/leave/", views.leave, name="leave"),
    path("learn/modules/<id:module_id>/complete/", views.complete, name="complete"),
    path("learn/modules/<id:module_id>/uncomplete/", views.uncomplete, name="uncomplete"),
    path("learn/modules/<id:module_id>/quiz/<slug:block_id>/", views.quiz, name="quiz"),
    path("learn/quiz-attempts/<id:attempt_id>/", views.quiz_attempt, name="quiz_attempt"),
    path("learn/certificates/<uuid:certificate_id>/", views.certificate, name="certificate"),
    path("learn/calendar/<slug:token>.ics", calendar.feed, name="calendar_feed"),
    path("learn/calendar/", calendar.subscribe, name="calendar"),
    path("catalog/", views.catalog, name="catalog"),
]
