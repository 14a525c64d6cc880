"""The structure guide, the organisation's profile (mode and stage) and organisation health."""
