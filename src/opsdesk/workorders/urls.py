"""Pages of the work area: queue, work order, my work, client portal."""

app_name = "workorders"
urlpatterns: list = []
