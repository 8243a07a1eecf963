"""Post-processing: surface current statistics, hot spots, deposition metrics."""
