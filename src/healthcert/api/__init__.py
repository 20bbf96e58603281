"""The HTTP API: a FastAPI app factory and one router per audience. No business logic here:
each route checks the caller's role, calls ``healthcert.service`` and maps the answer to HTTP."""
