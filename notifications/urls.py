from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.centre, name="centre"),
    path("unread/", views.unread, name="unread"),
    path("read/", views.mark_all_read, name="mark_all_read"),
    path("<id:notification_id>/read/", views.mark_read, name="mark_read"),
    path("<id:notification_id>/open/", views.open_notification, name="open"),
    path("settings/", views.email_settings, name="settings"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
