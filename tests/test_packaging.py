"""Install hygiene: environment.yml agrees with pyproject.toml; torch is the CPU 2.13.0 build."""
import re
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[;]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return {_name(s): s.replace(" ", "") for s in specs}


def _environment_yml() -> dict[str, str]:
    """Dependencies listed in environment.yml (conda and pip sections), without python/pip."""
    specs = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("\ndependencies:", 1)[1].splitlines():
        m = re.match(r"^\s*-\s+([A-Za-z0-9_.\-\[\]]+.*?)\s*(#.*)?$", line)
        if not m or m.group(1).startswith(("-", "pip:")) or m.group(1).endswith(":"):
            continue
        spec = m.group(1)
        if spec.startswith((".", "-e")) or _name(spec) in {"python", "pip"}:
            continue
        specs[_name(spec)] = spec.replace(" ", "")
    return specs


def test_environment_yml_matches_pyproject():
    ours, conda = _pyproject(), _environment_yml()
    assert set(conda) == set(ours), f"only in pyproject: {set(ours) - set(conda)}; only in environment.yml: {set(conda) - set(ours)}"
    for name, spec in ours.items():
        assert conda[name] == spec, f"{name}: pyproject says {spec!r}, environment.yml says {conda[name]!r}"


def test_torch_is_pinned_to_the_cpu_build():
    assert _pyproject()["torch"] == "torch==2.13.0"
    assert metadata.version("torch").startswith("2.13.0")


def test_no_nvidia_packages_installed():
    nvidia = sorted(d.metadata["Name"] for d in metadata.distributions()
                    if (d.metadata["Name"] or "").lower().startswith("nvidia"))
    assert nvidia == [], f"CUDA packages were pulled in: {nvidia}"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- test-command -->\s*```(?:bash|sh)?\n(.+?)\n```", readme, re.S)
    assert m, "README must show its test command in a fenced block after <!-- test-command -->"
    command = m.group(1).strip()
    assert command in (ROOT / ".ci" / "run").read_text()
