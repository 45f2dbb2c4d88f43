"""Pages of the changes area."""


app_name = "changes"
urlpatterns: list = []
