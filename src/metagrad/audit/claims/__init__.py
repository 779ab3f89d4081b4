"""Claim checks, one module per experiment family: ``check_*(tables, cfg) -> ClaimResult``."""
