from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    """Liveness probe: answers without touching the database (also the trivial view the benchmarks compare to)."""
    return HttpResponse("ok", content_type="text/plain")
