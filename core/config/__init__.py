"""A city's configuration: city.toml and its packs loaded, composed and validated as Gas City does."""
