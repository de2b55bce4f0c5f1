"""No input file stops a batch: 50 real photos mixed with 200 bad files (seeded).

Every file gets exactly one line, in input order: a result on stdout for a
photo (the same scores as when it is classified alone), one `classify: NAME:
reason` line on stderr for anything else; no traceback, no hang, exit status 1.
"""
import json
import os
import subprocess
import sys

import pytest

from tests.support import ROOT
from host_tools.blob import read
from host_tools.data.names import shown
from host_tools.infer.classify import classify
from tests.support.fuzzfiles import make_corpus, pillow_reads, png_header_bomb

TIMEOUT = 300  # seconds; a hang fails the test instead of stalling the suite


def _run(*argv):
    """python -m host_tools ARGV, stderr merged into stdout (lines are flushed one by one)."""
    r = subprocess.run([sys.executable, "-m", "host_tools", *argv], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, cwd=ROOT, timeout=TIMEOUT)
    return r.returncode, r.stdout.decode("utf-8").splitlines()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    good, bad, mixed = make_corpus(str(tmp_path_factory.mktemp("fuzz")), seed=0)
    readable = {p: pillow_reads(p) for p in mixed}
    assert all(readable[p] for p in good)
    assert sum(not readable[p] for p in bad) >= 180  # most bad files really are bad
    return mixed, readable


def test_classify_json_one_line_per_file_in_order(default_blob, corpus):
    mixed, readable = corpus
    blob = read(default_blob)
    status, lines = _run("classify", "--json", "--model", default_blob, *mixed)
    assert status == 1
    assert not any("Traceback" in line for line in lines), "\n".join(lines)
    assert len(lines) == len(mixed), "\n".join(lines)
    for path, line in zip(mixed, lines):
        if readable[path]:
            got = json.loads(line)
            assert got["image"] == path and os.fsencode(got["image"]) == os.fsencode(path)
            [(_, alone, err)] = classify(blob, [path], workers=1)
            assert err is None and got == json.loads(json.dumps(alone))
        else:
            assert line.startswith(f"classify: {shown(path)}: "), line


def test_classify_plain_output_escapes_names(default_blob, corpus):
    mixed, readable = corpus
    status, lines = _run("classify", "--model", default_blob, *mixed)
    assert status == 1 and len(lines) == len(mixed), "\n".join(lines)
    for path, line in zip(mixed, lines):
        prefix = f"{shown(path)}: " if readable[path] else f"classify: {shown(path)}: "
        assert line.startswith(prefix), line
    assert any("\\n" in line for line in lines) and any("\\xff" in line for line in lines)


def test_evaluate_names_each_bad_file_once(default_blob, corpus, tmp_path):
    """evaluate: the photos are evaluated, each bad file named once on stderr, exit status 1."""
    mixed, readable = corpus
    person = tmp_path / "data" / "person"
    person.mkdir(parents=True)
    picked = [p for p in mixed if not os.path.isdir(p)][:40]
    for k, p in enumerate(picked):
        name = os.path.join(os.fsencode(person), b"%02d-" % k + os.path.basename(os.fsencode(p)))
        os.symlink(os.fsencode(p), name)
    status, lines = _run("evaluate", "--model", default_blob, str(tmp_path / "data"))
    assert status == 1 and not any("Traceback" in line for line in lines)
    errors = [line for line in lines if line.startswith("evaluate: skipped ")]
    assert len(errors) == sum(not readable[p] for p in picked)
    assert f"of {sum(readable[p] for p in picked)} images)" in "\n".join(lines)  # the accuracy line


def test_emulate_keeps_going(default_blob, corpus, tmp_path):
    """emulate (the device app on the host board): one error line per bad file, the rest classified."""
    mixed, readable = corpus
    picked = mixed[:12]
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header_bomb(10000, 10000))
    picked.append(str(bomb))
    status, lines = _run("emulate", "--model", default_blob, *picked)
    assert status == 1 and not any("Traceback" in line for line in lines), "\n".join(lines)
    results = [line for line in lines if not line.startswith("emulate: ")]
    errors = [line for line in lines if line.startswith("emulate: ")]
    assert len(errors) == sum(not readable[p] for p in picked[:-1]) + 1
    assert [line.split(": ")[0] for line in results] == [shown(p) for p in picked if readable.get(p)]
