"""Component styles looked up once, not once per cell: the dashboard redraws many times a second."""

from __future__ import annotations

from rich.style import Style


class CachedComponentStyles:
    """Mixin for widgets that draw with ``COMPONENT_CLASSES``; the cache follows CSS and class changes."""

    _component_cache: dict[tuple[str, frozenset[str]], Style]

    def component_style(self, name: str) -> Style:
        cache = self.__dict__.setdefault("_component_cache", {})
        key = (name, frozenset(self.classes))  # type: ignore[attr-defined]
        style = cache.get(key)
        if style is None:
            style = cache[key] = self.get_component_rich_style(name)  # type: ignore[attr-defined]
        return style

    def notify_style_update(self) -> None:
        self.__dict__["_component_cache"] = {}
        super().notify_style_update()  # type: ignore[misc]
