"""Isolated sign recognition from pose landmarks (the second source study): landmark selection,
normalization strategies, temporal models, training and the synthetic corpus."""
