def register(router):
    """Register the help-center viewsets on the API router."""
