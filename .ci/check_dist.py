"""The built sdist and wheel hold what an install needs: the package's modules and data,
and metadata that names its dependencies (torch admitted up to the newest tested)."""

import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.requirements import Requirement

dist = Path(sys.argv[1])
wheel = next(dist.glob("sk_rnn-*.whl"))
sdist = next(dist.glob("sk_rnn-*.tar.gz"))
with zipfile.ZipFile(wheel) as archive:
    names = archive.namelist()
    metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
    metadata = Parser().parsestr(archive.read(metadata_name).decode())
requires = metadata.get_all("Requires-Dist") or []
problems = []
if metadata["Name"] != "sk_rnn":
    problems.append(f"name is {metadata['Name']!r}")
torch = [Requirement(r) for r in requires if Requirement(r).name == "torch"]
if len(torch) != 1 or not all(v in torch[0].specifier for v in ("2.3.0", "2.13.0", "2.15.0")):
    problems.append(f"torch must be required from 2.3 to 2.15: {[str(t) for t in torch]}")
for needed in ("sk_rnn/__init__.py", "sk_rnn/runtime.py", "sk_rnn/datasets/__init__.py"):
    if needed not in names:
        problems.append(f"the wheel lacks {needed}")
if not any(n.startswith("sk_rnn/datasets/") and n.endswith(".gz") for n in names):
    problems.append("the wheel lacks the shipped data sets")
if any(n.startswith(("tests/", "benchmarks/", "docs/")) for n in names):
    problems.append("the wheel holds tests, benchmarks or docs")
with tarfile.open(sdist) as archive:
    if not any(n.endswith("/pyproject.toml") for n in archive.getnames()):
        problems.append("the sdist lacks pyproject.toml")
if problems:
    sys.exit("dist check failed: " + "; ".join(problems))
print(f"{wheel.name} and {sdist.name}: version {metadata['Version']}, {len(names)} files")
