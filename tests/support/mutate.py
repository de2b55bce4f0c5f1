"""`make mutate`: mutation testing (mutmut) of the modules where a silent bug costs most.

    python -m tests.support.mutate [NAME ...]      # default: every target below

Each target is run in its own copy of the project (build/mutate/NAME/), with its own
mutmut configuration: the one module mutated, and a fast selection of the tests that
exercise it in-process. Prints one line per target: killed / all mutants (the score),
then how many survived, had no test reaching them (code reached only in a subprocess,
such as `run_cli`), or timed out; and the survivors' names (`mutmut show NAME` in that
folder prints the change). docs/mutation.md lists the survivors examined and found equivalent.
Not part of `make test`: mutmut is installed on demand by `make mutate`.
"""
import json
import os
import shutil
import subprocess
import sys
from collections import Counter

from tests.support import DATASET, ROOT

# name: (module, tests run against each mutant (pytest arguments))
TARGETS = {
    "preprocess": ("firmware/app/preprocess.py",
                   ["tests/test_firmware.py", "-k", "not micropython and not mpy_cross and not blob"]),
    "blob": ("host_tools/blob.py", ["tests/test_blob.py", "tests/test_profile.py", "-k",
                                    "not header_arena and not inspect and not text_report and not default_model"]),
    "safety": ("host_tools/studio/safety.py", ["tests/test_studio_safety.py", "-k", "not training and not failed_run"]),
    "images": ("host_tools/data/images.py", ["tests/test_classify.py", "tests/test_jpeg.py", "-k", "not engine_flag"]),
    "flash": ("host_tools/device/flash.py", ["tests/test_flash.py"]),
    "capture": ("host_tools/device/capture.py", ["tests/test_capture.py"]),
}
COPIED = ("host_tools", "firmware", "boards", "models", "tests", "pyproject.toml")
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout"}  # mutmut's stats.py


def scratch(name, module, selection):
    """build/mutate/NAME: a copy of what the tests need, and mutmut's configuration."""
    where = os.path.join(ROOT, "build", "mutate", name)
    shutil.rmtree(where, ignore_errors=True)
    os.makedirs(where)
    for part in COPIED:
        src = os.path.join(ROOT, part)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(where, part), symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(src, where)
    # the photo set beside the project, as tests/support finds it (mutmut runs the tests in mutants/)
    for root in (where, os.path.join(where, "mutants")):
        shared = os.path.join(os.path.dirname(root), "shared", "datasets")
        os.makedirs(shared, exist_ok=True)
        link = os.path.join(shared, os.path.basename(DATASET))
        if not os.path.exists(link):
            os.symlink(DATASET, link)
    source = module.split("/")[0]
    app = os.path.join("firmware", "app")
    if module.startswith("firmware/app/"):
        # The device modules are imported by their own names (`import preprocess`), so mutmut
        # must name their mutants so too: it drops a leading "src." from a module's name.
        os.rename(os.path.join(where, app), os.path.join(where, "src"))
        for folder in (where, os.path.join(where, "mutants")):
            os.makedirs(os.path.join(folder, "firmware"), exist_ok=True)
            os.symlink(os.path.join("..", "src"), os.path.join(folder, app))
        source, module = "src", "src/" + module.split("/", 2)[2]
    # mutmut copies the source folder and tests itself; firmware/app is a link to src/ when mutated
    copied = [p for p in COPIED if p not in (source, "tests", "pyproject.toml")]
    with open(os.path.join(where, "pyproject.toml"), "a", encoding="utf-8") as f:
        f.write("\n[tool.mutmut]\n"
                f"source_paths = [{json.dumps(source)}]\n"
                f"only_mutate = [{json.dumps(module)}]\n"
                f"also_copy = {json.dumps(copied)}\n"
                f"pytest_add_cli_args_test_selection = {json.dumps(selection)}\n"
                'pytest_add_cli_args = ["-q", "-p", "no:cacheprovider"]\n')
    return where, module


def results(where, module):
    """{mutant name: status} from mutmut's record (mutants/MODULE.meta)."""
    with open(os.path.join(where, "mutants", module + ".meta"), encoding="utf-8") as f:
        meta = json.load(f)
    return {k: STATUS.get(v, "not checked" if v is None else "suspicious")
            for k, v in meta["exit_code_by_key"].items()}


def run(name):
    module, selection = TARGETS[name]
    where, module = scratch(name, module, selection)
    mutmut = os.path.join(os.path.dirname(sys.executable), "mutmut")
    r = subprocess.run([mutmut, "run", "--max-children", "1"], cwd=where, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"mutate: {name}: mutmut failed ({r.returncode}); see {where}\n{r.stderr[-2000:]}")
        return False
    status = results(where, module)
    counts = Counter(status.values())
    total = len(status)
    score = counts["killed"] / total if total else 0.0
    print(f"mutate: {module}: score {counts['killed']}/{total} killed ({score:.0%}); "
          + ", ".join(f"{counts[s]} {s}" for s in ("survived", "no tests", "timeout", "suspicious") if counts[s]))
    for key in sorted(k for k, s in status.items() if s == "survived"):
        print(f"  survived: {key}")
    return True


def main(argv):
    names = argv or list(TARGETS)
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        print(f"mutate: unknown target {', '.join(unknown)}; known: {', '.join(TARGETS)}", file=sys.stderr)
        return 2
    ok = [run(n) for n in names]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
