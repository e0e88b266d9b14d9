"""The short-link redirect `GET /l/{code}` (API.md "Links"): a public edge, no authentication."""
