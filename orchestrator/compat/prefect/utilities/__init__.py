"""``prefect.utilities`` (Prefect 2/3): ``annotations``."""
