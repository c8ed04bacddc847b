"""Stand-in for ``modules/options.py`` with the real OptionInfo/Options behaviour."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from modules import errors


class OptionInfo:
    """One setting: default, label, UI component and metadata (real constructor signature)."""

    def __init__(
        self,
        default: Any = None,
        label: str = "",
        component: Any = None,
        component_args: Any = None,
        onchange: Callable | None = None,
        section: tuple | None = None,
        refresh: Callable | None = None,
        comment_before: str = "",
        comment_after: str = "",
        infotext: str | None = None,
        restrict_api: bool = False,
        category_id: str | None = None,
    ) -> None:
        self.default = default
        self.label = label
        self.component = component
        self.component_args = component_args
        self.onchange = onchange
        self.section = section
        self.category_id = category_id
        self.refresh = refresh
        self.do_not_save = False
        self.comment_before = comment_before
        self.comment_after = comment_after
        self.infotext = infotext
        self.restrict_api = restrict_api

    def link(self, label: str, url: str) -> OptionInfo:
        """Add a link before the setting."""
        self.comment_before += f"[<a href='{url}' target='_blank'>{label}</a>]"
        return self

    def js(self, label: str, js_func: str) -> OptionInfo:
        """Add a JS-calling link before the setting."""
        self.comment_before += f"[<a onclick='{js_func}(); return false'>{label}</a>]"
        return self

    def info(self, info: str) -> OptionInfo:
        """Add an info note after the label."""
        self.comment_after += f"<span class='info'>({info})</span>"
        return self

    def html(self, html: str) -> OptionInfo:
        """Add raw HTML after the label."""
        self.comment_after += html
        return self

    def needs_restart(self) -> OptionInfo:
        """Mark as requiring a restart."""
        self.comment_after += " <span class='info'>(requires restart)</span>"
        return self

    def needs_reload_ui(self) -> OptionInfo:
        """Mark as requiring a UI reload."""
        self.comment_after += " <span class='info'>(requires Reload UI)</span>"
        return self


class OptionHTML(OptionInfo):
    """An info block in settings; not saved."""

    def __init__(self, text: str) -> None:
        def _component(**kwargs: Any) -> Any:
            import gradio as gr

            return gr.HTML(elem_classes="settings-info", **kwargs)

        super().__init__(str(text).strip(), label="", component=_component)
        self.do_not_save = True


def options_section(section_identifier: tuple, options_dict: dict[str, OptionInfo]) -> dict[str, OptionInfo]:
    """Assign a (id, label[, category]) section to every option in the dict."""
    for v in options_dict.values():
        if len(section_identifier) == 2:
            v.section = section_identifier
        elif len(section_identifier) == 3:
            v.section = section_identifier[0:2]
            v.category_id = section_identifier[2]
    return options_dict


options_builtin_fields = {"data_labels", "data", "restricted_opts", "typemap"}


class Options:
    """Settings store: ``data`` (config.json values) over registered ``data_labels`` defaults."""

    typemap = {int: float}

    def __init__(self, data_labels: dict[str, OptionInfo], restricted_opts: set[str]) -> None:
        self.data_labels = data_labels
        self.data = {k: v.default for k, v in self.data_labels.items() if not v.do_not_save}
        self.restricted_opts = restricted_opts

    def __setattr__(self, key: str, value: Any) -> None:
        if key in options_builtin_fields:
            return super().__setattr__(key, value)
        if self.data is not None and (key in self.data or key in self.data_labels):
            info = self.data_labels.get(key, None)
            if info is not None and info.do_not_save:
                return None
            comp_args = info.component_args if info else None
            if isinstance(comp_args, dict) and comp_args.get("visible", True) is False:
                raise RuntimeError(f"not possible to set '{key}' because it is restricted")
            self.data[key] = value
            return None
        return super().__setattr__(key, value)

    def __getattr__(self, item: str) -> Any:
        if item in options_builtin_fields:
            return super().__getattribute__(item)
        if self.data is not None and item in self.data:
            return self.data[item]
        if item in self.data_labels:
            return self.data_labels[item].default
        return super().__getattribute__(item)

    def set(self, key: str, value: Any, is_api: bool = False, run_callbacks: bool = True) -> bool:
        """Set a value; returns True if it changed (False for restrict_api options from the API)."""
        oldval = self.data.get(key, None)
        if oldval == value:
            return False
        option = self.data_labels[key]
        if option.do_not_save:
            return False
        if is_api and option.restrict_api:
            return False
        try:
            setattr(self, key, value)
        except RuntimeError:
            return False
        if run_callbacks and option.onchange is not None:
            try:
                option.onchange()
            except Exception as e:
                errors.display(e, f"changing setting {key} to {value}")
                setattr(self, key, oldval)
                return False
        return True

    def get_default(self, key: str) -> Any:
        """Registered default or None."""
        data_label = self.data_labels.get(key)
        return None if data_label is None else data_label.default

    def save(self, filename: str) -> None:
        """Write ``data`` as JSON, like config.json."""
        with open(filename, "w", encoding="utf8") as file:
            json.dump(self.data, file, indent=4, ensure_ascii=False)

    def load(self, filename: str) -> None:
        """Read values from a JSON file into ``data``."""
        with open(filename, encoding="utf8") as file:
            self.data = json.load(file)

    def onchange(self, key: str, func: Callable[[], Any], call: bool = True) -> None:
        """Register a change callback for ``key`` and optionally call it now."""
        item = self.data_labels.get(key)
        item.onchange = func
        if call:
            func()

    def dumpjson(self) -> str:
        """Values (with defaults) as JSON, as sent to the browser."""
        d = {k: self.data.get(k, v.default) for k, v in self.data_labels.items()}
        return json.dumps(d, default=lambda o: None)

    def add_option(self, key: str, info: OptionInfo) -> None:
        """Register a setting; its default is written to ``data`` if absent."""
        self.data_labels[key] = info
        if key not in self.data and not info.do_not_save:
            self.data[key] = info.default

    def cast_value(self, key: str, value: Any) -> Any:
        """Cast an infotext string to the option's default type."""
        if value is None:
            return None
        default_value = self.data_labels[key].default
        if default_value is None:
            default_value = getattr(self, key, None)
        if default_value is None:
            return None
        expected_type = type(default_value)
        return False if expected_type is bool and value == "False" else expected_type(value)
