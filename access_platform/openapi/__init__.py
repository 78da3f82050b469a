"""The OpenAPI 3.1 description of ``/api/v1``, served at ``GET /api/v1/openapi.json``."""
