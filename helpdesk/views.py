from django.http import HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    """Liveness probe: answers without touching the database (also the trivial view the benchmarks compare to)."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; send them to the logo."""
    return redirect(static("img/logo.svg"), permanent=True)
