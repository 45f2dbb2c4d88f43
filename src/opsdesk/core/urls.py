"""Pages of this area: sign-in, sign-out, home, the notification inbox and the audit log."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="opsdesk/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("inbox/", views.inbox, name="inbox"),
    path("audit/", views.audit_log, name="audit"),
    path("inbox/read/", views.mark_read, name="inbox-read"),
    path("", views.home, name="home"),
]
