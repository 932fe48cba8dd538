"""Screens beyond the dashboard: the session summary and the calibration wizard."""
