"""Synthetic fingerspelling corpora: an articulated 3D hand, letter handshapes, signing motion, an analytic
renderer and a writer in the ChicagoFSWild layout. See the book's corpus chapter for what it models and
what it does not."""
