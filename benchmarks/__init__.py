"""Speed and accuracy benchmarks; each module runs as ``python -m benchmarks.<name>``."""
