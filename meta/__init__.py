"""Stage 3: per-study survival analyses and their pooling across studies."""
