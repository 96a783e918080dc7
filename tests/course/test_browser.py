"""JupyterLab in a real browser: the student notebooks 00 and 07 run, widgets draw, audio plays.

Starts JupyterLab on 127.0.0.1 with a token on a fresh student workspace (fast mode, the
inline plot backend a student gets), drives Debian's Chromium with Selenium through
Debian's chromedriver (nothing is downloaded), runs every cell and checks what a student
sees: no error outputs, widgets rendered as controls, audio players, and in notebook 00's
corpus explorer a figure with visible pixels inside the widget after every pick. Skips,
saying why, where Chromium, chromedriver or Selenium is missing (``.ci/run`` installs them).
Set RESYNTH_SCREENSHOTS=DIR to keep screenshots and RESYNTH_BROWSER_PICKS=N for more explorer picks
than the default 5.
"""
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from resynth_lib.course.workspace import sync_workspace

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
try:
    import selenium  # noqa: F401
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import Select
except ImportError:  # pragma: no cover - depends on the machine
    webdriver = None

pytestmark = pytest.mark.skipif(
    webdriver is None or not CHROMIUM or not DRIVER,
    reason="browser test needs Chromium and its driver (apt-get install chromium chromium-driver) and Selenium "
           "(pip install -e '.[browser]'); .ci/run installs them")

RUN_ALL_TIMEOUT = 240     # seconds for one notebook's cells in fast mode
PICKS = int(os.environ.get("RESYNTH_BROWSER_PICKS", "5"))     # explorer selections to check


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a fresh workspace, and a headless Chromium pointed at it."""
    root = tmp_path_factory.mktemp("lab")
    workspace = root / "workspace"
    sync_workspace(workspace)
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "RESYNTH_STRICT_CHECKS")}
    env.update(RESYNTH_FAST="1", JUPYTER_CONFIG_DIR=str(root / "config"), JUPYTER_RUNTIME_DIR=str(root / "runtime"),
               SE_OFFLINE="true")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workspace}",
         "--LabApp.expose_app_in_browser=True", f"--LabApp.workspaces_dir={root / 'lab-workspaces'}",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        env=env, stdout=open(root / "lab.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and server.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail(f"JupyterLab did not start: {(root / 'lab.log').read_text()[-2000:]}")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    browser.set_script_timeout(30)
    shots = Path(os.environ.get("RESYNTH_SCREENSHOTS", root / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    try:
        yield {"browser": browser, "url": f"http://127.0.0.1:{port}", "token": token, "shots": shots}
    finally:
        browser.quit()
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def _wait(condition, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


NOTEBOOK_STATE = """
const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
if (!panel || !panel.content || !panel.content.widgets || !panel.sessionContext.session) return null;
if (panel.context.path !== arguments[0]) return null;
const cells = panel.content.widgets.filter(c => c.model.type === 'code');
const errors = [];
let done = 0;
for (const cell of cells) {
  if (cell.model.executionCount !== null) done += 1;
  for (let i = 0; i < cell.model.outputs.length; i++) {
    const o = cell.model.outputs.get(i).toJSON();
    if (o.output_type === 'error') errors.push(o.ename + ': ' + o.evalue);
  }
}
const kernel = panel.sessionContext.session.kernel;
return {code: cells.length, done: done, errors: errors, status: kernel ? kernel.status : 'none'};
"""


def _open_and_run_all(lab, name):
    browser = lab["browser"]
    browser.get(f"{lab['url']}/lab/tree/{name}?token={lab['token']}")
    _wait(lambda: browser.execute_script(NOTEBOOK_STATE, name), 90, f"{name} to open with a kernel")
    _wait(lambda: browser.execute_script(NOTEBOOK_STATE, name)["status"] == "idle", 90, "the kernel to start")
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells'); return true")
    state = _wait(lambda: (lambda s: s if (s["done"] == s["code"] or s["errors"]) and s["status"] == "idle" else None)(
        browser.execute_script(NOTEBOOK_STATE, name)), RUN_ALL_TIMEOUT, f"every cell of {name} to run")
    return state


def _count(browser, selector):
    return browser.execute_script(f"return document.querySelectorAll({selector!r}).length")


# Pixels of the last <img> inside a widget's output area that are neither transparent nor white.
VISIBLE_PIXELS = """
const box = arguments[0];
const imgs = box.querySelectorAll('.jp-OutputArea img');
if (!imgs.length) return -1;
const img = imgs[imgs.length - 1];
if (!img.complete || !img.naturalWidth) return -2;
const canvas = document.createElement('canvas');
canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
const ctx = canvas.getContext('2d');
ctx.drawImage(img, 0, 0);
const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
let visible = 0;
for (let i = 0; i < d.length; i += 4) {
  if (d[i + 3] > 0 && (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240)) visible += 1;
}
return visible;
"""


def test_notebook_00_runs_and_its_explorer_always_draws(lab):
    browser = lab["browser"]
    state = _open_and_run_all(lab, "00_audio_and_data.ipynb")
    assert state["errors"] == [], state["errors"]
    assert _count(browser, ".jupyter-widgets select") >= 3            # explorer: speaker, split, utterance
    assert _count(browser, ".jupyter-widgets.widget-slider, .widget-hslider") >= 1
    assert _count(browser, "audio") >= 3
    explorer = _wait(lambda: browser.execute_script(
        "return [...document.querySelectorAll('.widget-vbox')].find(b => [...b.querySelectorAll('label')]"
        ".some(l => l.textContent.trim() === 'utterance')) || null"), 30, "the corpus explorer")
    browser.execute_script("arguments[0].scrollIntoView()", explorer)
    assert _wait(lambda: browser.execute_script(VISIBLE_PIXELS, explorer) > 1000, 30,
                 "the explorer's first figure (the default selection, drawn without a pick)")
    menu = Select(explorer.find_element("css selector", "select"))
    picks = [option.get_attribute("value") for option in menu.options][1:1 + PICKS]
    assert len(picks) == PICKS
    output_text = "const o = arguments[0].querySelector('.jp-OutputArea'); return o ? o.innerText : ''"
    image_src = ("const i = arguments[0].querySelectorAll('.jp-OutputArea img'); "
                 "return i.length ? i[i.length - 1].src.slice(-200) : ''")
    for i, value in enumerate(picks):
        before = browser.execute_script(image_src, explorer)
        menu.select_by_value(value)
        utt_id = menu.first_selected_option.text.split(":")[0]
        _wait(lambda: browser.execute_script(output_text, explorer).startswith(utt_id), 30,
              f"pick {i + 1}: the explorer to print {utt_id}")
        _wait(lambda: browser.execute_script(image_src, explorer) not in ("", before), 30,
              f"pick {i + 1}: a new figure for {utt_id}")
        pixels = _wait(lambda: (lambda n: n if n > 1000 else None)(browser.execute_script(VISIBLE_PIXELS, explorer)),
                       30, f"pick {i + 1}: a visible figure inside the explorer")
        assert len(explorer.find_elements("css selector", ".jp-OutputArea img")) == 1, "one figure per pick"
        assert pixels > 1000
    browser.save_screenshot(str(lab["shots"] / "00_explorer.png"))


def test_notebook_07_runs_with_widgets_and_audio(lab):
    browser = lab["browser"]
    state = _open_and_run_all(lab, "07_resynthesis_conversion_codec.ipynb")
    assert state["errors"] == [], state["errors"]
    assert _count(browser, ".jupyter-widgets select") >= 2                # the studio: utterance, voice
    assert _count(browser, "audio") >= 2
    studio = _wait(lambda: browser.execute_script(
        "return [...document.querySelectorAll('.widget-vbox')].find(b => b.querySelector('.jp-OutputArea img'))"
        " || null"), 30, "the studio's figure")
    browser.execute_script("arguments[0].scrollIntoView()", studio)
    assert browser.execute_script(VISIBLE_PIXELS, studio) > 1000
    browser.save_screenshot(str(lab["shots"] / "07_studio.png"))
