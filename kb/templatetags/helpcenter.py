from django import template
from django.utils.html import format_html

from kb.pagecache import CSRF_PLACEHOLDER

register = template.Library()


@register.simple_tag(takes_context=True)
def cacheable_csrf_input(context):
    """A CSRF field that survives the page cache: the middleware fills in each visitor's own token."""
    request = context["request"]
    request.csrf_placeholder = True
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', CSRF_PLACEHOLDER)
