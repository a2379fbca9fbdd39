"""Ship the top-level templates/ and static/ inside the package, so an installed wheel serves pages.

Everything else about the build is in pyproject.toml; a checkout uses the folders where they are.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
WEB_FOLDERS = ("templates", "static")


class BuildWithWebFolders(build_py):
    def run(self):
        super().run()
        for folder in WEB_FOLDERS:
            target = Path(self.build_lib) / "linktime" / folder
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(ROOT / folder, target)


setup(cmdclass={"build_py": BuildWithWebFolders})
