from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [path("room/<id:course_id>/", views.room, name="room")]
