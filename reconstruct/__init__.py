"""Stage 2: reconstruct individual patient data from digitized KM curves and at-risk tables."""
