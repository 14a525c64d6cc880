"""The org chart: the whole organisation drawn as a chart or an outline."""
