"""The environment's JupyterLab overrides switch off the news pop-up and keep other settings."""

from __future__ import annotations

import json
from pathlib import Path

from support.workbook import lab_settings


def test_overrides_switch_off_news_and_keep_what_was_there(tmp_path: Path) -> None:
    path = lab_settings.overrides_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}))
    lab_settings.write_overrides(tmp_path)
    written = json.loads(path.read_text())
    assert written["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert written["@jupyterlab/apputils-extension:notification"]["checkForUpdates"] is False
    assert written["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}


def test_the_setting_names_exist_in_this_jupyterlab() -> None:
    # A renamed plugin or setting would make the override silently do nothing.
    import sys

    schema = Path(sys.prefix) / "share/jupyter/lab/schemas/@jupyterlab/apputils-extension/notification.json"
    properties = json.loads(schema.read_text())["properties"]
    for setting in lab_settings.OVERRIDES["@jupyterlab/apputils-extension:notification"]:
        assert setting in properties
