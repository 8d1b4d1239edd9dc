"""Calibration against observed data and global sensitivity analysis (issues 8 and 9)."""
