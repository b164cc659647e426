"""Compile ctxlab's one C extension, the pure-ASCII counter, where a C compiler is.

Without a compiler (or on Windows) the package still installs and runs: the fast engine
then counts everything with splintr and words with str.split: the same results, slower. An editable
install (``pip install -e .``) puts the module beside its source, where Python finds it.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGE_DIR = "ctxlab/core"
MODULE = "_ascii_count"


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or sys.platform == "win32":
            return
        source = Path(self.root, PACKAGE_DIR, f"{MODULE}.c")
        name = MODULE + sysconfig.get_config_var("EXT_SUFFIX")
        target = Path(self.root, PACKAGE_DIR, name)
        compiler = shlex.split(sysconfig.get_config_var("CC") or "cc")
        command = [*compiler, "-O3", "-fPIC", "-shared", f"-I{sysconfig.get_paths()['include']}",
                   str(source), "-o", str(target), "-lpthread"]
        if sys.platform == "darwin":
            command += ["-undefined", "dynamic_lookup"]
        try:
            subprocess.run(command, check=True, capture_output=True, text=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", "") or exc
            print(f"ctxlab: {MODULE}.c not compiled, counting uses splintr alone: {detail}",
                  file=sys.stderr)
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version != "editable":
            build_data["force_include"][str(target)] = f"{PACKAGE_DIR}/{name}"
