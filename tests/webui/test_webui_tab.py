"""The ParamLab tab inside the WebUI stand-in: registered once, Send-to buttons through A1111's paste
mechanism, and files served only to a logged-in browser when the WebUI uses --gradio-auth."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from modules import errors, infotext_utils, script_callbacks
from modules.api import api
from webui_support import LoadedExtension


def test_tab_is_registered_with_send_to_buttons(extension: LoadedExtension) -> None:
    tabs = script_callbacks.ui_tabs_callback()
    [(blocks, title, elem_id)] = [tab for tab in tabs if tab[1] == "ParamLab"]
    assert elem_id == "paramlab"
    bindings = {binding.tabname: binding for binding in infotext_utils.registered_param_bindings}
    assert set(bindings) == {"txt2img", "img2img"}
    infotext_box = bindings["txt2img"].source_text_component
    assert infotext_box is bindings["img2img"].source_text_component
    assert infotext_box._id in blocks.blocks
    assert {"txt2img_tab", "img2img_tab"} <= {getattr(b, "elem_id", None) for b in blocks.blocks.values()}


def test_thumbnails_need_the_gradio_login_when_the_webui_has_one(extension: LoadedExtension) -> None:
    api.text2imgapi(extension.runner(), {"prompt": "x", "width": 64, "height": 64})
    [row] = extension.rows()
    app = FastAPI()
    script_callbacks.app_started_callback(None, app)
    assert errors.reported == []  # a failing on_app_started would be swallowed by A1111, not raised
    client = TestClient(app)
    assert client.get(f"/paramlab/v1/images/{row['id']}/thumbnail").status_code == 200  # no --gradio-auth
    app.auth, app.tokens = [("alice", "pw")], {"good-token": "alice"}
    assert client.get(f"/paramlab/v1/images/{row['id']}/thumbnail").status_code == 401
    client.cookies.set("access-token", "good-token")
    response = client.get(f"/paramlab/v1/images/{row['id']}/thumbnail")
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/")
    assert client.get("/paramlab/v1/images/999999/thumbnail").status_code == 404


def test_reproduce_from_the_tab(extension: LoadedExtension) -> None:
    from paramlab.webui.tab import reproduce_selected

    api.text2imgapi(extension.runner(), {"prompt": "x", "seed": 5, "width": 64, "height": 64, "save_images": True})
    [row] = extension.rows()
    assert "reproduced exactly" in reproduce_selected(str(row["id"]))
    assert "pick an image" in reproduce_selected("")
    assert "no image 424242" in reproduce_selected("424242")
