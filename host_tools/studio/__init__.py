"""The studio: a local web app to collect photos, train, test and deploy (docs/studio.md)."""
