"""``prefect.engine`` (Prefect 1): its ``signals`` and ``state`` modules."""
