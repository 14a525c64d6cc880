"""History of every change: the records, as-of views, the delta report, restore and the feed."""
