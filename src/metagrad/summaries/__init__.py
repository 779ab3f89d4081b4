"""Derived tables computed from experiment tables (figures, tables and the audit read these)."""
