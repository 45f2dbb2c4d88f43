"""Pages of this area: the site list and site detail."""

from django.urls import path

from . import views

app_name = "sites"
urlpatterns = [
    path("", views.site_list, name="list"),
    path("<int:site_id>/", views.site_detail, name="detail"),
]
