"""Finding personal data anywhere: every text and JSON column of every table of the database, searched."""

from django.db import connection


def tables_containing(needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for each needle found in any text/varchar/json column of any public table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
            " AND data_type IN ('text', 'character varying', 'json', 'jsonb', 'character')"
        )
        columns = cursor.fetchall()
        found = []
        for table, column in columns:
            for needle in needles:
                cursor.execute(
                    f'SELECT 1 FROM "{table}" WHERE "{column}"::text LIKE %s LIMIT 1', [f"%{needle}%"]
                )
                if cursor.fetchone():
                    found.append((table, column, needle))
    return found
