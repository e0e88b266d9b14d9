"""Recipients written by one INSERT or UPDATE, counted with the credits they carry: holds, debits and releases
follow the segments of the very rows that moved (each recipient's own, billing/pricing.py), never a count
times a campaign-wide figure."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class Moved:
    rows: int = 0
    segments: int = 0

    def __add__(self, other: "Moved") -> "Moved":
        return Moved(self.rows + other.rows, self.segments + other.segments)


NONE = Moved()


def moved_by(sql: str, params: Sequence) -> Moved:
    """Run `sql`, one INSERT or UPDATE of campaigns_campaignrecipient ending in `RETURNING <table or
    alias>.segments`, in the caller's transaction; the rows it wrote and their segments (summed in the
    database on PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"WITH moved AS ({sql}) SELECT count(*), COALESCE(sum(segments), 0) FROM moved", params)
            rows, segments = cursor.fetchone()
            return Moved(int(rows), int(segments))
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    return Moved(len(returned), sum(segments for (segments,) in returned))
