"""Unpack the firmware's pinned third-party sources into build/src/NAME/, verified.

    python host_tools/firmware/firmware_sources.py [--vendor DIR] [--dest DIR] [NAME...]

The pins are in firmware/recipe/sources.lock. When the vendor folder exists
(default ../shared/vendor beside the repository), each tarball must match its
pinned sha256; otherwise the pinned commit is fetched from its public
repository with git and must check out as exactly that commit id. A source
already unpacked from the same pin is left alone, so a second run does nothing.
Any failure is one line on stderr and exit status 2.
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "firmware", "recipe")  # sources.lock and the make files
LOCK = os.path.join(HERE, "sources.lock")
DEFAULT_VENDOR = os.path.join(os.path.dirname(ROOT), "shared", "vendor")
DEFAULT_DEST = os.path.join(ROOT, "build", "src")
STAMP = ".pinned"
GIT_TIMEOUT = 600       # seconds for one clone, when there is a network at all
CONNECT_TIMEOUT = 20    # seconds git may stall below 1 kB/s before giving up


class SourceError(Exception):
    """A source that cannot be had or does not match its pin: one line for the user."""


def read_lock(path=LOCK):
    """{name: {tarball, sha256, repository, commit}} in file order."""
    pins = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                name, tarball, sha, repo, commit = line
                pins[name] = dict(tarball=tarball, sha256=sha, repository=repo, commit=commit)
    return pins


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _stamp(pin, origin):
    return f"{pin['commit']} {pin['sha256']}\n" if origin == "tarball" else f"{pin['commit']} git\n"


def _is_current(dest, pin):
    try:
        with open(os.path.join(dest, STAMP)) as f:
            return f.read().split()[0] == pin["commit"]
    except OSError:
        return False


def _from_tarball(name, pin, vendor, dest):
    path = os.path.join(vendor, pin["tarball"])
    if not os.path.exists(path):
        raise SourceError(f"{name}: {path} is missing from the vendor folder")
    got = sha256_of(path)
    if got != pin["sha256"]:
        raise SourceError(f"{name}: {path} has sha256 {got}, but sources.lock pins {pin['sha256']}; refusing it")
    tmp = dest + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    with tarfile.open(path) as tar:
        tar.extractall(tmp, filter="tar")
    (top,) = os.listdir(tmp)          # the archive's single NAME/ prefix
    return os.path.join(tmp, top), tmp


def _git(args, cwd):
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0")
    cfg = ["-c", "http.lowSpeedLimit=1000", "-c", f"http.lowSpeedTime={CONNECT_TIMEOUT}"]
    try:
        r = subprocess.run(["git", *cfg, *args], cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=GIT_TIMEOUT)
    except FileNotFoundError:
        raise SourceError("git is not installed and there is no vendor folder to build from") from None
    except subprocess.TimeoutExpired:
        raise SourceError(f"git {args[0]} took over {GIT_TIMEOUT} s; no usable network?") from None
    return r


def _from_git(name, pin, dest):
    tmp = dest + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    _git(["init", "-q"], tmp)
    r = _git(["fetch", "-q", "--depth", "1", pin["repository"], pin["commit"]], tmp)
    if r.returncode != 0:
        why = (r.stderr.strip().splitlines() or ["no output"])[-1]
        raise SourceError(f"{name}: no vendor folder, and fetching {pin['repository']} "
                          f"at {pin['commit'][:12]} failed (offline?): {why}")
    _git(["checkout", "-q", "FETCH_HEAD"], tmp)
    head = _git(["rev-parse", "HEAD"], tmp).stdout.strip()
    if head != pin["commit"]:
        raise SourceError(f"{name}: the download is commit {head}, but sources.lock pins {pin['commit']}")
    shutil.rmtree(os.path.join(tmp, ".git"))
    return tmp, tmp


def unpack(names=None, vendor=DEFAULT_VENDOR, dest_root=DEFAULT_DEST, lock=LOCK):
    """Make dest_root/NAME for each pinned source (all when names is None); returns their paths."""
    pins = read_lock(lock)
    unknown = sorted(set(names or ()) - set(pins))
    if unknown:
        raise SourceError(f"no source named {unknown[0]} in {lock}")
    use_tarballs = os.path.isdir(vendor)
    paths = {}
    for name in names or pins:
        pin, dest = pins[name], os.path.join(dest_root, name)
        paths[name] = dest
        if _is_current(dest, pin):
            continue
        if use_tarballs:
            tree, tmp = _from_tarball(name, pin, vendor, dest)
            origin = "tarball"
        else:
            tree, tmp = _from_git(name, pin, dest)
            origin = "git"
        with open(os.path.join(tree, STAMP), "w") as f:
            f.write(_stamp(pin, origin))
        shutil.rmtree(dest, ignore_errors=True)
        os.rename(tree, dest)
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"sources: {name} at {pin['commit'][:12]} ({origin}) -> {os.path.relpath(dest, ROOT)}")
    return paths


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vendor", default=os.environ.get("FIRMWARE_VENDOR", DEFAULT_VENDOR))
    ap.add_argument("--dest", default=DEFAULT_DEST)
    ap.add_argument("names", nargs="*")
    args = ap.parse_args(argv)
    try:
        unpack(args.names or None, args.vendor, args.dest)
    except SourceError as e:
        print(f"sources: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
