"""Stage 1: read a Kaplan-Meier figure (image) into curve points, censor marks and calibration."""
