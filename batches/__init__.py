"""Background batches: big work split into chunks, one task per chunk, run by any number of workers.

The first kind of batch checks an uploaded scrub document (``batches.checking``); the 837P import and export
register their own kinds (``batches.kinds``). Builds on claims and codes; claims never imports batches.
"""
